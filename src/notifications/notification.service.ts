import { randomUUID } from "node:crypto";
import { Repeater } from "@graphql-yoga/subscription";
import type { EntityManager, SelectQueryBuilder } from "typeorm";
import { noBlockBetween } from "../blocks/visibility";
import type { Deps } from "../deps";
import { badInput } from "../common/errors";
import { pageSize, toPage } from "../common/pagination";
import { Topic, type Signal } from "../common/pubsub";
import { eagerSubscribe } from "../common/subscribe";
import { Changes, written } from "../db/changes";
import { execute, query, toInt } from "../db/sql";
import { RetryTransaction } from "../db/writer";
import { EMAIL_DEFAULTS } from "./email-preference.entity";
import { NotificationRecord, type NotificationKind } from "./notification.entity";

/** Stores, lists and streams notifications; the stored rows are the truth, signals only wake. */
/**
 * A write that must happen just before a notification is stored, in the same transaction:
 * on PostgreSQL it runs in the same statement (a data-modifying WITH: one round trip less per
 * send and per answer), on SQLite just before it. It must change a row: if it changes none
 * (its row moved meanwhile), the transaction starts over. Its parameters must not be named
 * like the notification's (`id`, `recipientId`, ...): give them a prefix.
 */
export interface PriorWrite {
  sql: string;
  params: Record<string, unknown>;
}

export class NotificationService {
  constructor(private readonly deps: Deps) {}

  /**
   * Stores a notification inside the caller's transaction and returns the signal to publish
   * after commit. `seq` is the recipient's next number; writes are serialized, and the unique
   * index on (recipientId, seq) refuses a duplicate should two writers ever race.
   *
   * With `when` false the same statements run and store nothing (null, no signal): a caller
   * whose choice to notify is hidden from someone (the send: the recipient's settings and
   * policy) costs the same work either way.
   */
  async add(
    em: EntityManager,
    n: {
      recipientId: string;
      kind: NotificationKind;
      actorId: string | null;
      invitationId: string | null;
      message: string | null;
    },
    /** A write that goes before, in the same statement on PostgreSQL (`PriorWrite`). */
    prior?: PriorWrite,
    when = true,
  ): Promise<Signal | null> {
    const postgres = em.connection.options.type === "postgres";
    if (prior && !postgres && (await execute(em, prior.sql, prior.params)) === 0) {
      throw new RetryTransaction();
    }
    const merged = prior && postgres;
    // PostgreSQL types a SELECT's parameters by their casts (a VALUES row takes the columns').
    const as = (type: string) => (postgres ? `::${type}` : "");
    // One statement: the next number and the row (RETURNING: SQLite >= 3.35 and PostgreSQL).
    // The mail state is decided in the same statement (notification-mail.ts): waiting for the
    // digest, skipped, or null when it is to be mailed now. Whatever the recipient chose, the
    // statement is the same.
    const insert = `INSERT INTO "notification"
         ("id", "recipientId", "seq", "kind", "actorId", "invitationId", "message", "read", "createdAt", "mail")
       SELECT :id${as("varchar")}, :recipientId${as("varchar")},
         (SELECT COALESCE(MAX(p."seq"), 0) + 1 FROM "notification" p WHERE p."recipientId" = :owner),
         :kind${as("varchar")}, :actorId${as("varchar")}, :invitationId${as("varchar")},
         :message${as("text")}, :read${as("boolean")}, :createdAt${as("timestamptz")},
         CASE WHEN :mailOn = 'no' THEN 'SKIPPED' ELSE (
           SELECT CASE COALESCE(e."email", :mailDefault) WHEN 'IMMEDIATELY' THEN NULL
             WHEN 'DAILY_DIGEST' THEN 'WAITING' ELSE 'SKIPPED' END
           FROM (SELECT 1 AS "one") "d"
           LEFT JOIN "email_preference" e ON e."memberId" = :prefOwner AND e."kind" = :prefKind
         ) END
       WHERE :when = 'yes'
       RETURNING "seq", "mail"`;
    const [row] = await query<{ seq: unknown; prior?: unknown; mail?: unknown }>(
      em,
      // Merged, the statement always answers one row: the prior write's count, and the number
      // (null when nothing was stored).
      merged
        ? `WITH "prior" AS (${prior.sql} RETURNING 1), "added" AS (${insert})
           SELECT (SELECT "seq" FROM "added") AS "seq", (SELECT "mail" FROM "added") AS "mail",
             (SELECT COUNT(*) FROM "prior") AS "prior"`
        : insert,
      // (`owner`, `prefOwner` and `prefKind` repeat recipientId and kind: PostgreSQL wants
      // one type per parameter, and the columns and the comparisons would deduce two.)
      {
        ...(merged ? prior.params : {}),
        id: randomUUID(),
        read: false,
        createdAt: this.deps.clock.now(),
        ...n,
        owner: n.recipientId,
        prefOwner: n.recipientId,
        prefKind: n.kind,
        mailOn: this.deps.mail.enabled && this.deps.config.notificationMail ? "yes" : "no",
        mailDefault: EMAIL_DEFAULTS[n.kind] ?? "NEVER",
        // A string: TypeORM writes numbers into the statement's text, which would differ.
        when: when ? "yes" : "no",
      },
    );
    // The prior write found its row changed meanwhile: the transaction starts over.
    if (merged && toInt(row.prior) === 0) throw new RetryTransaction();
    if (!when) return null;
    const seq = toInt(row.seq);
    const payload = row.mail === null ? { seq, mail: true as const } : { seq };
    return { topic: Topic.NotificationAdded, memberId: n.recipientId, payload };
  }

  /** The viewer's notifications, newest first, hiding those whose actor is blocked either way. */
  async list(viewerId: string, unreadOnly: boolean, first?: number | null, after?: string | null) {
    const { pageDefault, pageMax } = this.deps.config;
    const size = pageSize(first, pageDefault, pageMax);
    const afterSeq = this.seqOf(viewerId, after);
    const base = this.visible(viewerId);
    if (unreadOnly) base.andWhere("n.read = :f", { f: false });
    const counting = base.clone();
    const totalCount = () => counting.getCount();
    if (afterSeq !== null) base.andWhere("n.seq < :seq", { seq: afterSeq });
    const rows = await base
      .orderBy("n.seq", "DESC")
      .take(size + 1)
      .getMany();
    return toPage(
      rows,
      size,
      totalCount,
      (n) => this.cursorOf(n),
      (r) => r,
    );
  }

  /** Marks the viewer's own notifications read; returns how many changed. */
  async markRead(viewerId: string, ids: string[]): Promise<number> {
    ids = [...new Set(ids)];
    if (ids.length === 0) return 0;
    // A page's worth at most, as the bulk invitation mutations: the ids become one IN (...),
    // and SQLite refuses statements with more than 32,766 bound values.
    const { pageMax } = this.deps.config;
    if (ids.length > pageMax) throw badInput(`ids must hold at most ${pageMax} ids.`, "ids");
    return this.deps.writer.transaction(async (em) => {
      const result = await em
        .createQueryBuilder()
        .update(NotificationRecord)
        .set({ read: true })
        .where(
          `"id" IN (SELECT n."id" FROM "notification" n WHERE n."recipientId" = :viewerId
            AND n."read" = :f AND n."id" IN (:...ids) AND ${NOTIFICATION_VISIBLE})`,
          { viewerId, f: false, ids },
        )
        .execute();
      // Notifications are their recipient's alone.
      return written(result.affected ?? 0, Changes.of(viewerId));
    });
  }

  /**
   * `notificationAdded(after:)`: the stored notifications after `afterSeq` (or, without it,
   * none of the past), then every new one, each exactly once and in order. The live signal
   * only wakes the stream; every batch is read back from the store after the last seq sent,
   * so a notification committed during the replay is neither skipped nor repeated, and a
   * missed signal is made up by the next one.
   */
  async stream(
    viewerId: string,
    afterSeq: number | null,
  ): Promise<AsyncIterable<NotificationRecord>> {
    let last = afterSeq ?? (await this.maxSeq(viewerId));
    // Listening starts before the first read, so nothing committed from here on is missed.
    const signals = eagerSubscribe(this.deps.pubsub, Topic.NotificationAdded, viewerId);
    return new Repeater<NotificationRecord>(async (push, stop) => {
      let stopped = false;
      stop.then(() => {
        stopped = true;
        return signals.return?.();
      });
      const drain = async () => {
        const rows = await this.visible(viewerId)
          .andWhere("n.seq > :last", { last })
          .orderBy("n.seq", "ASC")
          .take(500)
          .getMany();
        for (const row of rows) {
          if (stopped) return;
          last = row.seq;
          await push(row);
        }
        if (rows.length === 500) await drain();
      };
      // Through Redis the signals start only once Redis has confirmed the SUBSCRIBE: a
      // notification committed before that is found by this first read, any later one signals.
      await signals.ready;
      await drain();
      for await (const _signal of signals) {
        if (stopped) break;
        await drain();
      }
      stop();
    });
  }

  /** The opaque cursor of a notification: its per-recipient sequence number, sealed to them. */
  cursorOf(n: Pick<NotificationRecord, "seq" | "recipientId">): string {
    return this.deps.cursors.encode([n.seq], n.recipientId);
  }

  /** The sequence number inside the viewer's cursor `after` (null without one). */
  seqOf(viewerId: string, after: string | null | undefined): number | null {
    return (this.deps.cursors.decode(after, ["int"], viewerId)?.[0] as number | undefined) ?? null;
  }

  private async maxSeq(viewerId: string): Promise<number> {
    const row: { max: number | string | null } | undefined = await this.deps.reads
      .getRepository(NotificationRecord)
      .createQueryBuilder("n")
      .select("MAX(n.seq)", "max")
      .where("n.recipientId = :viewerId", { viewerId })
      .getRawOne();
    return Number(row?.max ?? 0);
  }

  /** Every notification the viewer may see, newest first (the account export). */
  all(viewerId: string): Promise<NotificationRecord[]> {
    return this.visible(viewerId).orderBy("n.seq", "DESC").getMany();
  }

  /**
   * Inside the deletion of `memberId`'s account, before their row goes: the notifications
   * other members hold about them (as the actor, or about an invitation with them) keep only
   * their place in their recipient's sequence and are never listed again. Deleting them
   * instead would free their numbers: the recipient's next notification would take the
   * number of one a client already holds a cursor of, and `notificationAdded(after:)` would
   * skip it. The rows a block hides keep their numbers too, so a deleted member and a blocker
   * leave the same sequence behind.
   */
  async erase(em: EntityManager, memberId: string): Promise<void> {
    await execute(
      em,
      `UPDATE "notification" SET "kind" = :erased, "actorId" = NULL, "invitationId" = NULL,
         "message" = NULL
       WHERE "recipientId" <> :memberId AND "invitationId" IN (SELECT i."id" FROM "invitation" i
         WHERE i."senderId" = :memberId OR i."recipientId" = :memberId)`,
      { erased: "ERASED", memberId },
    );
  }

  private visible(viewerId: string): SelectQueryBuilder<NotificationRecord> {
    return this.deps.reads
      .getRepository(NotificationRecord)
      .createQueryBuilder("n")
      .where("n.recipientId = :viewerId", { viewerId })
      .andWhere(NOTIFICATION_VISIBLE);
  }
}

/**
 * Notifications the recipient may see: none whose actor is blocked either way, none erased
 * with a deleted account, and no INVITATION_RECEIVED of a withdrawn invitation (retracted;
 * the row stays, so a sequence number is never handed out twice and cursors keep increasing).
 */
export const NOTIFICATION_VISIBLE = `n."kind" <> 'ERASED'
  AND (n."actorId" IS NULL OR ${noBlockBetween(`n."recipientId"`, `n."actorId"`)})
  AND NOT (n."kind" = 'INVITATION_RECEIVED' AND EXISTS (SELECT 1 FROM "invitation" i
    WHERE i."id" = n."invitationId" AND i."status" = 'WITHDRAWN'))`;
