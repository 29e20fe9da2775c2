/**
 * Runs the reminder and expiry jobs once: `npm run jobs`.
 *
 * Reads the same environment as the server (SQLITE_PATH, REMINDER_AFTER_DAYS,
 * EXPIRY_AFTER_DAYS, ...), works on the same database, and may run while servers run their
 * own interval jobs: every step is a conditional update, so nothing is sent twice. Reminders
 * it stores reach connected clients on their next live notification, or when they resume
 * with `notificationAdded(after:)` (an in-process pubsub does not cross processes).
 * Prints the report as one JSON line on stdout; exits 0, or 1 on any error.
 */
import "reflect-metadata";
import { systemClock } from "../src/common/clock";
import type { Deps } from "../src/common/deps";
import { createAppPubSub } from "../src/common/pubsub";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/data-source";
import { WriteQueue } from "../src/db/write-queue";
import { createServices } from "../src/services";

async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = await openDatabase(config.sqlitePath);
  try {
    const deps: Deps = {
      config,
      dataSource,
      queue: new WriteQueue(dataSource),
      pubSub: createAppPubSub(),
      clock: systemClock,
    };
    const services = createServices(deps);
    console.error(`jobs: running against ${config.sqlitePath}`);
    const report = await services.jobs.runOnce();
    console.log(JSON.stringify(report));
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("jobs failed:", err);
    process.exit(1);
  },
);
