import type { EntityManager } from "typeorm";
import type { Config } from "../config";
import { rateLimited } from "../common/errors";
import { query, toBool, toDateOrNull, toInt } from "../db/sql";
import { OPEN_STATUSES } from "./lifecycle";
import { ReportRecord } from "./report.entity";

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Limits against spam, checked inside the transaction that inserts the invitation, so
 * aliases in one request and concurrent requests are all counted (writes are serialized).
 * Throws RATE_LIMITED with `retryAfter` (seconds) when one is reached.
 */
export async function checkSendLimits(
  em: EntityManager,
  config: Config,
  senderId: string,
  now: Date,
): Promise<void> {
  const weekAgo = new Date(now.getTime() - WEEK_MS);
  const since = new Date(now.getTime() - config.reportWindowMs - config.reportSuspensionMs);
  // Every count in one statement: this runs on every send.
  const [row] = await query<Record<string, unknown>>(
    em,
    `SELECT
       (SELECT COUNT(*) FROM "invitation" w
         WHERE w."senderId" = :senderId AND w."sentAt" > :weekAgo) AS "weekCount",
       (SELECT MIN(w."sentAt") FROM "invitation" w
         WHERE w."senderId" = :senderId AND w."sentAt" > :weekAgo) AS "weekOldest",
       (SELECT COUNT(*) FROM "invitation" o
         WHERE o."senderId" = :senderId AND o."status" IN (:...open)) AS "openCount",
       (SELECT MIN(o."sentAt") FROM "invitation" o
         WHERE o."senderId" = :senderId AND o."status" IN (:...open)) AS "openOldest",
       EXISTS (SELECT 1 FROM "report" r
         WHERE r."senderId" = :senderId AND r."createdAt" > :since) AS "reportedLately"`,
    { senderId, weekAgo, open: OPEN_STATUSES, since },
  );
  if (toBool(row.reportedLately)) await checkReportSuspension(em, config, senderId, now, since);

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
}

/**
 * A sender reported by `reportThreshold` different members within `reportWindowMs` cannot
 * send for `reportSuspensionMs`, counted from the report that reached the threshold.
 */
async function checkReportSuspension(
  em: EntityManager,
  config: Config,
  senderId: string,
  now: Date,
  since: Date,
): Promise<void> {
  const reports = await em
    .createQueryBuilder(ReportRecord, "r")
    .where("r.senderId = :senderId AND r.createdAt > :since", { senderId, since })
    .orderBy("r.createdAt", "ASC")
    .getMany();
  // Slide a window over the reports: the first moment `reportThreshold` distinct reporters
  // fall within `reportWindowMs` starts a suspension.
  for (let end = 0; end < reports.length; end++) {
    const at = reports[end].createdAt.getTime();
    const reporters = new Set<string>();
    for (let i = end; i >= 0 && at - reports[i].createdAt.getTime() <= config.reportWindowMs; i--) {
      reporters.add(reports[i].reporterId);
    }
    if (reporters.size >= config.reportThreshold) {
      const until = at + config.reportSuspensionMs;
      if (until > now.getTime()) {
        throw rateLimited("You cannot send invitations for now.", until - now.getTime());
      }
    }
  }
}
