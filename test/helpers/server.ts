import { createHash } from "node:crypto";
import { subscribe as onChannel } from "node:diagnostics_channel";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import type { DataSource } from "typeorm";
import type { Clock } from "../../src/common/clock";
import { loadConfig } from "../../src/config";
import type { Writer } from "../../src/db/writer";
import type { JobsReport } from "../../src/jobs/jobs.service";
import { startServer, type RunningServer } from "../../src/server";
import { SSE_CHANNELS } from "../../src/transport/sse";
import { WS_CHANNELS } from "../../src/transport/ws";

/**
 * A running server, with what tests look at that clients cannot: the data key it uses (to
 * restart on the same data), the database, and counters and signals of its parts.
 */
export interface TestServer extends RunningServer {
  sqlitePath: string;
  /** The database the writer writes to. */
  dataSource: DataSource;
  /** The writer every mutation goes through (tests hold a transaction open with it). */
  writer: Writer;
  /** SQL statements run so far (tests diff it around a request to catch N+1 queries). */
  queryCount(): number;
  /** Requests the GraphQL fast path answered so far (tests check which path served one). */
  fastPathCount(): number;
  /** Queries the response cache answered (hit), computed (miss) or was told to skip (bypass). */
  responseCacheCounts(): { hit: number; miss: number; bypass: number };
  /**
   * Emits "subscribed" `{ memberId, field, document }` once a subscription listens on the
   * server (`document`: the parsed document it runs, shared by subscriptions of the same text),
   * and "disconnected" `{ memberId, code }` once a member's socket has closed and its slot in
   * the per-member connection limit is free again. Over SSE (/graphql/stream) the same two
   * events, with `transport: "sse"` (and no `code`).
   */
  events: EventEmitter;
  /** Runs the reminder and expiry jobs once now (tests move a ManualClock, then call this). */
  runJobs(): Promise<JobsReport>;
}

/** Each server's "subscribed" / "disconnected" events, fed by the transport's channels. */
const serverEvents = new WeakMap<Server, EventEmitter>();
const forward =
  (event: string, extra: Record<string, unknown> = {}) =>
  (message: unknown) => {
    const { server, ...rest } = message as { server: Server };
    serverEvents.get(server)?.emit(event, { ...rest, ...extra });
  };
onChannel(WS_CHANNELS.subscribed, forward("subscribed"));
onChannel(WS_CHANNELS.closed, forward("disconnected"));
onChannel(SSE_CHANNELS.subscribed, forward("subscribed", { transport: "sse" }));
onChannel(SSE_CHANNELS.closed, forward("disconnected", { transport: "sse" }));

/** A running server with the hooks tests use (see TestServer). */
export function withTestHooks(server: RunningServer, sqlitePath: string): TestServer {
  const events = new EventEmitter();
  serverEvents.set(server.httpServer, events);
  const { app } = server;
  const { sources } = server.observability.metrics;
  return Object.assign(server, {
    sqlitePath,
    dataSource: app.deps.dataSource,
    writer: app.deps.writer,
    queryCount: () => app.counter.count,
    fastPathCount: () => sources.fastPath?.() ?? 0,
    responseCacheCounts: () => ({
      ...(sources.responseCache?.() ?? { hit: 0, miss: 0, bypass: 0 }),
    }),
    events,
    runJobs: () => app.services.jobs.runOnce(),
  });
}

/** The suite runs on PostgreSQL + Redis when these are set (see .ci/run), else on SQLite. */
export const DATABASE_URL = process.env.DATABASE_URL || null;
export const REDIS_URL = process.env.REDIS_URL || null;
export const ON_POSTGRES = DATABASE_URL !== null;

/** Prefix of the databases the suite creates on PostgreSQL (dropped by test/global-setup.ts). */
export const TEST_DB_PREFIX = "itest_";

const tempDirs: string[] = [];
// Each vitest worker is its own process: remove its temporary databases when it exits.
process.once("exit", () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts the real server on port 0 against fresh data: a new SQLite file under the OS temp
 * folder, or (with DATABASE_URL) a new PostgreSQL database. Pass `sqlitePath` of an earlier
 * server to restart on the same data. The caller must `await server.stop()` (afterAll).
 */
export async function startTestServer(
  opts: { clock?: Clock; sqlitePath?: string; env?: Record<string, string> } = {},
): Promise<TestServer> {
  let sqlitePath = opts.sqlitePath;
  if (!sqlitePath) {
    const dir = mkdtempSync(join(tmpdir(), "invitations-test-"));
    tempDirs.push(dir);
    sqlitePath = join(dir, "test.sqlite");
  }
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    SQLITE_PATH: sqlitePath,
    // Mail without SMTP_URL is written beside the test's database, not into ./data; and
    // notifications are not mailed unless a test asks (test/notification-mail.test.ts): the
    // mailer's work after a commit would land in other tests' statement counts.
    MAIL_DIR: join(dirname(sqlitePath), "mail"),
    MAIL_NOTIFICATIONS: "false",
    JWT_SECRET: "test-secret",
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL || "silent", // TEST_LOG_LEVEL=debug to read the logs
    // Every test signs up and logs in from 127.0.0.1: the per-address limits
    // (test/abuse.test.ts covers them with small values) would stop the suite.
    SIGNUP_MAX_PER_IP: "1000000",
    LOGIN_MAX_PER_IP: "1000000",
    ...opts.env,
  };
  if (DATABASE_URL) env.DATABASE_URL = await testDatabase(sqlitePath);
  if (REDIS_URL) env.REDIS_URL = REDIS_URL;
  const config = loadConfig(env);
  return withTestHooks(await startServer({ config, clock: opts.clock, log: () => {} }), sqlitePath);
}

/** The URL of the PostgreSQL database for a data key, created on first use. */
export async function testDatabase(key: string): Promise<string> {
  const name = TEST_DB_PREFIX + createHash("sha1").update(key).digest("hex").slice(0, 16);
  const admin = new pg.Client({ connectionString: DATABASE_URL! });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}
