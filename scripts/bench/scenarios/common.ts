/**
 * Helpers shared by the write and WebSocket scenarios (send-decline, push-latency,
 * idle-sockets, many-viewers): GraphQL over keep-alive HTTP, sign-ups, graphql-ws clients (the
 * real client and a light raw one), percentiles and the servers' memory and CPU time.
 *
 * Everything talks to the servers the runner started on 127.0.0.1 and is bounded in count and
 * time by its caller.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { BenchContext } from "../types";

// ---------------------------------------------------------------------------------------------
// GraphQL over HTTP

/** One GraphQL response, with when it started and when its last byte arrived (performance.now()). */
export interface GqlResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  startedAt: number;
  endedAt: number;
  /** endedAt - startedAt, ms. */
  ms: number;
}

/**
 * A GraphQL client on one keep-alive `http.Agent` holding at most `maxSockets` connections.
 * node:http rather than fetch: undici's fetch costs the load generator about twice the CPU per
 * request, and the load generator shares the machine's two cores with the server.
 */
export class GqlHttp {
  private readonly agent: Agent;
  private readonly target: URL;

  constructor(url: string, maxSockets: number) {
    this.target = new URL(url);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** POSTs one operation; network failures resolve as status 0 with one error (never throw). */
  async post(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GqlResponse> {
    return parseResponse(await this.send(JSON.stringify({ query, variables }), token));
  }

  /**
   * POSTs a ready JSON body and hands back the answer's text unparsed: a load loop that only
   * needs to know whether an answer failed saves this process the JSON parse. Network failures
   * resolve as status 0 with `error` set (never throw).
   */
  send(body: string, token?: string, extraHeaders?: Record<string, string>): Promise<RawResponse> {
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...extraHeaders,
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const startedAt = performance.now();
    return new Promise((resolve) => {
      const done = (status: number, text: string, error: string | null) =>
        resolve({ status, text, error, startedAt, endedAt: performance.now() });
      const req = request(
        {
          agent: this.agent,
          host: this.target.hostname,
          port: this.target.port,
          path: this.target.pathname,
          method: "POST",
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            done(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), null),
          );
          res.on("error", (err) => done(0, "", err.message));
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error("request timed out after 30 s")));
      req.on("error", (err) => done(0, "", err.message));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** An answer as `GqlHttp.send` gives it: status and text, or a network failure. */
export interface RawResponse {
  /** 0 for a network failure. */
  status: number;
  text: string;
  /** The network failure, or null. */
  error: string | null;
  startedAt: number;
  endedAt: number;
}

/** A raw answer parsed as GraphQL; an unparsable or missing body becomes one error. */
export function parseResponse(raw: RawResponse): GqlResponse {
  let body: Partial<GqlResponse>;
  if (raw.error !== null) body = { errors: [{ message: raw.error }] };
  else {
    try {
      body = JSON.parse(raw.text) as Partial<GqlResponse>;
    } catch {
      body = { errors: [{ message: `unparsable: ${raw.text.slice(0, 200)}` }] };
    }
  }
  return {
    status: raw.status,
    data: body.data ?? null,
    errors: body.errors,
    startedAt: raw.startedAt,
    endedAt: raw.endedAt,
    ms: raw.endedAt - raw.startedAt,
  };
}

/** Whether a response failed: not HTTP 200, or any GraphQL error. */
export function failed(res: GqlResponse): boolean {
  return res.status !== 200 || (res.errors?.length ?? 0) > 0;
}

/** A short label for a failed response: the first error's code (or message), else the status. */
export function failureLabel(res: GqlResponse): string {
  const first = res.errors?.[0];
  const code = first?.extensions?.code;
  if (typeof code === "string") return code;
  if (first) return first.message.slice(0, 60);
  return `HTTP ${res.status}`;
}

/** Whether a failure mentions SQLite's lock errors (only visible if the server does not mask them). */
export function mentionsSqliteBusy(res: GqlResponse): boolean {
  return (res.errors ?? []).some((e) => /SQLITE_BUSY|database is locked/i.test(JSON.stringify(e)));
}

/** Counts failures by label, and prints them as `CODE:n, CODE:n`. */
export class ErrorTally {
  total = 0;
  sqliteBusy = 0;
  private readonly byLabel = new Map<string, number>();
  private firstMessages: string[] = [];

  add(res: GqlResponse): void {
    this.total++;
    if (mentionsSqliteBusy(res)) this.sqliteBusy++;
    const label = failureLabel(res);
    this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + 1);
    if (this.firstMessages.length < 3) {
      this.firstMessages.push(`${label}: ${res.errors?.[0]?.message ?? `HTTP ${res.status}`}`);
    }
  }

  count(label: string): number {
    return this.byLabel.get(label) ?? 0;
  }

  summary(): string {
    return [...this.byLabel].map(([k, v]) => `${k}:${v}`).join(", ") || "none";
  }

  examples(): string {
    return this.firstMessages.join(" | ");
  }
}

// ---------------------------------------------------------------------------------------------
// Members

export interface BenchMember {
  id: string;
  token: string;
}

const SIGN_UP = `mutation BenchSignUp($input: SignUpInput!) {
  signUp(input: $input) { token member { id } }
}`;

/** A tag unique to this process, so fresh members of two runs never share an email. */
export const RUN_TAG = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
let signUpSerial = 0;

/**
 * Signs up `n` fresh members through the API (a few at a time: each costs the server a ~30 ms
 * scrypt hash on its thread pool), spread over the servers. Fresh members have no
 * invitations, connections or blocks, so every pair of them can invite each other exactly
 * once per cooldown.
 */
export async function signUpMembers(
  ctx: Pick<BenchContext, "servers" | "log">,
  n: number,
  label: string,
  concurrency = 8,
): Promise<BenchMember[]> {
  const clients = ctx.servers.map((s) => new GqlHttp(s.url, concurrency));
  const out: BenchMember[] = new Array(n);
  let doneCount = 0;
  let lastLog = performance.now();
  try {
    await runPool(n, concurrency, async (i) => {
      const serial = signUpSerial++;
      const res = await clients[i % clients.length].post(SIGN_UP, {
        input: {
          name: `Bench ${label} ${serial}`,
          email: `bench-${RUN_TAG}-${label}-${serial}@bench.example`,
          password: "bench-password-1",
          headline: "Load test",
        },
      });
      if (failed(res)) {
        throw new Error(`signUp failed: ${failureLabel(res)} ${res.errors?.[0]?.message ?? ""}`);
      }
      out[i] = { id: res.data.signUp.member.id, token: res.data.signUp.token };
      doneCount++;
      if (performance.now() - lastLog > 2000) {
        lastLog = performance.now();
        ctx.log(`  signed up ${doneCount}/${n} ${label} members`);
      }
    });
  } finally {
    for (const c of clients) c.close();
  }
  return out;
}

/**
 * `n` members with tokens: the runner's seeded ones when it has enough (skipping `members[0]`,
 * whose big inbox other scenarios read), else fresh sign-ups.
 */
export async function someMembers(
  ctx: BenchContext,
  n: number,
  label: string,
): Promise<{ members: BenchMember[]; fresh: boolean }> {
  const seeded = ctx.members.slice(1);
  if (seeded.length >= n) return { members: seeded.slice(0, n), fresh: false };
  ctx.log(`  ${seeded.length} seeded members are not enough for ${n}: signing up ${n} fresh ones`);
  return { members: await signUpMembers(ctx, n, label), fresh: true };
}

// ---------------------------------------------------------------------------------------------
// Concurrency and statistics

/** Runs `task(0..n-1)` with at most `concurrency` in flight; rejects on the first failure. */
export async function runPool(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/** A growable list of latencies (ms) with nearest-rank percentiles. */
export class Samples {
  private data = new Float64Array(1024);
  private size = 0;
  private sorted: Float64Array | null = null;

  add(v: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = v;
    this.sorted = null;
  }

  get count(): number {
    return this.size;
  }

  /** Nearest-rank percentile (p in 0..100), rounded to 0.01 ms; null when empty. */
  percentile(p: number): number | null {
    if (this.size === 0) return null;
    this.sorted ??= this.data.slice(0, this.size).sort();
    const rank = Math.min(this.size, Math.max(1, Math.ceil((p / 100) * this.size)));
    return round2(this.sorted[rank - 1]);
  }

  max(): number | null {
    return this.percentile(100);
  }

  mean(): number | null {
    if (this.size === 0) return null;
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += this.data[i];
    return round2(sum / this.size);
  }

  merge(other: Samples): Samples {
    const out = new Samples();
    for (const s of [this, other]) for (let i = 0; i < s.size; i++) out.add(s.data[i]);
    return out;
  }
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// Server memory and CPU

/** The PIDs of the servers under test. */
export function pidsOf(ctx: Pick<BenchContext, "servers">): number[] {
  return ctx.servers.map((s) => s.pid);
}

/** The process's resident set size in KiB (VmRSS in /proc/PID/status). */
export function readRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** The summed resident set size of the servers, KiB. */
export function serversRssKiB(ctx: Pick<BenchContext, "servers">): number {
  return pidsOf(ctx).reduce((sum, pid) => sum + readRssKiB(pid), 0);
}

/** The summed resident set size of the servers, MiB. */
export function serversRssMiB(ctx: Pick<BenchContext, "servers">): number {
  return round2(serversRssKiB(ctx) / 1024);
}

/** CPU seconds (user + system) the process has used so far, from /proc/PID/stat. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds the servers used so far, summed. */
export function serversCpuSeconds(ctx: Pick<BenchContext, "servers">): number {
  return pidsOf(ctx).reduce((sum, pid) => sum + readCpuSeconds(pid), 0);
}

/** CPU seconds used so far by the PostgreSQL and Redis processes of this machine. */
export interface ServiceCpu {
  postgres: number | null;
  redis: number | null;
}

/**
 * CPU seconds used so far by every process named `postgres` (the server and its backends) and
 * `redis-server` on this machine; null for one that does not run here. On SQLite the
 * database's work is inside the server's own CPU time; on PostgreSQL most of it is in these
 * processes, so comparing the engines needs both. Other users of the same services are
 * counted too.
 */
export function serviceCpuSeconds(): ServiceCpu {
  const ticks = { postgres: 0, "redis-server": 0 };
  const found = new Set<string>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return { postgres: null, redis: null };
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    const close = stat.lastIndexOf(")");
    const name = stat.slice(stat.indexOf("(") + 1, close);
    if (name !== "postgres" && name !== "redis-server") continue;
    const fields = stat.slice(close + 2).split(" ");
    ticks[name] += Number(fields[11]) + Number(fields[12]);
    found.add(name);
  }
  return {
    postgres: found.has("postgres") ? ticks.postgres / 100 : null,
    redis: found.has("redis-server") ? ticks["redis-server"] / 100 : null,
  };
}

/**
 * Notes for a measured window on PostgreSQL: the services' CPU ms per operation (`ops`), next
 * to the servers' own `serverCpuMsPerRequest`. Empty on SQLite or when nothing was read.
 */
export function serviceCpuNotes(
  before: ServiceCpu,
  after: ServiceCpu,
  ops: number,
): Record<string, number> {
  const notes: Record<string, number> = {};
  if (ops <= 0) return notes;
  if (before.postgres !== null && after.postgres !== null) {
    notes.pgCpuMsPerRequest = round3(((after.postgres - before.postgres) * 1000) / ops);
  }
  if (before.redis !== null && after.redis !== null) {
    notes.redisCpuMsPerRequest = round3(((after.redis - before.redis) * 1000) / ops);
  }
  return notes;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Share of one core the process used between two readings, in percent. */
export function cpuPercent(cpuBefore: number, cpuAfter: number, wallMs: number): number {
  return Math.round(((cpuAfter - cpuBefore) / (wallMs / 1000)) * 100);
}

// ---------------------------------------------------------------------------------------------
// WebSocket clients

/**
 * The real graphql-ws client for one member, connected (connection_ack received) when the
 * promise resolves. No retries: a closed socket stays closed and is reported by the caller.
 */
export function connectGraphqlWs(
  wsUrl: string,
  token: string,
  onClosed?: (code: number) => void,
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
      shouldRetry: () => false,
      connectionAckWaitTimeout: 15_000,
      onNonLazyError: (err) => reject(err instanceof Error ? err : new Error(describeClose(err))),
    });
    let acked = false;
    client.on("connected", () => {
      acked = true;
      resolve(client);
    });
    client.on("closed", (event) => {
      const code = (event as { code?: number })?.code ?? 0;
      if (!acked) reject(new Error(`socket closed before connection_ack (${code})`));
      else onClosed?.(code);
    });
  });
}

function describeClose(err: unknown): string {
  const e = err as { code?: number; reason?: string };
  return e && typeof e.code === "number" ? `closed ${e.code} ${e.reason ?? ""}` : String(err);
}

/**
 * A light graphql-transport-ws client on a bare `ws` socket: connection_init with the token,
 * wait for connection_ack, then `subscribe` with one operation. About a socket and a closure
 * per connection, where a graphql-ws `createClient` also keeps its own state machine, timers
 * and listener sets: the load generator holds 10,000 of these.
 */
export class RawSubscriber {
  private socket: WebSocket | null = null;
  private pendingPong: (() => void) | null = null;
  closedCode: number | null = null;
  /** Data messages (`next`) received. */
  received = 0;
  /** `error` / `complete` messages received for the subscription. */
  ended = false;

  /** Opens, authenticates and subscribes; resolves once connection_ack arrived and the subscribe was sent. */
  open(wsUrl: string, token: string, query: string, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, "graphql-transport-ws", { perMessageDeflate: false });
      this.socket = socket;
      let acked = false;
      const timer = setTimeout(() => {
        if (!acked) {
          socket.terminate();
          reject(new Error("no connection_ack within the timeout"));
        }
      }, timeoutMs);
      socket.on("open", () => {
        socket.send(
          JSON.stringify({
            type: "connection_init",
            payload: { authorization: `Bearer ${token}` },
          }),
        );
      });
      socket.on("message", (raw) => {
        const msg = JSON.parse(raw.toString()) as { type: string };
        switch (msg.type) {
          case "connection_ack":
            acked = true;
            clearTimeout(timer);
            socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
            resolve();
            return;
          case "ping":
            socket.send('{"type":"pong"}');
            return;
          case "pong": {
            const p = this.pendingPong;
            this.pendingPong = null;
            p?.();
            return;
          }
          case "next":
            this.received++;
            return;
          case "error":
          case "complete":
            this.ended = true;
            return;
        }
      });
      socket.on("error", () => {
        /* the close event follows and is what counts */
      });
      socket.on("close", (code) => {
        this.closedCode = code;
        clearTimeout(timer);
        const p = this.pendingPong;
        this.pendingPong = null;
        p?.();
        if (!acked) reject(new Error(`socket closed before connection_ack (${code})`));
      });
    });
  }

  /**
   * A protocol ping answered by a pong: the server has read every message sent before it.
   * (It does not prove the subscription's async setup finished; see idle-sockets.)
   */
  ping(timeoutMs = 15_000): Promise<boolean> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingPong = null;
        resolve(false);
      }, timeoutMs);
      this.pendingPong = () => {
        clearTimeout(timer);
        resolve(socket.readyState === WebSocket.OPEN);
      };
      socket.send('{"type":"ping"}');
    });
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Closes with 1000 and resolves when the close handshake ended (or after `timeoutMs`, terminating). */
  close(timeoutMs = 5_000): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, timeoutMs);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1000, "bench done");
    });
  }
}
