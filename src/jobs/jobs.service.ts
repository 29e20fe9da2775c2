import type { EntityManager } from "typeorm";
import { BlockRecord } from "../blocks/block.entity";
import { noBlockBetween } from "../blocks/visibility";
import type { Deps } from "../deps";
import { Changes, written, type Written } from "../db/changes";
import { badInput, conflict, notFound } from "../common/errors";
import type { Signal } from "../common/pubsub";
import { InvitationRecord } from "../invitations/invitation.entity";
import { HIDDEN_FROM_RECIPIENT, OPEN_STATUSES, RULES } from "../invitations/lifecycle";
import { Member } from "../members/member.entity";
import type { NotificationService } from "../notifications/notification.service";

/** What one run of the jobs did. */
export interface JobsReport {
  /** Automatic INVITATION_REMINDERs sent (invitations pending `reminderAfterMs`). */
  reminders: number;
  /** Reminders the recipients asked for (`setInvitationReminder`) sent. */
  customReminders: number;
  /** Invitations that expired. */
  expired: number;
}

/** Rows per transaction: a large backlog never holds the write lock in one long transaction. */
const BATCH = 500;

/** Stored states that expire (the lifecycle's `expire` row). */
const EXPIRING = RULES.expire.from;

/**
 * Stored states in which the recipient's own reminder still fires: those that look pending or
 * ignored to them. Answered, withdrawn, expired or blocked ones never remind, and a discarded
 * one does not exist for them.
 */
const REMINDABLE = OPEN_STATUSES.filter((s) => !HIDDEN_FROM_RECIPIENT.includes(s));

/** SQL: no block between the invitation's parties, either way (`t` names the invitation row). */
const noBlock = (t: string) => noBlockBetween(`${t}."senderId"`, `${t}."recipientId"`);

/** SQL: the invitation's recipient (`t` names the invitation row) has reminders on. */
const remindersOn = (t: string) => `EXISTS (SELECT 1 FROM "member" m
  WHERE m."id" = ${t}."recipientId" AND m."reminders" = :on)`;

type Parties = Pick<InvitationRecord, "id" | "senderId" | "recipientId">;

/**
 * Reminders and expiry: run inside the server on an interval, and once by `npm run jobs`.
 *
 * Every step is idempotent and safe when two processes run it at once: candidates are read
 * first, then each is claimed by a conditional UPDATE that re-checks every condition, inside
 * the same transaction as the notification it causes, and the notification is written only
 * when the UPDATE changed the row. SQLite lets one writer at a time in (the busy timeout makes
 * the other wait), so a row claimed by one process no longer matches for the other. Each
 * transaction starts with its write, so a waiting process never works from a stale snapshot.
 */
export class JobService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly deps: Deps,
    private readonly notifications: NotificationService,
  ) {}

  /** One pass over every job, as of `clock.now()`. */
  async runOnce(): Promise<JobsReport> {
    const now = this.deps.clock.now();
    // Expiry first: an invitation old enough to expire gets no reminder on its way out, and
    // a requested reminder whose invitation expired meanwhile does not fire.
    const expired = await this.expire(now);
    const reminders = await this.remindPending(now);
    const customReminders = await this.sendRequestedReminders(now);
    return { reminders, customReminders, expired };
  }

  /**
   * `setInvitationReminder`: the recipient's own reminder at `remindAt`, one per invitation
   * (setting it again moves it). Only the recipient, and only while the invitation looks
   * pending or ignored to them; anyone else's id (the sender's too) is NOT_FOUND, an answered,
   * withdrawn or expired one CONFLICT. `remindAt` must lie in the future and before the
   * invitation expires (a later reminder could never fire): else BAD_USER_INPUT.
   * Nothing about it is ever visible to the sender.
   */
  async setReminder(viewerId: string, id: string, remindAt: Date): Promise<void> {
    const now = this.deps.clock.now();
    if (Number.isNaN(remindAt.getTime()) || remindAt.getTime() <= now.getTime()) {
      throw badInput("remindAt must be in the future.", "remindAt");
    }
    const { expiryAfterMs } = this.deps.config;
    await this.deps.writer.transaction(async (em) => {
      // The write comes first and checks everything itself (see the class comment).
      const result = await em
        .createQueryBuilder()
        .update(InvitationRecord)
        .set({ remindAt })
        .where(`"id" = :id AND "recipientId" = :viewerId AND "status" IN (:...open)`, {
          id,
          viewerId,
          open: REMINDABLE,
        })
        .andWhere(`"sentAt" > :sentAfter`, {
          sentAfter: new Date(remindAt.getTime() - expiryAfterMs),
        })
        .andWhere(noBlock(`"invitation"`))
        .execute();
      // The recipient's own; the sender never learns of it, not even through a cache.
      if (result.affected === 1) return written(undefined, Changes.of(viewerId));
      // Nothing changed: say why, in the order that reveals nothing to a non-recipient.
      const record = await em.findOneBy(InvitationRecord, { id });
      const hidden =
        !record ||
        record.recipientId !== viewerId ||
        HIDDEN_FROM_RECIPIENT.includes(record.status) ||
        (await em.exists(BlockRecord, {
          where: [
            { blockerId: record.senderId, blockedId: record.recipientId },
            { blockerId: record.recipientId, blockedId: record.senderId },
          ],
        }));
      if (hidden) throw notFound("Invitation");
      const expiresAt = new Date(record.sentAt.getTime() + expiryAfterMs);
      if (!REMINDABLE.includes(record.status) || expiresAt.getTime() <= now.getTime()) {
        throw conflict("This invitation was answered, withdrawn or has expired.");
      }
      throw badInput(
        `remindAt must be before the invitation expires (${expiresAt.toISOString()}).`,
        "remindAt",
      );
    });
  }

  /** Runs the jobs every `intervalMs` (0: never); a run still going is not started twice. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err: unknown) => this.deps.logger.error({ err }, "jobs failed"))
        .finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /**
   * Open invitations (pending, ignored, filtered, reported) sent `expiryAfterMs` ago or
   * earlier become EXPIRED. Silent to both sides: nothing stored, nothing published. The
   * pair's one open slot is free again, so the sender may invite again at once.
   */
  private expire(now: Date): Promise<number> {
    const sentBy = new Date(now.getTime() - this.deps.config.expiryAfterMs);
    return this.inBatches(
      (afterId) =>
        this.candidates()
          .where("i.status IN (:...open)", { open: EXPIRING })
          .andWhere("i.sentAt <= :sentBy", { sentBy })
          .andWhere("i.id > :afterId", { afterId })
          .getMany(),
      async (em, rows) => {
        const result = await em
          .createQueryBuilder()
          .update(InvitationRecord)
          .set({ status: RULES.expire.to, respondedAt: now, remindAt: null })
          .where(`"id" IN (:...ids) AND "status" IN (:...open) AND "sentAt" <= :sentBy`, {
            ids: rows.map((r) => r.id),
            open: EXPIRING,
            sentBy,
          })
          .execute();
        // Both parties see it expire, whatever the recipient did with it: every open stored
        // state expires alike, so this says nothing about a hidden choice.
        const parties = rows.flatMap((r) => [r.senderId, r.recipientId]);
        return written(result.affected ?? 0, Changes.of(...parties));
      },
    );
  }

  /**
   * One INVITATION_REMINDER to the recipient of each invitation stored PENDING for
   * `reminderAfterMs`, never twice (`remindedAt`). Ignored, filtered and reported ones never
   * remind (their stored status is not PENDING), nor do pairs with a block either way.
   *
   * A recipient with `reminders` off gets none, and nothing is marked: should they turn
   * reminders on again, each invitation still pending then gets its one reminder.
   */
  private remindPending(now: Date): Promise<number> {
    const sentBy = new Date(now.getTime() - this.deps.config.reminderAfterMs);
    return this.inBatches(
      (afterId) =>
        this.candidates()
          .innerJoin(Member, "m", "m.id = i.recipientId")
          .where("i.status = :pending", { pending: "PENDING" })
          .andWhere("i.remindedAt IS NULL")
          .andWhere("i.sentAt <= :sentBy", { sentBy })
          .andWhere("m.reminders = :on", { on: true })
          .andWhere(noBlock("i"))
          .andWhere("i.id > :afterId", { afterId })
          .getMany(),
      async (em, rows, signals) => {
        let sent = 0;
        const reminded: string[] = [];
        for (const row of rows) {
          const claimed = await em
            .createQueryBuilder()
            .update(InvitationRecord)
            .set({ remindedAt: now })
            .where(
              `"id" = :id AND "remindedAt" IS NULL AND "status" = :pending AND "sentAt" <= :sentBy`,
              { id: row.id, pending: "PENDING", sentBy },
            )
            .andWhere(remindersOn(`"invitation"`), { on: true })
            .andWhere(noBlock(`"invitation"`))
            .execute();
          if (claimed.affected !== 1) continue;
          signals.push(await this.remind(em, row));
          reminded.push(row.recipientId);
          sent++;
        }
        // The recipients alone: whether a reminder fired depends on what the recipient did
        // (ignored, reported, turned reminders off), so the sender must not be among them.
        return written(sent, Changes.of(...reminded));
      },
    );
  }

  /**
   * The reminders recipients asked for (`remindAt`) that are due: each is cleared by a
   * conditional UPDATE and sent only if this run cleared it and the invitation still looks
   * pending or ignored to the recipient. One asked for after being answered, withdrawn or
   * expired is cleared silently.
   *
   * The `reminders` setting does not silence these: it turns off the automatic reminders,
   * while this one the member asked for explicitly, for this invitation, and is always kept.
   */
  private async sendRequestedReminders(now: Date): Promise<number> {
    const sent = await this.inBatches(
      (afterId) =>
        this.candidates()
          .where("i.remindAt IS NOT NULL AND i.remindAt <= :now", { now })
          .andWhere("i.status IN (:...open)", { open: REMINDABLE })
          .andWhere("i.id > :afterId", { afterId })
          .getMany(),
      async (em, rows, signals) => {
        let count = 0;
        // The recipients alone: the reminder and its time are theirs.
        const recipients: string[] = [];
        for (const row of rows) {
          const claimed = await em
            .createQueryBuilder()
            .update(InvitationRecord)
            .set({ remindAt: null })
            .where(`"id" = :id AND "remindAt" IS NOT NULL AND "remindAt" <= :now`, {
              id: row.id,
              now,
            })
            .andWhere(`"status" IN (:...open)`, { open: REMINDABLE })
            .execute();
          if (claimed.affected !== 1) continue;
          recipients.push(row.recipientId);
          // A block closes the pair's invitations, so this is only a guard; the time is
          // cleared either way.
          const blocked = await em
            .createQueryBuilder(InvitationRecord, "i")
            .where("i.id = :id", { id: row.id })
            .andWhere(`NOT ${noBlock("i")}`)
            .getExists();
          if (blocked) continue;
          signals.push(await this.remind(em, row));
          count++;
        }
        return written(count, Changes.of(...recipients));
      },
    );
    // Reminder times left on invitations that closed meanwhile can never fire: drop them.
    await this.inBatches(
      (afterId) =>
        this.candidates()
          .where("i.remindAt IS NOT NULL")
          .andWhere("i.status NOT IN (:...open)", { open: REMINDABLE })
          .andWhere("i.id > :afterId", { afterId })
          .getMany(),
      async (em, rows) => {
        const result = await em
          .createQueryBuilder()
          .update(InvitationRecord)
          .set({ remindAt: null })
          .where(`"id" IN (:...ids) AND "status" NOT IN (:...open)`, {
            ids: rows.map((r) => r.id),
            open: REMINDABLE,
          })
          .execute();
        // The recipients alone (the time was theirs): after a withdraw, the sender's reads
        // must not tell whether the recipient had set a reminder.
        return written(result.affected ?? 0, Changes.of(...rows.map((r) => r.recipientId)));
      },
    );
    return sent;
  }

  /** Stores the recipient's INVITATION_REMINDER; the sender is its actor and learns nothing. */
  private async remind(em: EntityManager, row: Parties): Promise<Signal> {
    const signal = await this.notifications.add(em, {
      recipientId: row.recipientId,
      kind: "INVITATION_REMINDER",
      actorId: row.senderId,
      invitationId: row.id,
      message: null,
    });
    return signal!;
  }

  /** Candidate invitations in id order, a batch at a time; callers add the conditions. */
  private candidates() {
    return this.deps.reads
      .getRepository(InvitationRecord)
      .createQueryBuilder("i")
      .select(["i.id", "i.senderId", "i.recipientId"])
      .orderBy("i.id", "ASC")
      .limit(BATCH);
  }

  /**
   * Reads candidates a page at a time and handles each page in its own transaction; signals
   * are published only once their transaction committed. Paging by id means a row that
   * another process claimed meanwhile is simply passed over, never read again.
   */
  private async inBatches(
    select: (afterId: string) => Promise<Parties[]>,
    work: (em: EntityManager, rows: Parties[], signals: Signal[]) => Promise<Written<number>>,
  ): Promise<number> {
    let total = 0;
    let afterId = "";
    for (;;) {
      const rows = await select(afterId);
      if (rows.length === 0) return total;
      total += await this.deps.writer.transaction((em, signals) => work(em, rows, signals));
      if (rows.length < BATCH) return total;
      afterId = rows[rows.length - 1].id;
    }
  }
}
