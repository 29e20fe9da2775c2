import type { QueryRunner } from "typeorm";
import { DateUtils } from "typeorm/util/DateUtils";
import { toDate } from "../sql";

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * The defaults of REPORT_SUSPENSION_THRESHOLD, REPORT_WINDOW_DAYS and REPORT_SUSPENSION_DAYS:
 * a migration runs before the configuration reaches the database layer. A deployment that
 * changed them gets, for the restrictions running when it upgrades, the default rule.
 */
const THRESHOLD = 5;
const WINDOW_MS = 30 * DAY_MS;
const SUSPENSION_MS = 7 * DAY_MS;

/**
 * Sets `member.restrictedUntil` for the senders restricted when the migration runs, by the rule
 * that decided it at each send before (a sliding window over the reports: the first moment
 * THRESHOLD distinct reporters fall within WINDOW_MS starts SUSPENSION_MS). Reports are few;
 * they are read whole and weighed here, the same code on both engines.
 */
export async function fillRestrictedUntil(
  queryRunner: QueryRunner,
  now = new Date(),
): Promise<void> {
  const postgres = queryRunner.connection.options.type === "postgres";
  const rows = (await queryRunner.query(
    'SELECT "senderId", "reporterId", "createdAt" FROM "report" ORDER BY "senderId", "createdAt"',
  )) as { senderId: string; reporterId: string; createdAt: unknown }[];
  const bySender = new Map<string, { reporterId: string; at: number }[]>();
  for (const r of rows) {
    const list = bySender.get(r.senderId) ?? [];
    list.push({ reporterId: r.reporterId, at: toDate(r.createdAt).getTime() });
    bySender.set(r.senderId, list);
  }
  for (const [senderId, reports] of bySender) {
    let until = 0;
    for (let end = 0; end < reports.length; end++) {
      const at = reports[end].at;
      const reporters = new Set<string>();
      for (let i = end; i >= 0 && at - reports[i].at <= WINDOW_MS; i--) {
        reporters.add(reports[i].reporterId);
      }
      if (reporters.size >= THRESHOLD) until = Math.max(until, at + SUSPENSION_MS);
    }
    if (until <= now.getTime()) continue;
    const value = postgres
      ? new Date(until).toISOString()
      : DateUtils.mixedDateToUtcDatetimeString(new Date(until));
    await queryRunner.query(
      `UPDATE "member" SET "restrictedUntil" = ${postgres ? "$1" : "?"} WHERE "id" = ${postgres ? "$2" : "?"}`,
      [value, senderId],
    );
  }
}
