import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Deps } from "../deps";
import { AppError, badInput, conflict, notFound } from "../common/errors";
import { noBlockBetween } from "../blocks/visibility";
import { lockInvitationParties, lockMembers } from "../db/locks";
import { Changes, written } from "../db/changes";
import { RetryTransaction } from "../db/writer";
import { listScope, pageSize, toPage, type Page } from "../common/pagination";
import { Topic, type Signal } from "../common/pubsub";
import type { ConnectionService } from "../connections/connection.service";
import type { NotificationService, PriorWrite } from "../notifications/notification.service";
import {
  INVITATION_COLUMNS,
  invitationColumnsFor,
  invitationFromRow,
  InvitationRecord,
  pairKeyOf,
} from "./invitation.entity";
import { execute, query, toBool, toDate, toDateOrNull, toInt } from "../db/sql";
import {
  OPEN_STATUSES,
  receivedBucket,
  STORED_STATUSES,
  storedForSenderView,
  transition,
  viewAs,
  type Action,
  type Effect,
  type PublishEffect,
  type InvitationState,
  type StoredStatus,
  type VisibleStatus,
} from "./lifecycle";
import { Invitation } from "./invitation.types";
import {
  memberColumnsAs,
  memberFromRow,
  type Member,
  type PolicyAction,
} from "../members/member.entity";
import { ReportRecord } from "./report.entity";
import { deliveryFor, type Recipient } from "./gate";
import { checkSendLimits, restrictIfReported, SEND_LIMIT_COLUMNS, sendLimitParams } from "./limits";

export type ReceivedBucket = "PENDING" | "IGNORED" | "FILTERED";
export type InvitationOrder = "NEWEST" | "OLDEST" | "MOST_MUTUAL_CONNECTIONS";
export type Relation = "MUTUAL_CONNECTIONS" | "SAME_EMPLOYER" | "SAME_INDUSTRY" | "SAME_SCHOOL";

/** The invitation column that stores each relation (set at the send from the folded keys). */
const RELATION_COLUMN = {
  SAME_EMPLOYER: "sameEmployer",
  SAME_INDUSTRY: "sameIndustry",
  SAME_SCHOOL: "sameSchool",
} as const;

/** What `send` reads about the recipient and the pair (`InvitationService.pairState`). */
export interface PairState extends Recipient {
  notifyOnInvitation: boolean;
  unblocked: boolean;
  connected: boolean;
  openId: string | null;
  openSenderId: string | null;
  cooldownFrom: Date | null;
  /** When the sender signed up (the `newAccounts` category). */
  senderCreatedAt: Date;
  /** The sender's counts for the send limits (`limits.ts`, SEND_LIMIT_COLUMNS). */
  limits: Record<string, unknown>;
  /** What a new invitation stores about the pair (InvitationRecord's relation columns). */
  relations: Pick<InvitationRecord, "mutualCount" | "sameEmployer" | "sameIndustry" | "sameSchool">;
}

/**
 * A list query being built: `FROM invitation i`, joined with the other party's member row
 * (`o`, on `other`), and ANDed conditions.
 */
interface ListQuery {
  /** What the list's cursors are sealed to (`listScope`). */
  scope: string;
  other: "senderId" | "recipientId";
  /** Whether a condition reads `o` (the count then needs the join too). */
  readsOther: boolean;
  where: string[];
  params: Record<string, unknown>;
}

/** Invitations of pairs with no block either way, and never those closed by a block. */
function unblockedList(viewerId: string, other: ListQuery["other"], scope: string): ListQuery {
  return {
    scope,
    other,
    readsOther: false,
    where: [`i."status" != 'CLOSED_BY_BLOCK'`, noBlockBetween(`i."senderId"`, `i."recipientId"`)],
    params: { viewerId },
  };
}

/**
 * Open invitations: none has a block between its parties. A block closes the pair's open
 * invitations in its own transaction (BlockService), and a send under a block is refused
 * with the pair locked, so no per-row look at the blocks is needed (it cost as much as the
 * rest of the page).
 */
function openList(viewerId: string, other: ListQuery["other"], scope: string): ListQuery {
  return { scope, other, readsOther: false, where: [], params: { viewerId } };
}

/**
 * A listed invitation, with the other party's member row (read in the same statement), and
 * for an open one the connections the two share (stored on the row, and there are none
 * between them: an open invitation never joins connected members). The resolver hands them
 * to the request's loaders, so a page costs one statement (and one more for `totalCount`).
 */
export interface Listed {
  invitation: Invitation;
  other: Member;
  /** Null for a closed invitation: its stored count is no longer kept. */
  mutualCount: number | null;
}

/** Whether member rows `a` and `b` share a folded key (both set). */
const sameKey = (a: string, b: string, key: string) =>
  `(${a}."${key}" IS NOT NULL AND ${a}."${key}" = ${b}."${key}")`;

/**
 * Whose reads a transition changes by itself (the response cache's invalidation,
 * db/changes.ts): the actor, and a party whose view of the invitation changed. An ignore or a
 * report leaves the sender's view as it was (rule 1), so the sender is not among them and
 * nothing of theirs moves, not even how fast their next read is answered. A connection adds
 * its own (ConnectionService), and so does a notification (its recipient, the party told).
 */
function changedBy(before: InvitationState, after: InvitationState, actorId: string): Changes {
  const members = [actorId];
  for (const party of [before.senderId, before.recipientId]) {
    const [was, is] = [viewAs(before, party), viewAs(after, party)];
    const same =
      was?.status === is?.status &&
      was?.respondedAt?.getTime() === is?.respondedAt?.getTime() &&
      was?.responseMessage === is?.responseMessage;
    if (!same) members.push(party);
  }
  return Changes.of(...members);
}

/** Which effects write to the database (the others only queue signals). */
const WRITES: { [T in Effect["type"]]: boolean } = {
  connect: true,
  notify: true,
  recordReport: true,
  publish: false,
  retractReceivedNotification: false,
};

/** The same parameters, each name with `prefix` (statements merged into one). */
function prefixed(prefix: string, params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [prefix + k, v]));
}

/** The signal each `publish` effect sends, after the commit: always to the sender. */
const PUBLISHED: {
  [T in PublishEffect["topic"]]: (record: InvitationRecord, now: Date) => Signal;
} = {
  INVITATION_ACCEPTED: (record) => ({
    topic: Topic.InvitationAccepted,
    memberId: record.senderId,
    payload: { invitationId: record.id },
  }),
  INVITATION_DECLINED: (record, now) => ({
    topic: Topic.InvitationDeclined,
    memberId: record.senderId,
    payload: {
      invitationId: record.id,
      message: record.responseMessage,
      declinedAt: (record.respondedAt ?? now).toISOString(),
    },
  }),
};

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
  ) {}

  /** A stored invitation as `viewerId` may see it; null when it does not exist for them. */
  view(record: InvitationRecord, viewerId: string): Invitation | null {
    const v = viewAs(record, viewerId);
    return v && Invitation.of(record, v);
  }

  /** `invitation(id)`: null unless the viewer sent or received it and no block hides it. */
  async get(viewerId: string, id: string): Promise<Invitation | null> {
    const em = this.deps.reads.manager;
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
  ): Promise<{ invitation: Invitation; connected: boolean }> {
    const message = this.checkText(input.message, this.deps.config.noteMaxLength, "message");
    if (input.recipientId === viewerId)
      throw badInput("You cannot invite yourself.", "recipientId");
    const result = await this.deps.writer.transaction(async (em, signals) => {
      await lockMembers(em, [viewerId, input.recipientId]);
      const now = this.deps.clock.now();
      const recipientId = input.recipientId;
      const pairKey = pairKeyOf(viewerId, recipientId);
      const pair = await this.pairState(em, viewerId, recipientId, pairKey, now);
      if (!pair || !pair.unblocked) throw notFound("Member");
      if (pair.connected) throw conflict(ALREADY_OPEN);
      if (pair.openId && pair.openSenderId === viewerId) throw conflict(ALREADY_OPEN);
      if (pair.openId) {
        // The recipient had invited the viewer: answering with an invitation is accepting.
        const [row] = await query<Record<string, unknown>>(
          em,
          `SELECT ${INVITATION_COLUMNS} FROM "invitation" i WHERE i."id" = :id`,
          { id: pair.openId },
        );
        const open = invitationFromRow(row);
        const accepted = await this.apply(em, open, "crossInvite", viewerId, now, message, {
          signals,
        });
        return written({ invitation: accepted.invitation, connected: true }, accepted.changes);
      }
      if (pair.cooldownFrom) this.refuseDuringCooldown(pair.cooldownFrom, now);
      const { restricted } = checkSendLimits(this.deps.config, now, pair.limits);
      // EMAIL_REQUIRED is an answer the sender gets either way; everything else the gate
      // weighs (settings, reports, restriction, policy, pause) sets aside without a word.
      const newAccount =
        pair.senderCreatedAt.getTime() > now.getTime() - this.deps.config.newAccountMs;
      const delivery = deliveryFor(
        pair,
        input.recipientEmail ?? null,
        { newAccount, restricted },
        now,
      );
      const record = Object.assign(new InvitationRecord(), {
        id: randomUUID(),
        senderId: viewerId,
        recipientId,
        pairKey,
        message,
        status: delivery,
        sentAt: now,
        respondedAt: null,
        responseMessage: null,
        remindedAt: null,
        remindAt: null,
        ...pair.relations,
      });
      const insert: PriorWrite = {
        sql: `INSERT INTO "invitation" ("id", "senderId", "recipientId", "pairKey", "message",
           "status", "sentAt", "respondedAt", "responseMessage", "remindedAt", "remindAt",
           "mutualCount", "sameEmployer", "sameIndustry", "sameSchool")
         VALUES (:i_id, :i_senderId, :i_recipientId, :i_pairKey, :i_message, :i_status,
           :i_sentAt, NULL, NULL, NULL, NULL, :i_mutualCount, :i_sameEmployer, :i_sameIndustry,
           :i_sameSchool)`,
        params: prefixed("i_", { ...record }),
      };
      // The invitation goes in with its notification (one statement on PostgreSQL), and with
      // the same statements when none is stored: whether the recipient is told (their
      // settings, policy, pause, a report) is theirs, and the sender's send costs the same.
      const notifies = delivery === "PENDING" && pair.notifyOnInvitation;
      const notification = {
        recipientId,
        kind: "INVITATION_RECEIVED" as const,
        actorId: viewerId,
        invitationId: record.id,
        message,
      };
      const told = await this.notifications.add(em, notification, insert, notifies);
      if (told) signals.push(told);
      if (delivery === "PENDING") {
        // The inbox's own live update; `notifyOnInvitation` only silences the notification.
        signals.push({
          topic: Topic.InvitationReceived,
          memberId: recipientId,
          payload: { invitationId: record.id },
        });
      }
      // A new invitation is in the two members' lists and no one else's (a FILTERED one too:
      // the recipient's list of those changed, which only they read). A DISCARDED one is in
      // none of the recipient's reads: even the speed of their next read does not change.
      return written(
        { invitation: this.view(record, viewerId)!, connected: false },
        delivery === "DISCARDED" ? Changes.of(viewerId) : Changes.of(viewerId, recipientId),
      );
    });
    return result;
  }

  /**
   * Everything `send` asks about the pair, in one statement (each was its own query and
   * cost a round through TypeORM; docs/decisions/hand-written-sql.md): the recipient's settings,
   * whether a block, a connection, an open invitation, the recipient's report of the sender
   * or a recent decline/withdraw stands between them, the sender's limits. Null when the
   * recipient does not exist. The statement always yields its one row and computes every
   * column, so a recipient who blocked the sender and an id that never existed cost the same
   * work (only a row of NULLs tells them apart, and both answer NOT_FOUND).
   */
  private async pairState(
    em: EntityManager,
    viewerId: string,
    recipientId: string,
    pairKey: string,
    now: Date,
  ): Promise<PairState | null> {
    const [row] = await query<Record<string, unknown>>(
      em,
      `SELECT m."id", m."email", m."whoCanInvite", m."notifyOnInvitation",
         m."policyNewAccounts", m."policyNoMutual", m."policyRestricted",
         m."policyOutsideNetwork", m."pausedUntil", v."createdAt" AS "senderCreatedAt",
         ${noBlockBetween(":viewerId", ":recipientId")} AS "unblocked",
         EXISTS (SELECT 1 FROM "connection" c
           WHERE c."memberId" = :viewerId AND c."otherId" = :recipientId) AS "connected",
         EXISTS (SELECT 1 FROM "report" r
           WHERE r."reporterId" = :recipientId AND r."senderId" = :viewerId) AS "reported",
         o."id" AS "openId", o."senderId" AS "openSenderId",
         (SELECT MAX(d."respondedAt") FROM "invitation" d
           WHERE d."senderId" = :viewerId AND d."recipientId" = :recipientId
             AND d."status" IN ('DECLINED', 'WITHDRAWN') AND d."respondedAt" > :since
         ) AS "cooldownFrom",
         (SELECT COUNT(*) FROM "connection" c1
           INNER JOIN "connection" c2 ON c2."otherId" = c1."otherId"
           WHERE c1."memberId" = :viewerId AND c2."memberId" = :recipientId) AS "mutualCount",
         ${sameKey("m", "v", "employerKey")} AS "sameEmployer",
         ${sameKey("m", "v", "industryKey")} AS "sameIndustry",
         ${sameKey("m", "v", "schoolKey")} AS "sameSchool",
         ${SEND_LIMIT_COLUMNS}
       FROM (SELECT 1 AS "one") "pair"
       LEFT JOIN "member" m ON m."id" = :recipientId
       LEFT JOIN "member" v ON v."id" = :viewerId
       LEFT JOIN "invitation" o ON o."pairKey" = :pairKey AND o."status" IN (:...open)`,
      {
        viewerId,
        recipientId,
        pairKey,
        since: new Date(now.getTime() - this.deps.config.cooldownMs),
        senderId: viewerId,
        ...sendLimitParams(now),
      },
    );
    if (!row || row.id === null || row.id === undefined) return null;
    return {
      id: row.id as string,
      email: row.email as string,
      whoCanInvite: row.whoCanInvite as PairState["whoCanInvite"],
      notifyOnInvitation: toBool(row.notifyOnInvitation),
      unblocked: toBool(row.unblocked),
      connected: toBool(row.connected),
      reported: toBool(row.reported),
      openId: (row.openId as string | null) ?? null,
      openSenderId: (row.openSenderId as string | null) ?? null,
      cooldownFrom: toDateOrNull(row.cooldownFrom),
      mutualCount: toInt(row.mutualCount),
      policy: {
        newAccounts: row.policyNewAccounts as PolicyAction,
        noMutualConnections: row.policyNoMutual as PolicyAction,
        restrictedSenders: row.policyRestricted as PolicyAction,
        outsideNetwork: row.policyOutsideNetwork as PolicyAction,
      },
      pausedUntil: toDateOrNull(row.pausedUntil),
      senderCreatedAt: toDateOrNull(row.senderCreatedAt)!,
      limits: row,
      relations: {
        mutualCount: toInt(row.mutualCount),
        sameEmployer: toBool(row.sameEmployer),
        sameIndustry: toBool(row.sameIndustry),
        sameSchool: toBool(row.sameSchool),
      },
    };
  }

  /** accept / ignore / decline / report (by the recipient) and withdraw (by the sender). */
  async act(
    viewerId: string,
    id: string,
    action: Exclude<Action, "crossInvite" | "block" | "expire">,
    message: string | null = null,
    reportReason?: string,
  ): Promise<Invitation> {
    const text = this.checkText(message, this.deps.config.responseMaxLength, "message");
    const result = await this.deps.writer.transaction(async (em, signals) => {
      const record = await this.findForParty(em, viewerId, id, true);
      if (!record) throw notFound("Invitation");
      const now = this.deps.clock.now();
      const done = await this.apply(em, record, action, viewerId, now, text, {
        signals,
        reportReason,
      });
      return written(done.invitation, done.changes);
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
    succeeded: Invitation[];
    failed: { id: string; code: string; message: string }[];
  }> {
    const unique = [...new Set(ids)];
    if (unique.length === 0 || unique.length > this.deps.config.pageMax) {
      throw badInput(`ids must hold 1 to ${this.deps.config.pageMax} ids.`, "ids");
    }
    const result = await this.deps.writer.transaction(async (em, signals) => {
      const succeeded: Invitation[] = [];
      let changes = Changes.none;
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
        const done = await this.apply(em, record, action, viewerId, now, null, { signals });
        succeeded.push(done.invitation);
        changes = changes.and(done.changes);
      }
      return written({ succeeded, failed }, changes);
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
    fields: ReadonlySet<string> | null = null,
  ) {
    // Every received list holds open invitations only (`receivedBucket`).
    const relations = [...new Set(filter.relations ?? [])].sort();
    const search = filter.search?.trim();
    const scope = listScope(viewerId, "Query.receivedInvitations", {
      status: bucket,
      orderBy: order,
      relations,
      search: search || null,
    });
    const list = openList(viewerId, "senderId", scope);
    list.where.push(`i."recipientId" = :viewerId`, `i."status" IN (:...statuses)`);
    list.params.statuses = receivedStatuses(bucket);
    if (search) {
      // LOWER on both sides: SQLite's LOWER folds ASCII only, and so must the pattern.
      list.where.push(`LOWER(o."name") LIKE LOWER(:pattern) ESCAPE '\\'`);
      list.params.pattern = `%${search.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
      list.readsOther = true;
    }
    // The stored relations are current on open invitations.
    for (const relation of relations) {
      list.where.push(
        relation === "MUTUAL_CONNECTIONS"
          ? `i."mutualCount" > 0`
          : `i."${RELATION_COLUMN[relation]}" = :related`,
      );
      list.params.related = true;
    }
    return this.page(list, viewerId, order, first, after, fields);
  }

  /** Sent invitations as the sender sees them; `status` is the status the sender is shown. */
  async listSent(
    viewerId: string,
    status: VisibleStatus | null,
    first?: number | null,
    after?: string | null,
    fields: ReadonlySet<string> | null = null,
  ) {
    const scope = listScope(viewerId, "Query.sentInvitations", { status });
    const list = unblockedList(viewerId, "recipientId", scope);
    list.where.push(`i."senderId" = :viewerId`);
    if (status) {
      const stored = storedForSenderView(status);
      // An empty IN () is not valid SQL everywhere; no stored status matches: no rows.
      if (stored.length === 0) list.where.push("1 = 0");
      else {
        list.where.push(`i."status" IN (:...statuses)`);
        list.params.statuses = stored;
      }
    }
    return this.page(list, viewerId, "NEWEST", first, after, fields);
  }

  /**
   * Keyset pagination: (mutual count,) sentAt, id; stable under inserts elsewhere. The
   * MOST_MUTUAL_CONNECTIONS order is for received lists, whose invitations are all open.
   * With `fields` (the names the operation selects) only the columns they need are read:
   * decoding columns was most of a page's SQL time.
   */
  private async page(
    list: ListQuery,
    viewerId: string,
    order: InvitationOrder,
    first?: number | null,
    after?: string | null,
    fields: ReadonlySet<string> | null = null,
  ): Promise<Page<Listed>> {
    const { pageDefault, pageMax } = this.deps.config;
    const db = this.deps.reads;
    const size = pageSize(first, pageDefault, pageMax);
    const byMutual = order === "MOST_MUTUAL_CONNECTIONS";
    const cursor = this.deps.cursors.decode(
      after,
      byMutual ? ["int", "time", "string"] : ["time", "string"],
      list.scope,
    );
    const join = `INNER JOIN "member" o ON o."id" = i."${list.other}"`;
    const counted = { where: [...list.where], params: { ...list.params } };
    const totalCount = async () => {
      const from = `FROM "invitation" i ${list.readsOther ? join : ""}`;
      const sql = `SELECT COUNT(*) AS "n" ${from} WHERE ${counted.where.join(" AND ")}`;
      const [row] = await query<{ n: unknown }>(db, sql, counted.params);
      return toInt(row?.n);
    };
    const desc = order !== "OLDEST";
    const op = desc ? "<" : ">";
    const dir = desc ? "DESC" : "ASC";
    const { where, params } = list;
    if (cursor && byMutual) {
      where.push(`(i."mutualCount" < :m OR (i."mutualCount" = :m AND
          (i."sentAt" < :t OR (i."sentAt" = :t AND i."id" < :id))))`);
      Object.assign(params, { m: cursor[0], t: new Date(cursor[1]), id: cursor[2] });
    } else if (cursor) {
      where.push(`(i."sentAt" ${op} :t OR (i."sentAt" = :t AND i."id" ${op} :id))`);
      Object.assign(params, { t: new Date(cursor[0]), id: cursor[1] });
    }
    const orderBy = byMutual
      ? `i."mutualCount" DESC, i."sentAt" DESC, i."id" DESC`
      : `i."sentAt" ${dir}, i."id" ${dir}`;
    const rows = await query<Record<string, unknown>>(
      db,
      `SELECT ${fields ? invitationColumnsFor(fields) : INVITATION_COLUMNS},
          ${memberColumnsAs("o", "o_", fields)} FROM "invitation" i ${join}
        WHERE ${where.join(" AND ")} ORDER BY ${orderBy} LIMIT ${size + 1}`,
      params,
    );
    return toPage(
      rows,
      size,
      totalCount,
      (row) =>
        this.deps.cursors.encode(
          byMutual
            ? [toInt(row.mutualCount), toDate(row.sentAt).getTime(), row.id as string]
            : [toDate(row.sentAt).getTime(), row.id as string],
          list.scope,
        ),
      (row) => {
        const record = invitationFromRow(row);
        return {
          invitation: this.view(record, viewerId)!,
          other: memberFromRow(row, "o_"),
          mutualCount: OPEN_STATUSES.includes(record.status) ? record.mutualCount : null,
        };
      },
    );
  }

  /**
   * Runs one lifecycle transition inside `em`: writes the next state, applies its effects
   * (connection, notifications, report) and queues its signals for after the commit.
   * Returns the invitation as the actor sees it, and whose reads changed.
   */
  private async apply(
    em: EntityManager,
    record: InvitationRecord,
    action: Action,
    actorId: string,
    now: Date,
    message: string | null,
    out: { signals: Signal[]; reportReason?: string },
  ): Promise<{ invitation: Invitation; changes: Changes }> {
    const { signals, ...extra } = out;
    const result = transition(record, action, actorId, now, message);
    if (!result.ok) throw new AppError(result.code, result.message);
    let changes = changedBy(record, { ...record, ...result.next }, actorId);
    const previous = record.status;
    const changed = result.next.status !== previous;
    let update: PriorWrite | null = null;
    // Ignoring or reporting cancels the recipient's own reminder (the lifecycle's ignore row).
    const cancelsReminder = action === "ignore" || action === "report";
    if (changed || cancelsReminder) {
      const set: Record<string, unknown> = {
        ...(changed ? result.next : {}),
        ...(cancelsReminder ? { remindAt: null } : {}),
      };
      const columns = Object.keys(set).map((c) => `"${c}" = :set_${c}`);
      const params = Object.fromEntries(Object.entries(set).map(([c, v]) => [`set_${c}`, v]));
      // Only from the state the rules were checked against: a job (expiry) that changed it
      // meanwhile makes this transaction start over and decide again.
      update = {
        sql: `UPDATE "invitation" SET ${columns.join(", ")}
          WHERE "id" = :u_id AND "status" = :u_previous`,
        params: { ...params, u_id: record.id, u_previous: previous },
      };
    }
    Object.assign(record, changed ? result.next : {});
    for (const effect of result.effects) {
      // The update goes in with the notification when that is the next write (a decline: one
      // statement on PostgreSQL), else before any other write.
      const carries = update && effect.type === "notify";
      if (update && !carries && WRITES[effect.type]) update = await this.run(em, update);
      const done = await this.applyEffect(
        em,
        record,
        effect,
        now,
        signals,
        extra,
        carries ? update! : undefined,
      );
      if (carries) update = null;
      changes = changes.and(done);
    }
    if (update) await this.run(em, update);
    return { invitation: this.view(record, actorId)!, changes };
  }

  /** Runs a write that must change its row (else the transaction starts over); null after. */
  private async run(em: EntityManager, write: PriorWrite): Promise<null> {
    if ((await execute(em, write.sql, write.params)) === 0) throw new RetryTransaction();
    return null;
  }

  private async applyEffect(
    em: EntityManager,
    record: InvitationRecord,
    effect: Effect,
    now: Date,
    signals: Signal[],
    extra: { reportReason?: string },
    prior?: PriorWrite,
  ): Promise<Changes> {
    switch (effect.type) {
      case "connect":
        return this.connections.connect(em, record.senderId, record.recipientId);
      case "notify": {
        const to = effect.to === "sender" ? record.senderId : record.recipientId;
        const actor = effect.to === "sender" ? record.recipientId : record.senderId;
        signals.push(
          (await this.notifications.add(
            em,
            {
              recipientId: to,
              kind: effect.kind,
              actorId: actor,
              invitationId: record.id,
              message: record.responseMessage,
            },
            prior,
          ))!,
        );
        return Changes.of(to);
      }
      case "publish":
        signals.push(PUBLISHED[effect.topic](record, now));
        return Changes.none;
      case "retractReceivedNotification":
        // Nothing to write: a withdrawn invitation's INVITATION_RECEIVED is hidden when listed,
        // and the recipient's view of the invitation changed (changedBy).
        return Changes.none;
      case "recordReport":
        await em.insert(ReportRecord, {
          id: randomUUID(),
          reporterId: record.recipientId,
          senderId: record.senderId,
          invitationId: record.id,
          reason: extra.reportReason ?? "I_DONT_KNOW",
          createdAt: now,
        });
        await restrictIfReported(em, this.deps.config, record.senderId, now);
        // Reports are read by no one through the API (a restriction only sets the sender's
        // later invitations aside, which changes nothing anyone reads now).
        return Changes.none;
    }
  }

  /** After a decline or a withdraw the same sender waits `cooldownMs` before inviting again. */
  private refuseDuringCooldown(respondedAt: Date, now: Date): never {
    const until = new Date(respondedAt.getTime() + this.deps.config.cooldownMs);
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
    // Lock the pair first, then read the state: it is what a concurrent winner left.
    if (lock) await lockInvitationParties(em, id);
    const found = await this.readForParty(em, viewerId, id);
    return found?.unblocked ? found.record : null;
  }

  /** The invitation (if the viewer is a party) and whether no block stands between the two. */
  private async readForParty(em: EntityManager, viewerId: string, id: string) {
    const [row] = await query<Record<string, unknown>>(
      em,
      `SELECT ${INVITATION_COLUMNS}, ${noBlockBetween(`i."senderId"`, `i."recipientId"`)} AS "unblocked"
         FROM "invitation" i WHERE i."id" = :id`,
      { id },
    );
    if (!row || (row.senderId !== viewerId && row.recipientId !== viewerId)) return null;
    return { record: invitationFromRow(row), unblocked: toBool(row.unblocked) };
  }

  /** Trims an optional text; empty becomes null; too long is BAD_USER_INPUT. */
  private checkText(text: string | null | undefined, max: number, field: string): string | null {
    const trimmed = text?.trim();
    if (!trimmed) return null;
    if (trimmed.length > max) throw badInput(`${field} must be at most ${max} characters.`, field);
    return trimmed;
  }
}
