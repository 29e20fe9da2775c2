import type { EntityManager } from "typeorm";
import type { Config } from "../config";
import { rateLimited } from "../common/errors";
import { InvitationRecord } from "./invitation.entity";
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
  await checkReportSuspension(em, config, senderId, now);

  const weekAgo = new Date(now.getTime() - WEEK_MS);
  const week: { n: number | string; oldest: string | Date | null } | undefined = await em
    .createQueryBuilder(InvitationRecord, "i")
    .select("COUNT(*)", "n")
    .addSelect("MIN(i.sentAt)", "oldest")
    .where("i.senderId = :senderId AND i.sentAt > :weekAgo", { senderId, weekAgo })
    .getRawOne();
  if (Number(week?.n ?? 0) >= config.weeklyInviteLimit) {
    // One slot frees up when the oldest invitation of the window turns a week old.
    const oldest = toDate(week!.oldest) ?? now;
    throw rateLimited(
      `You can send at most ${config.weeklyInviteLimit} invitations in 7 days.`,
      oldest.getTime() + WEEK_MS - now.getTime(),
    );
  }

  const open: { n: number | string; oldest: string | Date | null } | undefined = await em
    .createQueryBuilder(InvitationRecord, "i")
    .select("COUNT(*)", "n")
    .addSelect("MIN(i.sentAt)", "oldest")
    .where("i.senderId = :senderId AND i.status IN (:...open)", {
      senderId,
      open: OPEN_STATUSES,
    })
    .getRawOne();
  if (Number(open?.n ?? 0) >= config.pendingInviteLimit) {
    // Without a withdraw, a slot frees up when the oldest open invitation expires.
    const oldest = toDate(open!.oldest) ?? now;
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
): Promise<void> {
  const since = new Date(now.getTime() - config.reportWindowMs - config.reportSuspensionMs);
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

/** Raw aggregate values come back as strings on SQLite. */
function toDate(value: string | Date | null): Date | null {
  if (value === null) return null;
  if (value instanceof Date) return value;
  // TypeORM stores SQLite datetimes as UTC "YYYY-MM-DD HH:MM:SS.SSS".
  return new Date(value.replace(" ", "T") + "Z");
}
