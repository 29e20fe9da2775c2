import { randomUUID } from "node:crypto";
import type { EntityManager, SelectQueryBuilder } from "typeorm";
import type { BlockService } from "../blocks/block.service";
import type { Deps } from "../common/deps";
import { AppError, badInput, conflict, notFound } from "../common/errors";
import { decodeCursor, encodeCursor, pageSize, toPage } from "../common/pagination";
import { publishAll, Topic, type PendingEvent } from "../common/pubsub";
import type { ConnectionService } from "../connections/connection.service";
import { Member } from "../members/member.entity";
import type { NotificationService } from "../notifications/notification.service";
import { InvitationRecord, pairKeyOf } from "./invitation.entity";
import {
  OPEN_STATUSES,
  storedForSenderView,
  transition,
  viewAs,
  type Action,
  type Effect,
  type StoredStatus,
  type VisibleStatus,
} from "./lifecycle";
import { ReportRecord } from "./report.entity";

/** An invitation as one viewer sees it: the stored row plus `viewAs`'s projection. */
export interface InvitationForViewer {
  record: InvitationRecord;
  status: VisibleStatus;
  respondedAt: Date | null;
  responseMessage: string | null;
}

export type ReceivedBucket = "PENDING" | "IGNORED" | "FILTERED";
export type InvitationOrder = "NEWEST" | "OLDEST";

const RECEIVED_BUCKETS: Record<ReceivedBucket, StoredStatus[]> = {
  PENDING: ["PENDING"],
  IGNORED: ["IGNORED", "REPORTED"],
  FILTERED: ["FILTERED"],
};

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
    input: { recipientId: string; message?: string | null },
  ): Promise<{ invitation: InvitationForViewer; connected: boolean }> {
    const message = this.checkText(input.message, this.deps.config.noteMaxLength, "message");
    if (input.recipientId === viewerId)
      throw badInput("You cannot invite yourself.", "recipientId");
    const events: PendingEvent[] = [];
    const result = await this.deps.queue.transaction(async (em) => {
      const now = this.deps.clock.now();
      const recipientId = input.recipientId;
      const exists = await em.exists(Member, { where: { id: recipientId } });
      if (!exists || (await this.blocks.between(em, viewerId, recipientId))) {
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
      const reported = await em.exists(ReportRecord, {
        where: { reporterId: recipientId, senderId: viewerId },
      });
      const record = em.create(InvitationRecord, {
        id: randomUUID(),
        senderId: viewerId,
        recipientId,
        pairKey: pairKeyOf(viewerId, recipientId),
        message,
        status: reported ? "FILTERED" : "PENDING",
        sentAt: now,
        respondedAt: null,
        responseMessage: null,
      });
      await em.insert(InvitationRecord, record);
      if (!reported) {
        events.push(
          await this.notifications.add(em, {
            recipientId,
            kind: "INVITATION_RECEIVED",
            actorId: viewerId,
            invitationId: record.id,
            message,
          }),
          {
            topic: Topic.InvitationReceived,
            memberId: recipientId,
            payload: { invitationId: record.id },
          },
        );
      }
      return { invitation: this.view(record, viewerId)!, connected: false };
    });
    publishAll(this.deps.pubSub, events);
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
    const events: PendingEvent[] = [];
    const result = await this.deps.queue.transaction(async (em) => {
      const record = await this.findForParty(em, viewerId, id);
      if (!record) throw notFound("Invitation");
      return this.apply(em, record, action, viewerId, this.deps.clock.now(), text, events, {
        reportReason,
      });
    });
    publishAll(this.deps.pubSub, events);
    return result;
  }

  /** Received invitations in one bucket, newest (or oldest) first, hiding blocked pairs. */
  async listReceived(
    viewerId: string,
    bucket: ReceivedBucket,
    order: InvitationOrder,
    first?: number | null,
    after?: string | null,
  ) {
    const qb = this.unblocked()
      .andWhere("i.recipientId = :viewerId", { viewerId })
      .andWhere("i.status IN (:...statuses)", { statuses: RECEIVED_BUCKETS[bucket] });
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

  private async page(
    qb: SelectQueryBuilder<InvitationRecord>,
    viewerId: string,
    order: InvitationOrder,
    first?: number | null,
    after?: string | null,
  ) {
    const { pageDefault, pageMax } = this.deps.config;
    const size = pageSize(first, pageDefault, pageMax);
    const cursor = decodeCursor(after, ["number", "string"]);
    const totalCount = await qb.clone().getCount();
    const desc = order === "NEWEST";
    if (cursor) {
      const op = desc ? "<" : ">";
      qb.andWhere(`(i.sentAt ${op} :t OR (i.sentAt = :t AND i.id ${op} :id))`, {
        t: new Date(cursor[0]),
        id: cursor[1],
      });
    }
    const rows = await qb
      .orderBy("i.sentAt", desc ? "DESC" : "ASC")
      .addOrderBy("i.id", desc ? "DESC" : "ASC")
      .take(size + 1)
      .getMany();
    return toPage(
      rows,
      size,
      totalCount,
      (r) => encodeCursor([r.sentAt.getTime(), r.id]),
      (r) => this.view(r, viewerId)!,
    );
  }

  /** Invitations of pairs with no block either way, and never those closed by a block. */
  private unblocked(): SelectQueryBuilder<InvitationRecord> {
    return this.deps.dataSource
      .getRepository(InvitationRecord)
      .createQueryBuilder("i")
      .where("i.status != :closed", { closed: "CLOSED_BY_BLOCK" })
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM "block" b WHERE
          (b."blockerId" = i."senderId" AND b."blockedId" = i."recipientId") OR
          (b."blockerId" = i."recipientId" AND b."blockedId" = i."senderId"))`,
      );
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
    const changed = result.next.status !== record.status;
    Object.assign(record, changed ? result.next : {});
    if (changed) {
      await em.update(InvitationRecord, { id: record.id }, result.next);
    }
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
        await this.notifications.retractReceived(em, record.id);
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
    });
  }

  /** The invitation if the viewer is one of its parties and no block stands between them. */
  private async findForParty(
    em: EntityManager,
    viewerId: string,
    id: string,
  ): Promise<InvitationRecord | null> {
    const record = await em.findOneBy(InvitationRecord, { id });
    if (!record || (record.senderId !== viewerId && record.recipientId !== viewerId)) return null;
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
