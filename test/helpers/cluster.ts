import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { Kind, parse, type FieldNode, type OperationDefinitionNode } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { Redis } from "ioredis";
import pg from "pg";
import WebSocket from "ws";

/**
 * Several real server processes on one PostgreSQL database and one Redis, as a load balancer
 * would see them. Each instance is `vite-node src/main.ts` in its own process (the source,
 * never a possibly stale `dist/`).
 */

/** Same prefix as test/helpers/server.ts: test/global-setup.ts drops these databases. */
const TEST_DB_PREFIX = "itest_";

const ROOT = resolve(__dirname, "../..");
const VITE_NODE = resolve(ROOT, "node_modules/vite-node/dist/cli.mjs");
/** The line `startServer` logs once it listens; the port is read from it. */
const READY_LINE = /Invitations API ready at http:\/\/[^\s/]+:(\d+)\/graphql/;

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One server process. */
export interface Instance {
  name: string;
  port: number;
  /** `http://127.0.0.1:PORT/graphql` */
  url: string;
  /** `ws://127.0.0.1:PORT/graphql` */
  wsUrl: string;
  /** `http://127.0.0.1:PORT/healthz` */
  healthUrl: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr, line by line. */
  logs: string[];
  /** Settles when the process has exited. */
  exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves with its exit. */
  stop(graceMs?: number): Promise<Exit>;
}

/** A fresh, empty PostgreSQL database next to `baseUrl`'s, named `itest_<label>_<random>`. */
export async function createTestDatabase(baseUrl: string, label = "cluster"): Promise<string> {
  const name = `${TEST_DB_PREFIX}${label}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Starts one server process with `env` on top of the test defaults (port 0 on 127.0.0.1,
 * NODE_ENV=test, jobs off). Resolves once it has logged its Sandbox URL and answered /healthz
 * with 200; rejects (with its log) if it exits first or takes longer than `readyTimeoutMs`.
 */
export async function startInstance(
  name: string,
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<Instance> {
  const child = spawn(process.execPath, [VITE_NODE, "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "test",
      JOBS_INTERVAL_SECONDS: "0",
      // Tests sign up and log in many members from 127.0.0.1 (test/abuse.test.ts covers the
      // per-address limits with small values).
      SIGNUP_MAX_PER_IP: "1000000",
      LOGIN_MAX_PER_IP: "1000000",
      // As startTestServer: notifications are not mailed (nothing written into ./data/mail).
      MAIL_NOTIFICATIONS: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<Exit>((res) => {
    child.once("exit", (code, signal) => res({ code, signal }));
  });

  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error(`${name}: not ready within ${readyTimeoutMs} ms\n${logs.join("\n")}`));
    }, readyTimeoutMs);
    const onLine = (line: string) => {
      logs.push(line);
      const m = READY_LINE.exec(line);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    };
    forwardLines(child.stdout!, onLine);
    forwardLines(child.stderr!, onLine);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited (${code ?? signal}) before it was ready\n${logs.join("\n")}`));
    });
  });

  const base = `http://127.0.0.1:${port}`;
  const instance: Instance = {
    name,
    port,
    url: `${base}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    healthUrl: `${base}/healthz`,
    child,
    logs,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
  // The log line comes once the server listens; /healthz then proves database and Redis.
  const health = await fetch(instance.healthUrl);
  if (health.status !== 200) {
    await instance.stop();
    throw new Error(`${name}: /healthz answered ${health.status}: ${await health.text()}`);
  }
  return instance;
}

/** `count` instances (named A, B, ...) on one database and one Redis, started together. */
export async function startCluster(opts: {
  count: number;
  databaseUrl: string;
  redisUrl: string;
  env?: Record<string, string>;
}): Promise<Instance[]> {
  const env = {
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    JWT_SECRET: "cluster-test-secret",
    ...opts.env,
  };
  const names = Array.from({ length: opts.count }, (_, i) => String.fromCharCode(65 + i));
  const started = await Promise.allSettled(names.map((n) => startInstance(n, env)));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stopAll(started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : [])));
    throw failed.reason;
  }
  return started.map((s) => (s as PromiseFulfilledResult<Instance>).value);
}

/** Stops every instance still running (SIGTERM, SIGKILL after the grace period). */
export async function stopAll(instances: Instance[]): Promise<Exit[]> {
  return Promise.all(instances.map((i) => i.stop()));
}

function forwardLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    lines.forEach(onLine);
  });
  stream.on("end", () => {
    if (buffered) onLine(buffered);
  });
}

// ---------------------------------------------------------------------------------------------
// Redis: when a subscription is really listening across instances

/**
 * Resolves once Redis reports at least `min` subscribers on every channel in `channels`
 * (`PUBSUB NUMSUB`): the server-side proof that an instance's subscription will receive what
 * another instance publishes. Rejects after `timeoutMs`.
 */
export async function waitForChannels(
  redis: Redis,
  channels: string[],
  timeoutMs = 5_000,
  min = 1,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = (await redis.pubsub("NUMSUB", ...channels)) as (string | number)[];
    const counts = new Map<string, number>();
    for (let i = 0; i < reply.length; i += 2) counts.set(String(reply[i]), Number(reply[i + 1]));
    const missing = channels.filter((c) => (counts.get(c) ?? 0) < min);
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`no Redis subscriber within ${timeoutMs} ms on ${missing.join(", ")}`);
    }
    // Polling Redis itself, the only witness shared by every instance.
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------------------------------------
// A small graphql-ws client (test/helpers/ws.ts waits on an in-process server event instead)

/** One socket with its subscriptions, and how it closed. */
export interface WsClient {
  /** Subscribes to `query`; its payloads (the root field's value) collect in the Sub. */
  subscribe(query: string, variables?: Record<string, unknown>): Sub;
  /** Resolves with the close code once the socket has closed. */
  closed: Promise<number>;
  close(): Promise<void>;
}

export interface Sub {
  field: string;
  events: unknown[];
  /** The next payload not yet taken; rejects after `timeoutMs` or on an error. */
  next(timeoutMs?: number): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Resolves if nothing beyond the payloads already taken arrives within `ms`. */
  expectNone(ms?: number): Promise<void>;
}

/** Opens a graphql-ws client on `wsUrl` as the member of `token`; no retries. */
export function wsClient(wsUrl: string, token: string): WsClient {
  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((r) => (resolveClosed = r));
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    onNonLazyError: () => {
      /* the close code is what the tests look at */
    },
  });
  client.on("closed", (e) => resolveClosed((e as { code: number }).code));

  return {
    closed,
    close: async () => {
      await client.dispose();
    },
    subscribe(query, variables) {
      const field = rootField(query);
      const events: unknown[] = [];
      let taken = 0;
      let failure: unknown = undefined;
      let wake: (() => void) | null = null;
      client.subscribe<Record<string, unknown>>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors?.length) failure = result.errors;
            else events.push(result.data?.[field]);
            wake?.();
          },
          error: (err) => {
            failure = err;
            wake?.();
          },
          complete: () => {
            failure ??= new Error("completed");
            wake?.();
          },
        },
      );
      const describe = (e: unknown) =>
        e && typeof e === "object" && "code" in e
          ? `socket closed ${(e as { code: number }).code}`
          : JSON.stringify(e);
      return {
        field,
        events,
        async next(timeoutMs = 5_000) {
          const deadline = Date.now() + timeoutMs;
          while (taken >= events.length) {
            if (failure !== undefined) throw new Error(`${field}: ${describe(failure)}`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`${field}: no event within ${timeoutMs} ms`);
            await new Promise<void>((r) => {
              const t = setTimeout(r, left);
              wake = () => {
                clearTimeout(t);
                wake = null;
                r();
              };
            });
          }
          return events[taken++];
        },
        async expectNone(ms = 500) {
          // Showing that nothing arrives takes a bounded wait.
          await new Promise((r) => setTimeout(r, ms));
          if (events.length > taken) {
            throw new Error(
              `${field}: expected nothing, got ${JSON.stringify(events.slice(taken))}`,
            );
          }
          if (failure !== undefined) throw new Error(`${field}: ${describe(failure)}`);
        },
      };
    },
  };
}

/** The root field of a subscription document, e.g. "notificationAdded". */
function rootField(query: string): string {
  const op = parse(query).definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const field = op?.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD);
  if (!field) throw new Error(`no root field in ${query}`);
  return field.name.value;
}
