/**
 * The servers under test and their databases: the built server started as separate processes
 * (production mode, 127.0.0.1, a free port each) on a SQLite file, or two of them on one
 * PostgreSQL database and one Redis; and the throwaway PostgreSQL databases the bench seeds.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import Redis from "ioredis";
import pg from "pg";
import type { ServerEndpoint } from "./types";

/** The built entry point: dist/src/main.js beside this file's dist/scripts/bench/. */
const MAIN = resolve(__dirname, "../../src/main.js");

export interface ServerProcess extends ServerEndpoint {
  stop(): Promise<void>;
}

/** Where the servers keep their data: a SQLite file, or PostgreSQL and Redis. */
export type Storage =
  | { engine: "sqlite"; sqlitePath: string }
  | { engine: "postgres"; databaseUrl: string; redisUrl: string };

export interface StartOptions {
  jwtSecret: string;
  /** Required by /metrics in production; the HTTP scenarios read the response cache's counts. */
  metricsToken: string;
  /** Directory for V8 CPU profiles (`node --cpu-prof`), or null. */
  cpuProf: string | null;
}

/**
 * Starts `count` servers on `storage` at once; resolves once all of them answer /healthz. On
 * PostgreSQL they share the database, Redis and the JWT secret, so a token, a write or an event
 * made through one is good on the other.
 */
export async function startServers(
  storage: Storage,
  count: number,
  opts: StartOptions,
): Promise<ServerProcess[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startServerProcess(storage, opts)),
  );
  const servers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failure = started.find((s) => s.status === "rejected");
  if (failure) {
    await Promise.allSettled(servers.map((s) => s.stop()));
    throw (failure as PromiseRejectedResult).reason;
  }
  return servers;
}

/** Starts `node dist/src/main.js` on `storage`; resolves once it listens. */
async function startServerProcess(storage: Storage, opts: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    JWT_SECRET: opts.jwtSecret,
    // /metrics behind a token (it is off in production without one): the HTTP scenarios note
    // how many answers the response cache gave.
    METRICS_TOKEN: opts.metricsToken,
    PORT: String(port),
    HOST: "127.0.0.1",
    JOBS_INTERVAL_SECONDS: "0",
    WEEKLY_INVITATION_LIMIT: "100000",
    PENDING_INVITATION_LIMIT: "100000",
    // The bench signs up thousands of members from one address, and idle-sockets holds
    // 10 sockets per member: the abuse limits are not what it measures.
    SIGNUP_MAX_PER_IP: "1000000",
    LOGIN_MAX_PER_IP: "1000000",
    WS_MAX_CONNECTIONS_PER_MEMBER: "1000000",
    // Production verifies addresses by mail; the bench's members must be usable at once.
    EMAIL_VERIFICATION: "false",
    // One JSON log line per request (the production default, `info`) would also cost this
    // process reading the pipe; the bench measures the API, so warnings only unless asked.
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  };
  // The data was seeded where `storage` says: the server must read that, not another engine
  // named by the caller's environment.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  if (storage.engine === "sqlite") env.SQLITE_PATH = storage.sqlitePath;
  else {
    env.DATABASE_URL = storage.databaseUrl;
    env.REDIS_URL = storage.redisUrl;
  }
  // --cpu-prof is refused in NODE_OPTIONS: it must be an argument of node itself.
  const profArgs = opts.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProf}`] : [];
  const child = spawn(process.execPath, [...profArgs, MAIN], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const outputTail: string[] = [];
  // Both streams are read (a full pipe would stall the server); the last lines explain a crash.
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      outputTail.push(line);
      if (outputTail.length > 30) outputTail.shift();
    });
  }
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));

  // The server logs JSON at LOG_LEVEL (warnings only here), so it is not asked where it
  // listens: it gets a free port and is polled on /healthz until it answers.
  const deadline = Date.now() + 60_000;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(
        `the server exited (${exitCode}) before listening:\n${outputTail.join("\n")}`,
      );
    }
    if (Date.now() > deadline) {
      await stopProcess(child, exited);
      throw new Error("the server did not start within 60 s");
    }
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    stop: () => stopProcess(child, exited),
  };
}

/** A TCP port nothing listens on right now (the OS picks it; closed again at once). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createNetServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}

/** SIGTERM (the server closes sockets and the database), SIGKILL after 20 s. */
async function stopProcess(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL and Redis

/** A database made for one run; `drop` removes it (and the run's keys in Redis). */
export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database `bench_<random>` on the server of `adminUrl` (connecting to the
 * database that URL names), and returns its URL: the same URL with the new database's name.
 */
export async function createScratchDatabase(
  adminUrl: string,
  redisUrl: string,
): Promise<ScratchDatabase> {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  let dropped = false;
  return {
    name,
    url: databaseUrl,
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE: a server that was killed may leave its sessions behind for a moment.
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await clearRateLimitKeys(redisUrl, databaseUrl);
    },
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Deletes the sign-up and log-in counters the servers kept in Redis for this database. They
 * expire by themselves (AUTH_RATE_WINDOW_SECONDS), but a run signs up thousands of members.
 * The prefix is the server's own (`rl:<deployment>:`, the deployment a hash of DATABASE_URL,
 * see deploymentId in src/server.ts); if that changes, nothing matches and nothing is deleted.
 */
async function clearRateLimitKeys(redisUrl: string, databaseUrl: string): Promise<void> {
  const deployment = createHash("sha256").update(databaseUrl).digest("base64url").slice(0, 16);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => {
    /* connect() rejects with it */
  });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `rl:${deployment}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Fails early, with a readable message, when PostgreSQL or Redis cannot be reached. */
export async function checkServices(adminUrl: string, redisUrl: string): Promise<void> {
  try {
    await adminQuery(adminUrl, "SELECT 1");
  } catch (err) {
    throw new Error(`PostgreSQL at ${redact(adminUrl)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  // The first connection error says why (the rejection itself only says "closed").
  let reason: Error | null = null;
  redis.on("error", (err: Error) => (reason ??= err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    const message = (reason ?? (err as Error)).message;
    throw new Error(`Redis at ${redact(redisUrl)}: ${message}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}

/** The URL without its password, for logs and the results file. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}
