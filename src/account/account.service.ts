import type { EntityManager } from "typeorm";
import { TOKEN_REFUSED } from "../auth/authenticate";
import { DUMMY_HASH, verifyPassword } from "../auth/password";
import { noBlockBetween } from "../blocks/visibility";
import { unauthenticated } from "../common/errors";
import { Topic } from "../common/pubsub";
import type { ConnectionService } from "../connections/connection.service";
import { Changes, existenceKey, written } from "../db/changes";
import { lockMembers } from "../db/locks";
import { execute, query, toDate, toDateOrNull } from "../db/sql";
import type { Deps } from "../deps";
import { INVITATION_COLUMNS, invitationFromRow } from "../invitations/invitation.entity";
import { receivedBucket, viewAs } from "../invitations/lifecycle";
import { Member } from "../members/member.entity";
import type { NotificationService } from "../notifications/notification.service";

/** What `deleteAccount` answers for a password that is not the member's. */
export const WRONG_PASSWORD = "Wrong password.";

/** A JSON document (`accountExport`): only what JSON holds, dates as ISO 8601 strings. */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * Everyone the member has any stored relation with: whose reads their deletion changes. (Every
 * notification naming the member as its actor is about an invitation with them, whose other
 * party is among these: the notification table has no index on its actor.)
 */
const RELATED = `
  SELECT i."recipientId" AS "id" FROM "invitation" i WHERE i."senderId" = :id
  UNION SELECT i."senderId" FROM "invitation" i WHERE i."recipientId" = :id
  UNION SELECT c."otherId" FROM "connection" c WHERE c."memberId" = :id
  UNION SELECT b."blockedId" FROM "block" b WHERE b."blockerId" = :id
  UNION SELECT b."blockerId" FROM "block" b WHERE b."blockedId" = :id
  UNION SELECT r."senderId" FROM "report" r WHERE r."reporterId" = :id
  UNION SELECT r."reporterId" FROM "report" r WHERE r."senderId" = :id`;

/**
 * A member's own account: its deletion, and everything they may see about themselves as one
 * document.
 *
 * A deleted member looks to everyone else exactly like one who never existed, and so like a
 * blocker (rule 14): their row goes, and with it (foreign keys, ON DELETE CASCADE) their
 * invitations either way, connections, blocks either way, reports and notifications. What is
 * kept elsewhere for them is the same as a blocker's: the connections they ended moved the
 * stored counts of other invitations (ConnectionService.disconnect), the notifications others
 * hold about them keep only their place in the sequence (NotificationService.erase), and a
 * send to them no longer counts against the sender's weekly cap (invitations/limits.ts).
 */
export class AccountService {
  constructor(
    private readonly deps: Deps,
    private readonly connections: ConnectionService,
    private readonly notifications: NotificationService,
  ) {}

  /**
   * `deleteAccount(password)`: the password is checked first, outside the write (scrypt is
   * slow, and SQLite's writer runs one transaction at a time); then one transaction ends every
   * connection, erases what others hold about the member and deletes the row. Nothing is
   * stored for or published to anyone else; the member's own sockets close (Authenticator).
   */
  async delete(viewerId: string, password: string): Promise<boolean> {
    const member = await this.deps.reads
      .getRepository(Member)
      .findOne({ where: { id: viewerId }, select: { id: true, passwordHash: true } });
    const ok = await verifyPassword(password, member?.passwordHash ?? DUMMY_HASH);
    // Gone meanwhile (a deletion that raced this one): what the token now gets anywhere.
    if (!member) throw unauthenticated(TOKEN_REFUSED);
    if (!ok) throw unauthenticated(WRONG_PASSWORD);
    return this.deps.writer.transaction(async (em, signals) => {
      const related = await this.lock(em, viewerId);
      // Also the member's existence: their tokens are refused at once (auth/authenticate.ts).
      let changes = Changes.directory(viewerId, existenceKey(viewerId), ...related.all);
      for (const other of related.connected) {
        // The stored mutual counts of other invitations, and whose reads the edge moved.
        changes = changes.and(await this.connections.disconnect(em, viewerId, other));
      }
      await this.notifications.erase(em, viewerId);
      // Mail not yet sent to the account's address goes with it (the outbox holds addresses,
      // not members: no foreign key cascades there).
      await execute(
        em,
        `DELETE FROM "mail_outbox" WHERE "to" = (SELECT "email" FROM "member" WHERE "id" = :id)`,
        { id: viewerId },
      );
      const result = await em.delete(Member, { id: viewerId });
      if ((result.affected ?? 0) === 0) throw unauthenticated(TOKEN_REFUSED);
      // To the member alone: their open sockets close, on every instance.
      signals.push({ topic: Topic.AccountDeleted, memberId: viewerId, payload: {} });
      // The member, everyone related to them, the neighbours of each connection ended, and
      // the directory (search and suggestions no longer hold them).
      return written(true, changes);
    });
  }

  /**
   * On PostgreSQL, locks the member and their connections (the pairs whose connection ends
   * here, as `removeConnection` locks them), in id order; then reads everyone related. Any
   * operation that adds a relation with the member locks the member first, so once the
   * member's row is locked the set cannot grow; a connection made between the first read and
   * the lock is locked after (a deadlock, should one follow, is retried by the writer).
   */
  private async lock(
    em: EntityManager,
    id: string,
  ): Promise<{ all: string[]; connected: string[] }> {
    const connectedTo = async () =>
      (
        await query<{ otherId: string }>(
          em,
          `SELECT c."otherId" FROM "connection" c WHERE c."memberId" = :id ORDER BY c."otherId"`,
          { id },
        )
      ).map((r) => r.otherId);
    const before = await connectedTo();
    await lockMembers(em, [id, ...before]);
    const connected = await connectedTo();
    const late = connected.filter((c) => !before.includes(c));
    if (late.length) await lockMembers(em, late);
    const all = (await query<{ id: string }>(em, RELATED, { id })).map((r) => r.id);
    return { all, connected };
  }

  /**
   * `accountExport`: everything the viewer may see about themselves, as they see it, in one
   * document: their profile and settings, the invitations they sent (through `viewAs`: one
   * the recipient ignored or set aside is PENDING here, exactly as in `sentInvitations`) and
   * received (with the list each sits in and their own reminder), their connections, their
   * notifications and the members they blocked (never who blocked them). Nothing hidden from
   * them by a block appears. No clock is read: the same data gives the same document.
   */
  async export(viewerId: string): Promise<JsonObject> {
    const db = this.deps.reads;
    const member = await db.getRepository(Member).findOneBy({ id: viewerId });
    if (!member) throw unauthenticated(TOKEN_REFUSED);
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    const person = (id: string, name: string) => ({ id, name });

    // Invitations either way, as the lists show them: none closed by a block or of a pair
    // with a block between them. Newest first.
    const invitations = await query<Record<string, unknown>>(
      db,
      `SELECT ${INVITATION_COLUMNS}, s."name" AS "senderName", r."name" AS "recipientName"
         FROM "invitation" i
         INNER JOIN "member" s ON s."id" = i."senderId"
         INNER JOIN "member" r ON r."id" = i."recipientId"
        WHERE (i."senderId" = :id OR i."recipientId" = :id) AND i."status" != 'CLOSED_BY_BLOCK'
          AND ${noBlockBetween(`i."senderId"`, `i."recipientId"`)}
        ORDER BY i."sentAt" DESC, i."id" DESC`,
      { id: viewerId },
    );
    const sent: Json[] = [];
    const received: Json[] = [];
    for (const row of invitations) {
      const record = invitationFromRow(row);
      const view = viewAs(record, viewerId);
      if (!view) continue;
      const shown = {
        id: record.id,
        sender: person(record.senderId, row.senderName as string),
        recipient: person(record.recipientId, row.recipientName as string),
        message: record.message,
        status: view.status,
        sentAt: iso(record.sentAt),
        respondedAt: iso(view.respondedAt),
        responseMessage: view.responseMessage,
      };
      if (record.senderId === viewerId) sent.push(shown);
      else {
        // The recipient's own: which list it sits in, and the reminder they asked for.
        received.push({
          ...shown,
          list: receivedBucket(record.status),
          remindAt: iso(record.remindAt),
        });
      }
    }

    const connections = await query<Record<string, unknown>>(
      db,
      `SELECT m."id", m."name", m."email", m."headline", m."employer", m."industry", m."school",
          c."createdAt" FROM "connection" c INNER JOIN "member" m ON m."id" = c."otherId"
        WHERE c."memberId" = :id AND ${noBlockBetween(":id", `c."otherId"`)}
        ORDER BY c."createdAt" DESC, c."otherId" DESC`,
      { id: viewerId },
    );

    const notifications = await this.notifications.all(viewerId);
    const actorIds = [...new Set(notifications.flatMap((n) => (n.actorId ? [n.actorId] : [])))];
    const actors = new Map(
      actorIds.length === 0
        ? []
        : (
            await query<{ id: string; name: string }>(
              db,
              `SELECT m."id", m."name" FROM "member" m WHERE m."id" IN (:...ids)`,
              { ids: actorIds },
            )
          ).map((m) => [m.id, m.name]),
    );

    const blocked = await query<Record<string, unknown>>(
      db,
      `SELECT m."id", m."name", b."createdAt" FROM "block" b
         INNER JOIN "member" m ON m."id" = b."blockedId"
        WHERE b."blockerId" = :id ORDER BY b."createdAt" DESC, b."blockedId" ASC`,
      { id: viewerId },
    );

    return {
      profile: {
        id: member.id,
        name: member.name,
        email: member.email,
        headline: member.headline,
        employer: member.employer,
        industry: member.industry,
        school: member.school,
        createdAt: iso(member.createdAt),
      },
      // As `invitationSettings` shows them.
      settings: {
        whoCanInvite: member.whoCanInvite,
        notifyOnInvitation: member.notifyOnInvitation,
        reminders: member.reminders,
        policy: {
          newAccounts: member.policyNewAccounts,
          noMutualConnections: member.policyNoMutual,
          restrictedSenders: member.policyRestricted,
          outsideNetwork: member.policyOutsideNetwork,
        },
        pausedUntil: iso(member.pausedUntil),
      },
      invitationsSent: sent,
      invitationsReceived: received,
      connections: connections.map((c) => ({
        id: c.id as string,
        name: c.name as string,
        email: c.email as string,
        headline: (c.headline as string | null) ?? null,
        employer: (c.employer as string | null) ?? null,
        industry: (c.industry as string | null) ?? null,
        school: (c.school as string | null) ?? null,
        connectedAt: iso(toDate(c.createdAt)),
      })),
      notifications: notifications.map((n) => ({
        id: n.id,
        kind: n.kind,
        actor: n.actorId ? person(n.actorId, actors.get(n.actorId) ?? "") : null,
        invitationId: n.invitationId,
        message: n.message,
        read: n.read,
        createdAt: iso(n.createdAt),
      })),
      blockedMembers: blocked.map((b) => ({
        id: b.id as string,
        name: b.name as string,
        blockedAt: iso(toDateOrNull(b.createdAt)),
      })),
    };
  }
}
