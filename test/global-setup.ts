/**
 * Runs once around the whole suite. On PostgreSQL it drops the databases the suite created
 * (before, for leftovers of an interrupted run; and after). On SQLite there is nothing to do.
 */
import pg from "pg";

const PREFIX = "itest_";

async function dropTestDatabases(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1",
      [PREFIX + "%"],
    );
    for (const { datname } of rows) {
      // Without FORCE: a database still in use belongs to a run going on beside this one
      // (two suites on one machine); it stays, and that run drops it when it ends.
      await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => undefined);
    }
  } finally {
    await admin.end();
  }
}

export async function setup(): Promise<void> {
  const where = process.env.DATABASE_URL
    ? `PostgreSQL (DATABASE_URL)${process.env.REDIS_URL ? " + Redis (REDIS_URL)" : ""}`
    : "SQLite only (set DATABASE_URL and REDIS_URL to also cover PostgreSQL + Redis; the two-instance tests are skipped)";
  console.log(`Integration suite database: ${where}`);
  await dropTestDatabases();
}

export async function teardown(): Promise<void> {
  await dropTestDatabases();
}
