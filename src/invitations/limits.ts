import type { EntityManager } from "typeorm";
import type { Config } from "../config";
import { rateLimited } from "../common/errors";
import { execute, query, toDateOrNull, toInt } from "../db/sql";
import { OPEN_STATUSES } from "./lifecycle";

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * SQL: the weekly cap counts invitation `w` (rule 14): a send counts
 * while its recipient exists for the sender. One to a member who now blocks the sender stops
 * counting, exactly as one to a member who deleted their account (gone with it) and one to an
 * id that never existed (refused): the sender's cap is the same in the three worlds. The
 * sender's own block does not free their sends (else block, unblock and invite again would
 * pass the cap).
 */
const COUNTS_THIS_WEEK = `NOT EXISTS (SELECT 1 FROM "block" wb
    WHERE wb."blockerId" = w."recipientId" AND wb."blockedId" = w."senderId")`;

/**
 * The counts the limits need, as columns of another statement (the send's one read of the
 * pair, `InvitationService.pairState`: a round trip less per send on PostgreSQL), with
 * `sendLimitParams`. `:senderId` names the sender.
 */
export const SEND_LIMIT_COLUMNS = `
  (SELECT COUNT(*) FROM "invitation" w
    WHERE w."senderId" = :senderId AND w."sentAt" > :weekAgo
      AND ${COUNTS_THIS_WEEK}) AS "weekCount",
  (SELECT MIN(w."sentAt") FROM "invitation" w
    WHERE w."senderId" = :senderId AND w."sentAt" > :weekAgo
      AND ${COUNTS_THIS_WEEK}) AS "weekOldest",
  (SELECT COUNT(*) FROM "invitation" o
    WHERE o."senderId" = :senderId AND o."status" IN (:...open)) AS "openCount",
  (SELECT MIN(o."sentAt") FROM "invitation" o
    WHERE o."senderId" = :senderId AND o."status" IN (:...open)) AS "openOldest",
  (SELECT rm."restrictedUntil" FROM "member" rm WHERE rm."id" = :senderId) AS "restrictedUntil"`;

/** The parameters of SEND_LIMIT_COLUMNS at `now` (besides `senderId`). */
export function sendLimitParams(now: Date): Record<string, unknown> {
  return { weekAgo: new Date(now.getTime() - WEEK_MS), open: OPEN_STATUSES };
}

/**
 * Limits against spam, checked inside the transaction that inserts the invitation, so
 * aliases in one request and concurrent requests are all counted (writes are serialized),
 * from the SEND_LIMIT_COLUMNS read in that transaction (`row`). The weekly and pending caps
 * depend only on what the sender did: reaching one throws RATE_LIMITED with `retryAfter`
 * (seconds). Reports are another member's hidden choice, so they never refuse a send: a
 * sender under the report restriction is told nothing (the result says to set the invitation
 * aside, rule 12), and finding out costs no statement of its own: the restriction was decided
 * when the report came (`restrictIfReported`) and is read with the pair.
 */
export function checkSendLimits(
  config: Config,
  now: Date,
  row: Record<string, unknown>,
): { restricted: boolean } {
  const until = toDateOrNull(row.restrictedUntil);
  const restricted = until !== null && until.getTime() > now.getTime();

  if (toInt(row.weekCount) >= config.weeklyInviteLimit) {
    // One slot frees up when the oldest invitation of the window turns a week old.
    const oldest = toDateOrNull(row.weekOldest) ?? now;
    throw rateLimited(
      `You can send at most ${config.weeklyInviteLimit} invitations in 7 days.`,
      oldest.getTime() + WEEK_MS - now.getTime(),
    );
  }
  if (toInt(row.openCount) >= config.pendingInviteLimit) {
    // Without a withdraw, a slot frees up when the oldest open invitation expires.
    const oldest = toDateOrNull(row.openOldest) ?? now;
    throw rateLimited(
      `You have ${config.pendingInviteLimit} invitations waiting for an answer; withdraw some first.`,
      oldest.getTime() + config.expiryAfterMs - now.getTime(),
    );
  }
  return { restricted };
}

/**
 * After a report of `senderId` at `now`, in its transaction: when `reportThreshold` different
 * members reported them within `reportWindowMs` (this report included), they are restricted
 * for `reportSuspensionMs` from now. Deciding here, once per report, rather than at each send
 * means a send runs the same statements whether or not anyone ever reported its sender.
 */
export async function restrictIfReported(
  em: EntityManager,
  config: Config,
  senderId: string,
  now: Date,
): Promise<void> {
  const [row] = await query<{ n: unknown }>(
    em,
    `SELECT COUNT(DISTINCT r."reporterId") AS "n" FROM "report" r
      WHERE r."senderId" = :senderId AND r."createdAt" >= :since`,
    { senderId, since: new Date(now.getTime() - config.reportWindowMs) },
  );
  if (toInt(row.n) < config.reportThreshold) return;
  await execute(em, `UPDATE "member" SET "restrictedUntil" = :until WHERE "id" = :senderId`, {
    senderId,
    until: new Date(now.getTime() + config.reportSuspensionMs),
  });
}
