import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/observability";
import { startServer } from "../src/server";
import { act, inviteOk, signUp, type TestMember } from "./helpers/http";
import {
  DATABASE_URL,
  REDIS_URL,
  startTestServer,
  testDatabase,
  withTestHooks,
  type TestServer,
} from "./helpers/server";
import { closeAll, subscribe } from "./helpers/ws";

type LogLine = Record<string, unknown> & { msg: string };

/** A pino destination that keeps every line, and lets a test wait for one. */
class LogCapture {
  readonly lines: LogLine[] = [];
  text = "";
  private waiters: Array<() => void> = [];

  write(chunk: string): void {
    this.text += chunk;
    for (const line of chunk.split("\n")) if (line) this.lines.push(JSON.parse(line));
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The first line (already written or still to come) that `match` accepts. */
  async waitFor(match: (line: LogLine) => boolean, timeoutMs = 5_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such log line; got:\n${this.text}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }
}

const tempDirs: string[] = [];
/** The real server, with its logs at debug level going to `capture` instead of stdout. */
async function startCapturedServer(capture: LogCapture): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "invitations-obs-"));
  tempDirs.push(dir);
  const sqlitePath = join(dir, "test.sqlite");
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    SQLITE_PATH: sqlitePath,
    JWT_SECRET: "test-secret",
    NODE_ENV: "test",
    LOG_LEVEL: "debug",
    // No job run, and no notification mail, in the middle of the counts.
    JOBS_INTERVAL_SECONDS: "0",
    MAIL_NOTIFICATIONS: "false",
    MAIL_DIR: join(dir, "mail"),
    SIGNUP_MAX_PER_IP: "1000000",
    LOGIN_MAX_PER_IP: "1000000",
  };
  if (DATABASE_URL) env.DATABASE_URL = await testDatabase(sqlitePath);
  if (REDIS_URL) env.REDIS_URL = REDIS_URL;
  const config = loadConfig(env);
  return withTestHooks(
    await startServer({ config, log: () => {}, logger: createLogger(config.logLevel, capture) }),
    sqlitePath,
  );
}

const LOG_IN = `mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token member { id } }
}`;
const DECLINED = `subscription OnDeclined { invitationDeclined { message invitation { id } } }`;

// Response data is checked field by field; typing every shape adds nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = { data?: any; errors?: any[] };

/** POSTs an operation with extra headers; returns the response and its JSON body. */
async function post(
  server: TestServer,
  body: object,
  headers: Record<string, string> = {},
): Promise<{ res: Response; json: Body }> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { res, json: (await res.json()) as Body };
}

/** Scrapes /metrics (with a bearer token when given). */
async function scrape(server: TestServer, token?: string): Promise<Response> {
  const url = server.url.replace(/\/graphql$/, "/metrics");
  return fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** The samples of a Prometheus text exposition, by `name{label="value",...}` (labels sorted). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}="${v}"`)
      .sort()
      .join(",");
    out.set(`${m[1]}{${labels}}`, Number(m[3]));
  }
  return out;
}

/** One sample's value (0 when absent, as Prometheus reads a counter not yet created). */
function value(s: Map<string, number>, name: string, labels: Record<string, string> = {}) {
  const key = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(",");
  return s.get(`${name}{${key}}`) ?? 0;
}

/** The sum of a metric over all its label sets. */
function total(s: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [key, v] of s) if (key.startsWith(`${name}{`)) sum += v;
  return sum;
}

const capture = new LogCapture();
let server: TestServer;

beforeAll(async () => {
  server = await startCapturedServer(capture);
});
afterEach(closeAll);
afterAll(async () => {
  await server?.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("structured logs", () => {
  it("log each request as one JSON line: request id, operation, duration, outcome, never a secret", async () => {
    const password = `secret-${randomUUID()}`;
    const member = await signUp(server, { password });

    // The client's request id is kept and echoed.
    const logIn = await post(
      server,
      { query: LOG_IN, operationName: "LogIn", variables: { email: member.email, password } },
      { "x-request-id": "client-req-42" },
    );
    expect(logIn.res.headers.get("x-request-id")).toBe("client-req-42");
    const token: string = logIn.json.data.logIn.token;
    const line = await capture.waitFor((l) => l.reqId === "client-req-42");
    expect(line).toMatchObject({
      level: "info",
      msg: "request completed",
      method: "POST",
      path: "/graphql",
      status: 200,
      operation: "LogIn",
      field: "logIn",
      type: "mutation",
      outcome: "ok",
      // The member logged in: logIn makes them the operation's viewer.
      memberId: member.id,
    });
    expect(typeof line.durationMs).toBe("number");
    expect(new Date(line.time as string).toISOString()).toBe(line.time);

    // A wrong password: its outcome is the error's code.
    const wrong = await post(
      server,
      { query: LOG_IN, variables: { email: member.email, password: `${password}-not` } },
      { "x-request-id": "wrong-password-1" },
    );
    expect(wrong.json.errors?.[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(await capture.waitFor((l) => l.reqId === "wrong-password-1")).toMatchObject({
      operation: "LogIn",
      outcome: "UNAUTHENTICATED",
    });

    // With a token: the line names the member. Without a sane id: a new UUID, echoed.
    const viewer = await post(
      server,
      { query: "query Me { viewer { id } }" },
      { authorization: `Bearer ${token}`, "x-request-id": "not a sane id!" },
    );
    expect(viewer.json.data.viewer.id).toBe(member.id);
    const generated = viewer.res.headers.get("x-request-id")!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(await capture.waitFor((l) => l.reqId === generated)).toMatchObject({
      operation: "Me",
      field: "viewer",
      type: "query",
      outcome: "ok",
      memberId: member.id,
    });
    const long = await post(
      server,
      { query: "{ viewer { id } }" },
      { "x-request-id": "a".repeat(129) },
    );
    expect(long.res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    // A bad token is refused before any operation runs; the request is still logged.
    const refused = await post(
      server,
      { query: "query Me { viewer { id } }" },
      { authorization: "Bearer not-a-token", "x-request-id": "bad-token-1" },
    );
    expect(refused.res.status).toBe(401);
    expect(await capture.waitFor((l) => l.reqId === "bad-token-1")).toMatchObject({
      status: 401,
      path: "/graphql",
    });

    // Subscriptions: connect, start, complete and close, with the connection's id.
    const sub = await subscribe(server, token, DECLINED);
    const connected = await capture.waitFor(
      (l) => l.msg === "ws connected" && l.memberId === member.id,
    );
    const connId = connected.connId;
    expect(typeof connId).toBe("string");
    expect(
      await capture.waitFor((l) => l.msg === "subscription started" && l.connId === connId),
    ).toMatchObject({ operation: "OnDeclined", field: "invitationDeclined", memberId: member.id });
    await sub.close();
    expect(
      await capture.waitFor((l) => l.msg === "subscription completed" && l.connId === connId),
    ).toMatchObject({ field: "invitationDeclined", outcome: "ok", delivered: 0 });
    expect(
      await capture.waitFor((l) => l.msg === "ws closed" && l.connId === connId),
    ).toMatchObject({ memberId: member.id, acknowledged: true });

    // A WebSocket's upgrade request may name the connection too; the 101 answer echoes it.
    const socket = new WebSocket(server.wsUrl, "graphql-transport-ws", {
      headers: { "x-request-id": "ws-conn-7" },
    });
    // ws emits "upgrade" and "open" in one go: listen for both first.
    const [[upgrade]] = (await Promise.all([once(socket, "upgrade"), once(socket, "open")])) as [
      [IncomingMessage],
      unknown,
    ];
    expect(upgrade.headers["x-request-id"]).toBe("ws-conn-7");
    socket.send(
      JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }),
    );
    expect(
      await capture.waitFor((l) => l.msg === "ws connected" && l.connId === "ws-conn-7"),
    ).toMatchObject({ memberId: member.id });
    socket.close(1000);
    expect(
      await capture.waitFor((l) => l.msg === "ws closed" && l.connId === "ws-conn-7"),
    ).toMatchObject({ code: 1000, acknowledged: true });

    // A logIn sent as a GET (refused: mutations need POST) carries the password in its URL.
    const query = new URLSearchParams({
      query: LOG_IN,
      variables: JSON.stringify({ email: member.email, password }),
    });
    const get = await fetch(`${server.url}?${query}`, {
      headers: { "apollo-require-preflight": "1", "x-request-id": "get-login-1" },
    });
    expect(get.status).toBe(405);
    expect(await capture.waitFor((l) => l.reqId === "get-login-1")).toMatchObject({
      method: "GET",
      path: "/graphql",
      status: 405,
    });

    // Never the password, the token, or an Authorization header, anywhere in the output.
    expect(capture.text).not.toContain(password);
    expect(capture.text).not.toContain(token);
    expect(capture.text).not.toContain(member.token);
    expect(capture.text).not.toContain("Bearer");
    expect(capture.text).not.toContain("not-a-token");
  });

  it("redact passwords and authorization headers even in an object logged whole", () => {
    const out = new LogCapture();
    const logger = createLogger("info", out);
    logger.info(
      {
        headers: { authorization: "Bearer abc.def.ghi" },
        variables: { email: "ada@example.com", password: "analytical-1" },
        connectionParams: { authorization: "Bearer abc.def.ghi" },
      },
      "oops",
    );
    expect(out.text).not.toContain("abc.def.ghi");
    expect(out.text).not.toContain("analytical-1");
    expect(out.lines[0]).toMatchObject({
      headers: { authorization: "[Redacted]" },
      variables: { email: "ada@example.com", password: "[Redacted]" },
    });
  });
});

describe("/metrics", () => {
  it("moves with real HTTP and WebSocket activity", async () => {
    const before = samples(await (await scrape(server)).text());
    const queriesBefore = server.queryCount();

    const ada: TestMember = await signUp(server);
    const bob: TestMember = await signUp(server);
    await post(server, { query: LOG_IN, variables: { email: ada.email, password: "wrong-1" } });
    await post(server, { query: LOG_IN, variables: { email: ada.email, password: ada.password } });

    // Refused before any operation runs: counted under `unknown` with its code.
    const badToken = { authorization: "Bearer not-a-token" };
    expect((await post(server, { query: "{ viewer { id } }" }, badToken)).res.status).toBe(401);

    const sub = await subscribe(server, ada.token, DECLINED);
    const during = samples(await (await scrape(server)).text());
    expect(value(during, "graphql_ws_connections")).toBe(
      value(before, "graphql_ws_connections") + 1,
    );
    expect(value(during, "graphql_subscriptions_active", { operation: "invitationDeclined" })).toBe(
      value(before, "graphql_subscriptions_active", { operation: "invitationDeclined" }) + 1,
    );

    // Refused over WebSocket before it runs: counted with its code, under `unknown`.
    await expect(subscribe(server, bob.token, "subscription { noSuchField }")).rejects.toThrow(
      /GRAPHQL_VALIDATION_FAILED/,
    );
    const id = await inviteOk(server, ada, bob.id, "Hello");
    await act(server, bob, "declineInvitation", id, "No, thanks");
    expect((await sub.next()).message).toBe("No, thanks");
    const after = samples(await (await scrape(server)).text());

    const moved = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);
    const op = (operation: string, type: string, outcome = "ok") => ({ operation, type, outcome });
    expect(moved("graphql_operations_total", op("signUp", "mutation"))).toBe(2);
    expect(moved("graphql_operations_total", op("logIn", "mutation"))).toBe(1);
    expect(moved("graphql_operations_total", op("logIn", "mutation", "UNAUTHENTICATED"))).toBe(1);
    expect(moved("graphql_operations_total", op("sendInvitation", "mutation"))).toBe(1);
    expect(moved("graphql_operations_total", op("declineInvitation", "mutation"))).toBe(1);
    expect(moved("graphql_operations_total", op("invitationDeclined", "subscription"))).toBe(1);
    expect(moved("graphql_operation_duration_seconds_count", op("logIn", "mutation"))).toBe(1);
    const refused = op("unknown", "unknown", "GRAPHQL_VALIDATION_FAILED");
    expect(moved("graphql_operations_total", refused)).toBe(1);
    expect(moved("graphql_operations_total", op("unknown", "unknown", "UNAUTHENTICATED"))).toBe(1);
    expect(moved("http_requests_total", { route: "/graphql", method: "POST", status: "401" })).toBe(
      1,
    );
    expect(
      moved("graphql_operation_duration_seconds_sum", op("logIn", "mutation")),
    ).toBeGreaterThan(0);
    expect(moved("pubsub_events_published_total", { topic: "INVITATION_DECLINED" })).toBe(1);
    expect(moved("pubsub_events_published_total", { topic: "INVITATION_RECEIVED" })).toBe(1);
    expect(moved("subscription_events_delivered_total", { operation: "invitationDeclined" })).toBe(
      1,
    );
    expect(moved("http_requests_total", { route: "/graphql", method: "POST", status: "200" })).toBe(
      6,
    );
    // Every SQL statement run meanwhile was timed, and nothing else.
    const queries = server.queryCount() - queriesBefore;
    expect(queries).toBeGreaterThan(0);
    expect(
      total(after, "db_query_duration_seconds_count") -
        total(before, "db_query_duration_seconds_count"),
    ).toBe(queries);
    // Process metrics from prom-client's defaults.
    expect(value(after, "process_cpu_user_seconds_total")).toBeGreaterThan(0);

    // The socket closes: both gauges come back down.
    // (bob's refused socket reports its own "disconnected" at some point: wait for ada's.)
    const disconnected = new Promise<void>((resolve) => {
      const onEvent = (e: { memberId: string }) => {
        if (e.memberId !== ada.id) return;
        server.events.off("disconnected", onEvent);
        resolve();
      };
      server.events.on("disconnected", onEvent);
    });
    await sub.close();
    await disconnected;
    const closed = samples(await (await scrape(server)).text());
    expect(value(closed, "graphql_ws_connections")).toBe(value(before, "graphql_ws_connections"));
    expect(value(closed, "graphql_subscriptions_active", { operation: "invitationDeclined" })).toBe(
      value(before, "graphql_subscriptions_active", { operation: "invitationDeclined" }),
    );
  });

  it("answers in Prometheus' text format", async () => {
    const res = await scrape(server);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain("# TYPE graphql_operations_total counter");
    expect(text).toContain("# TYPE graphql_operation_duration_seconds histogram");
    expect(text).toContain("# TYPE db_query_duration_seconds histogram");
  });

  it("needs METRICS_TOKEN's bearer token when one is set", async () => {
    const metricsToken = randomUUID();
    const guarded = await startTestServer({ env: { METRICS_TOKEN: metricsToken } });
    try {
      expect((await scrape(guarded)).status).toBe(401);
      expect((await scrape(guarded, `${metricsToken}x`)).status).toBe(401);
      const ok = await scrape(guarded, metricsToken);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("graphql_operations_total");
    } finally {
      await guarded.stop();
    }
  });

  it("is off in production without a token, and guarded with one", async () => {
    const production = { NODE_ENV: "production", JWT_SECRET: "p".repeat(40) };
    const off = await startTestServer({ env: production });
    try {
      expect((await scrape(off)).status).toBe(404);
    } finally {
      await off.stop();
    }
    const metricsToken = randomUUID();
    const on = await startTestServer({ env: { ...production, METRICS_TOKEN: metricsToken } });
    try {
      expect((await scrape(on)).status).toBe(401);
      expect((await scrape(on, metricsToken)).status).toBe(200);
    } finally {
      await on.stop();
    }
  });
});
