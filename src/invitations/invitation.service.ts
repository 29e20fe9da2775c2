import { randomUUID } from "node:crypto";
import type { EntityManager, SelectQueryBuilder } from "typeorm";
import type { BlockService } from "../blocks/block.service";
import type { Deps } from "../common/deps";
import { AppError, badInput, conflict, notFound } from "../common/errors";
import { noBlockBetween } from "../blocks/visibility";
import { lockMembers } from "../db/locks";
import { RetryTransaction } from "../db/write-queue";
import { decodeCursor, encodeCursor, pageSize, toPage } from "../common/pagination";
import { Topic, type PendingEvent } from "../common/pubsub";
import type { ConnectionService } from "../connections/connection.service";
import { Member } from "../members/member.entity";
import type { NotificationService } from "../notifications/notification.service";
import { InvitationRecord, pairKeyOf } from "./invitation.entity";
import {
  OPEN_STATUSES,
  receivedBucket,
  STORED_STATUSES,
  storedForSenderView,
  transition,
  viewAs,
  type Action,
  type Effect,
  type StoredStatus,
  type VisibleStatus,
} from "./lifecycle";
import { ReportRecord } from "./report.entity";
import { deliveryFor } from "./gate";
import { checkSendLimits } from "./limits";

/** An invitation as one viewer sees it: the stored row plus `viewAs`'s projection. */
export interface InvitationForViewer {
  record: InvitationRecord;
  status: VisibleStatus;
  respondedAt: Date | null;
  responseMessage: string | null;
}

export type ReceivedBucket = "PENDING" | "IGNORED" | "FILTERED";
export type InvitationOrder = "NEWEST" | "OLDEST" | "MOST_MUTUAL_CONNECTIONS";
export type Relation = "MUTUAL_CONNECTIONS" | "SAME_EMPLOYER" | "SAME_INDUSTRY" | "SAME_SCHOOL";

const RELATION_COLUMN = {
  SAME_EMPLOYER: "employer",
  SAME_INDUSTRY: "industry",
  SAME_SCHOOL: "school",
} as const;

/** Connections the sender shares with the viewer (`:viewerId`), one correlated count. */
const MUTUAL_COUNT = `(SELECT COUNT(*) FROM "connection" c1
  INNER JOIN "connection" c2 ON c2."otherId" = c1."otherId"
  WHERE c1."memberId" = :viewerId AND c2."memberId" = i."senderId")`;

/** The stored statuses in each of the recipient's lists, as `lifecycle.receivedBucket` says. */
const receivedStatuses = (bucket: ReceivedBucket): StoredStatus[] =>
  STORED_STATUSES.filter((s) => receivedBucket(s) === bucket);

// One message for "already invited" and "already connected", and the same whether the open
// invitation is pending or ignored: the sender must not tell the two apart (rule 1).
const ALREADY_OPEN = "You are already connected to this member or have invited them.";

/** The invitation rules; every state change goes through `lifecycle.transition`. */
export class InvitationService {
  constructor(
    private readonly deps: Deps,
    private readonly notifications: NotificationService,
    private readonly connections: ConnectionService,
    private readonly blocks: BlockService,
  ) {}

  /** Projects a stored invitation for `viewerId`; null when it does not exist for them. */
  view(record: InvitationRecord, viewerId: string): InvitationForViewer | null {
    const v = viewAs(record, viewerId);
    return v && { record, ...v };
  }

  /** `invitation(id)`: null unless the viewer sent or received it and no block hides it. */
  async get(viewerId: string, id: string): Promise<InvitationForViewer | null> {
    const em = this.deps.dataSource.manager;
    const record = await this.findForParty(em, viewerId, id);
    return record && this.view(record, viewerId);
  }

  /**
   * `sendInvitation`. Crossing invitations connect (rule 4); one open invitation per pair
   * and cooldowns (rule 5); a sender the recipient reported lands in their FILTERED list
   * with nothing stored or published for them, and looks pending to the sender.
   */
  async send(
    viewerId: string,
    input: { recipientId: string; message?: string | null; recipientEmail?: string | null },
  ): Promise<{ invitation: InvitationForViewer; connected: boolean }> {
    const message = this.checkText(input.message, this.deps.config.noteMaxLength, "message");
    if (input.recipientId === viewerId)
      throw badInput("You cannot invite yourself.", "recipientId");
    const result = await this.deps.queue.transaction(async (em, events) => {
      await lockMembers(em, [viewerId, input.recipientId]);
      const now = this.deps.clock.now();
      const recipientId = input.recipientId;
      const recipient = await em.findOneBy(Member, { id: recipientId });
      if (!recipient || (await this.blocks.between(em, viewerId, recipientId))) {
        throw notFound("Member");
      }
      if (await this.connections.areConnected(em, viewerId, recipientId)) {
        throw conflict(ALREADY_OPEN);
      }
      const open = await em
        .createQueryBuilder(InvitationRecord, "i")
        .where("i.pairKey = :key AND i.status IN (:...open)", {
          key: pairKeyOf(viewerId, recipientId),
          open: OPEN_STATUSES,
        })
        .getOne();
      if (open && open.senderId === viewerId) throw conflict(ALREADY_OPEN);
      if (open) {
        // The recipient had invited the viewer: answering with an invitation is accepting.
        const accepted = await this.apply(em, open, "crossInvite", viewerId, now, message, events);
        return { invitation: accepted, connected: true };
      }
      await this.checkCooldown(em, viewerId, recipientId, now);
      await checkSendLimits(em, this.deps.config, viewerId, now);
      const delivery = await deliveryFor(em, recipient, viewerId, input.recipientEmail ?? null);
      const record = em.create(InvitationRecord, {
        id: randomUUID(),
        senderId: viewerId,
        recipientId,
        pairKey: pairKeyOf(viewerId, recipientId),
        message,
        status: delivery,
        sentAt: now,
        respondedAt: null,
        responseMessage: null,
        remindedAt: null,
        remindAt: null,
      });
      await em
        .createQueryBuilder()
        .insert()
        .into(InvitationRecord)
        .values(record)
        .updateEntity(false)
        .execute();
      if (delivery === "PENDING") {
        if (recipient.notifyOnInvitation) {
          events.push(
            await this.notifications.add(em, {
              recipientId,
              kind: "INVITATION_RECEIVED",
              actorId: viewerId,
              invitationId: record.id,
              message,
            }),
          );
        }
        // The inbox's own live update; `notifyOnInvitation` only silences the notification.
        events.push({
          topic: Topic.InvitationReceived,
          memberId: recipientId,
          payload: { invitationId: record.id },
        });
      }
      return { invitation: this.view(record, viewerId)!, connected: false };
    });
    return result;
  }

  /** accept / ignore / decline / report (by the recipient) and withdraw (by the sender). */
  async act(
    viewerId: string,
    id: string,
    action: Exclude<Action, "crossInvite" | "block" | "expire">,
    message: string | null = null,
    reportReason?: string,
  ): Promise<InvitationForViewer> {
    const text = this.checkText(message, this.deps.config.responseMaxLength, "message");
    const result = await this.deps.queue.transaction(async (em, events) => {
      const record = await this.findForParty(em, viewerId, id, true);
      if (!record) throw notFound("Invitation");
      return this.apply(em, record, action, viewerId, this.deps.clock.now(), text, events, {
        reportReason,
      });
    });
    return result;
  }

  /**
   * `acceptInvitations` / `ignoreInvitations`: every id in one transaction; an id that is not
   * the viewer's (or not in a state that allows it) fails alone with its code, never the batch.
   */
  async actMany(
    viewerId: string,
    ids: string[],
    action: "accept" | "ignore",
  ): Promise<{
    succeeded: InvitationForViewer[];
    failed: { id: string; code: string; message: string }[];
  }> {
    const unique = [...new Set(ids)];
    if (unique.length === 0 || unique.length > this.deps.config.pageMax) {
      throw badInput(`ids must hold 1 to ${this.deps.config.pageMax} ids.`, "ids");
    }
    const result = await this.deps.queue.transaction(async (em, events) => {
      const succeeded: InvitationForViewer[] = [];
      const failed: { id: string; code: string; message: string }[] = [];
      const now = this.deps.clock.now();
      for (const id of unique) {
        const record = await this.findForParty(em, viewerId, id, true);
        // Checked before any write for this id, so a failure leaves nothing half done.
        const check = record && transition(record, action, viewerId, now);
        if (!record || !check || !check.ok) {
          const code = check && !check.ok ? check.code : "NOT_FOUND";
          const message = check && !check.ok ? check.message : "Invitation not found.";
          failed.push({ id, code, message });
          continue;
        }
        succeeded.push(await this.apply(em, record, action, viewerId, now, null, events));
      }
      return { succeeded, failed };
    });
    return result;
  }

  /**
   * Received invitations in one bucket, hiding blocked pairs, narrowed by the sender's
   * relations to the viewer (all must hold) and a part of the sender's name.
   */
  async listReceived(
    viewerId: string,
    bucket: ReceivedBucket,
    order: InvitationOrder,
    first?: number | null,
    after?: string | null,
    filter: { relations?: Relation[] | null; search?: string | null } = {},
  ) {
    const qb = this.unblocked()
      .andWhere("i.recipientId = :viewerId", { viewerId })
      .andWhere("i.status IN (:...statuses)", { statuses: receivedStatuses(bucket) });
    const relations = [...new Set(filter.relations ?? [])];
    const search = filter.search?.trim();
    if (relations.length || search) qb.innerJoin(Member, "s", "s.id = i.senderId");
    if (search) {
      // LOWER on both sides: SQLite's LOWER folds ASCII only, and so must the pattern.
      qb.andWhere(`LOWER(s.name) LIKE LOWER(:pattern) ESCAPE '\\'`, {
        pattern: `%${search.replace(/[\\%_]/g, (c) => "\\" + c)}%`,
      });
    }
    if (relations.length) {
      const viewer = await this.deps.dataSource.getRepository(Member).findOneByOrFail({
        id: viewerId,
      });
      for (const relation of relations) {
        if (relation === "MUTUAL_CONNECTIONS") {
          qb.andWhere(`${MUTUAL_COUNT} > 0`);
          continue;
        }
        const column = RELATION_COLUMN[relation];
        const mine = viewer[column];
        // A relation the viewer has no value for holds for nobody.
        if (!mine) qb.andWhere("1 = 0");
        else qb.andWhere(`LOWER(s.${column}) = :${column}`, { [column]: mine.toLowerCase() });
      }
    }
    return this.page(qb, viewerId, order, first, after);
  }

  /** Sent invitations as the sender sees them; `status` is the status the sender is shown. */
  async listSent(
    viewerId: string,
    status: VisibleStatus | null,
    first?: number | null,
    after?: string | null,
  ) {
    const qb = this.unblocked().andWhere("i.senderId = :viewerId", { viewerId });
    if (status) {
      const stored = storedForSenderView(status);
      // An empty IN () is not valid SQL everywhere; no stored status matches: no rows.
      if (stored.length === 0) qb.andWhere("1 = 0");
      else qb.andWhere("i.status IN (:...statuses)", { statuses: stored });
    }
    return this.page(qb, viewerId, "NEWEST", first, after);
  }

  /** Keyset pagination: (mutual count,) sentAt, id; stable under inserts elsewhere. */
  private async page(
    qb: SelectQueryBuilder<InvitationRecord>,
    viewerId: string,
    order: InvitationOrder,
    first?: number | null,
    after?: string | null,
  ) {
    const { pageDefault, pageMax } = this.deps.config;
    const size = pageSize(first, pageDefault, pageMax);
    const byMutual = order === "MOST_MUTUAL_CONNECTIONS";
    const cursor = decodeCursor(after, byMutual ? ["int", "time", "string"] : ["time", "string"]);
    const counting = qb.clone();
    const totalCount = () => counting.getCount();
    const desc = order !== "OLDEST";
    const op = desc ? "<" : ">";
    const dir = desc ? "DESC" : "ASC";
    if (byMutual) qb.addSelect(MUTUAL_COUNT, "mutual").setParameter("viewerId", viewerId);
    if (cursor && byMutual) {
      qb.andWhere(
        `(${MUTUAL_COUNT} < :m OR (${MUTUAL_COUNT} = :m AND
          (i.sentAt < :t OR (i.sentAt = :t AND i.id < :id))))`,
        { m: cursor[0], t: new Date(cursor[1]), id: cursor[2] },
      );
    } else if (cursor) {
      qb.andWhere(`(i.sentAt ${op} :t OR (i.sentAt = :t AND i.id ${op} :id))`, {
        t: new Date(cursor[0]),
        id: cursor[1],
      });
    }
    if (byMutual) qb.orderBy("mutual", "DESC").addOrderBy("i.sentAt", "DESC");
    else qb.orderBy("i.sentAt", dir);
    qb.addOrderBy("i.id", dir).limit(size + 1);
    const { entities, raw } = await qb.getRawAndEntities<{ mutual?: number | string }>();
    const rows = entities.map((record, n) => ({ record, mutual: Number(raw[n]?.mutual ?? 0) }));
    return toPage(
      rows,
      size,
      totalCount,
      ({ record, mutual }) =>
        encodeCursor(
          byMutual
            ? [mutual, record.sentAt.getTime(), record.id]
            : [record.sentAt.getTime(), record.id],
        ),
      ({ record }) => this.view(record, viewerId)!,
    );
  }

  /** Invitations of pairs with no block either way, and never those closed by a block. */
  private unblocked(): SelectQueryBuilder<InvitationRecord> {
    return this.deps.dataSource
      .getRepository(InvitationRecord)
      .createQueryBuilder("i")
      .where("i.status != :closed", { closed: "CLOSED_BY_BLOCK" })
      .andWhere(noBlockBetween(`i."senderId"`, `i."recipientId"`));
  }

  /**
   * Runs one lifecycle transition inside `em`: writes the next state, applies its effects
   * (connection, notifications, report) and queues its events for after the commit.
   */
  private async apply(
    em: EntityManager,
    record: InvitationRecord,
    action: Action,
    actorId: string,
    now: Date,
    message: string | null,
    events: PendingEvent[],
    extra: { reportReason?: string } = {},
  ): Promise<InvitationForViewer> {
    const result = transition(record, action, actorId, now, message);
    if (!result.ok) throw new AppError(result.code, result.message);
    const previous = record.status;
    const changed = result.next.status !== previous;
    // Ignoring or reporting cancels the recipient's own reminder (DESIGN: due reminders cancelled).
    const cancelsReminder = action === "ignore" || action === "report";
    if (changed || cancelsReminder) {
      const written = await em
        .createQueryBuilder()
        .update(InvitationRecord)
        .set({ ...(changed ? result.next : {}), ...(cancelsReminder ? { remindAt: null } : {}) })
        // Only from the state the rules were checked against: a job (expiry) that changed it
        // meanwhile makes this transaction start over and decide again.
        .where("id = :id AND status = :previous", { id: record.id, previous })
        .execute();
      if (!written.affected) throw new RetryTransaction();
    }
    Object.assign(record, changed ? result.next : {});
    for (const effect of result.effects) {
      await this.applyEffect(em, record, effect, now, events, extra);
    }
    return this.view(record, actorId)!;
  }

  private async applyEffect(
    em: EntityManager,
    record: InvitationRecord,
    effect: Effect,
    now: Date,
    events: PendingEvent[],
    extra: { reportReason?: string },
  ): Promise<void> {
    switch (effect.type) {
      case "connect":
        await this.connections.connect(em, record.senderId, record.recipientId);
        return;
      case "notify": {
        const to = effect.to === "sender" ? record.senderId : record.recipientId;
        const actor = effect.to === "sender" ? record.recipientId : record.senderId;
        events.push(
          await this.notifications.add(em, {
            recipientId: to,
            kind: effect.kind,
            actorId: actor,
            invitationId: record.id,
            message: record.responseMessage,
          }),
        );
        return;
      }
      case "publish":
        if (effect.topic === "INVITATION_DECLINED") {
          events.push({
            topic: Topic.InvitationDeclined,
            memberId: record.senderId,
            payload: {
              invitationId: record.id,
              message: record.responseMessage,
              declinedAt: (record.respondedAt ?? now).toISOString(),
            },
          });
        } else {
          events.push({
            topic: Topic.InvitationAccepted,
            memberId: record.senderId,
            payload: { invitationId: record.id },
          });
        }
        return;
      case "retractReceivedNotification":
        // Nothing to write: a withdrawn invitation's INVITATION_RECEIVED is hidden when listed.
        return;
      case "recordReport":
        await em.insert(ReportRecord, {
          id: randomUUID(),
          reporterId: record.recipientId,
          senderId: record.senderId,
          invitationId: record.id,
          reason: extra.reportReason ?? "I_DONT_KNOW",
          createdAt: now,
        });
        return;
    }
  }

  /** After a decline or a withdraw the same sender waits `cooldownMs` before inviting again. */
  private async checkCooldown(em: EntityManager, senderId: string, recipientId: string, now: Date) {
    const since = new Date(now.getTime() - this.deps.config.cooldownMs);
    const last = await em
      .createQueryBuilder(InvitationRecord, "i")
      .where("i.senderId = :senderId AND i.recipientId = :recipientId", { senderId, recipientId })
      .andWhere("i.status IN (:...closed)", { closed: ["DECLINED", "WITHDRAWN"] })
      .andWhere("i.respondedAt > :since", { since })
      .orderBy("i.respondedAt", "DESC")
      .getOne();
    if (!last?.respondedAt) return;
    const until = new Date(last.respondedAt.getTime() + this.deps.config.cooldownMs);
    throw conflict(`You can invite this member again after ${until.toISOString()}.`, {
      retryAfter: Math.ceil((until.getTime() - now.getTime()) / 1000),
      until: until.toISOString(),
    });
  }

  /** The invitation if the viewer is one of its parties and no block stands between them. */
  private async findForParty(
    em: EntityManager,
    viewerId: string,
    id: string,
    lock = false,
  ): Promise<InvitationRecord | null> {
    let record = await em.findOneBy(InvitationRecord, { id });
    if (!record || (record.senderId !== viewerId && record.recipientId !== viewerId)) return null;
    if (lock && em.connection.options.type === "postgres") {
      // Lock the pair, then read the state again: it is what a concurrent winner left.
      await lockMembers(em, [record.senderId, record.recipientId]);
      record = (await em.findOneBy(InvitationRecord, { id }))!;
    }
    if (await this.blocks.between(em, record.senderId, record.recipientId)) return null;
    return record;
  }

  /** Trims an optional text; empty becomes null; too long is BAD_USER_INPUT. */
  private checkText(text: string | null | undefined, max: number, field: string): string | null {
    const trimmed = text?.trim();
    if (!trimmed) return null;
    if (trimmed.length > max) throw badInput(`${field} must be at most ${max} characters.`, field);
    return trimmed;
  }
}
