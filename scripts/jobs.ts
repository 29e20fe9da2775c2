/**
 * Runs the reminder and expiry jobs once: `npm run jobs`.
 *
 * Reads the same environment as the server (SQLITE_PATH, REMINDER_AFTER_DAYS,
 * EXPIRY_AFTER_DAYS, ...), works on the same database, and may run while servers run their
 * own interval jobs: every step is a conditional update, so nothing is sent twice. With
 * REDIS_URL the reminders it stores are pushed live through the servers' shared pubsub;
 * without, they reach clients on their next live notification or when they resume with
 * `notificationAdded(after:)` (an in-process pubsub does not cross processes).
 * Prints the report as one JSON line on stdout; exits 0, or 1 on any error.
 */
import "reflect-metadata";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  try {
    console.error(`jobs: running against ${config.databaseUrl ? "PostgreSQL" : config.sqlitePath}`);
    const report = await app.services.jobs.runOnce();
    console.log(JSON.stringify(report));
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("jobs failed:", err);
    process.exit(1);
  },
);
