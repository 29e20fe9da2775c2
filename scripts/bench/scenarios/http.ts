/**
 * HTTP read scenarios, driven by autocannon in this process (the servers are other processes):
 * `baseline`, `inbox`, `inbox-filtered`, their `-uncached` twins, `inbox-while-connecting`,
 * and `big-data` (the inbox on a far bigger database). With two servers (PostgreSQL) each
 * load runs one autocannon per server with half of the connections.
 */
import type { EventEmitter } from "node:events";
import autocannon from "autocannon";
import type { BenchContext, Scenario, ScenarioResult } from "../types";
import {
  GqlHttp,
  pidsOf,
  readCpuSeconds,
  runPool,
  serviceCpuNotes,
  serviceCpuSeconds,
  serversRssMiB,
} from "./common";

const BASELINE = "query Baseline { viewer { id } }";
const PAGE_FIELDS = "edges { node { id sender { name headline mutualConnectionsCount degree } } }";
const INBOX = `query Inbox { receivedInvitations(first: 20) { ${PAGE_FIELDS} } }`;
const INBOX_FILTERED = `query InboxFiltered {
  receivedInvitations(
    first: 20
    filter: { relations: [SAME_EMPLOYER] }
    orderBy: MOST_MUTUAL_CONNECTIONS
  ) { ${PAGE_FIELDS} }
}`;
/** Run once before the load, to check the answer and to show how big the list is. */
const INBOX_TOTAL = "query { receivedInvitations(first: 1) { totalCount } }";
const INBOX_FILTERED_TOTAL = `query {
  receivedInvitations(first: 1, filter: { relations: [SAME_EMPLOYER] }) { totalCount }
}`;

/** Members whose tokens baseline spreads its connections over. */
const BASELINE_MEMBERS = 100;

export interface HttpLoad {
  name: string;
  query: string;
  /** Tokens to spread over the connections (one per connection, round robin). */
  tokens: string[];
  /** Sent with every request of the load (e.g. `cache-control: no-cache`). */
  headers?: Record<string, string>;
  /** Checks one answer's `data` before the load; returns notes for the table. */
  check(data: Record<string, unknown>): Promise<Record<string, number | string>>;
}

/** POSTs one GraphQL request; throws on a non-200 answer or GraphQL errors. */
export async function graphql(
  url: string,
  query: string,
  token?: string,
  variables?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: { data?: Record<string, unknown>; errors?: unknown[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (res.status !== 200 || body.errors?.length || !body.data) {
    throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  return body.data;
}

/** The p-th percentile (0..100) of sorted values, nearest rank. */
export function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** CPU seconds (user + system) a process used so far, from /proc/PID/stat; null elsewhere. */
function cpuSeconds(pid: number): number | null {
  try {
    return readCpuSeconds(pid);
  } catch {
    return null;
  }
}

/** The servers' CPU seconds so far, summed; null where /proc cannot be read. */
function serversCpu(pids: number[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s === null) return null;
    sum += s;
  }
  return sum;
}

/**
 * Waits (at most `maxMs`) until the servers together use under 10% of a core over 200 ms. A
 * stopped load leaves its in-flight requests running on the servers; the next measurement
 * must not pay for them. Returns the ms waited.
 */
export async function waitForIdle(pids: number[], maxMs = 15_000): Promise<number> {
  const start = performance.now();
  let before = serversCpu(pids);
  if (before === null) return 0;
  while (performance.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 200));
    const now = serversCpu(pids);
    if (now === null || now - before <= 0.02) break;
    before = now;
  }
  return performance.now() - start;
}

interface LoadStats {
  /** Answers in the measured window. */
  requests: number;
  /** Answers per second in the measured window. */
  throughput: number;
  /** Latencies of the answers in the window (but no connection's first answer), sorted. */
  latencies: Float64Array;
  /** Latencies of every answer, warm-up and ramp included, sorted. */
  allLatencies: Float64Array;
  /** ms from the start until every connection had its first answer; null if some never did. */
  rampMs: number | null;
  /** When the window opened (ms from the start) and how long it was. */
  windowStartMs: number;
  windowMs: number;
  /** Socket errors and timeouts, non-2xx answers and GraphQL errors, over the whole run. */
  errors: number;
  /** Of `errors`: requests that got no answer within autocannon's 10 s timeout. */
  timeouts: number;
  /** Of `errors`: answers that were not 2xx or carried GraphQL errors. */
  badAnswers: number;
  /**
   * Server CPU time (user + system) in the window per answer, ms; null where /proc is missing.
   * Steadier than req/s on a shared machine: it does not depend on the load generator's share
   * of the cores.
   */
  cpuMsPerRequest: number | null;
  /** PostgreSQL's and Redis's CPU ms per answer in the window (PostgreSQL runs only). */
  serviceNotes: Record<string, number>;
}

/**
 * One autocannon run of warm-up + ramp + measured window, on the same connections; with two
 * servers, one autocannon per server, each with its share of the connections, started,
 * measured and stopped together.
 *
 * Node accepts the connections of an already saturated server one per event-loop turn: the
 * last of 50 new connections can wait seconds for its first answer. That is a start-up
 * artefact, not the steady state at N connections, so the window opens only once the warm-up
 * is over AND every connection has had an answer (or after `maxRampMs` more, noted as
 * incomplete). Latencies are those of the answers inside the window, leaving out each
 * connection's first answer (which may still come from the ramp).
 */
async function measureLoad(
  ctx: BenchContext,
  load: HttpLoad,
  warmupMs: number,
  maxRampMs: number,
  durationMs: number,
): Promise<LoadStats> {
  const connections = ctx.options.connections;
  const body = JSON.stringify({ query: load.query });
  // Per answer: when its request was sent and when it was answered (ms since the start).
  let sentAt = new Float64Array(1 << 16);
  let doneAt = new Float64Array(1 << 16);
  let first = new Uint8Array(1 << 16);
  let count = 0;
  let bad = 0;
  let client = 0;
  const answered = new WeakSet<object>();
  let firstAnswers = 0;
  let rampMs: number | null = null;
  let windowStart: number | null = null;
  let windowEnd: number | null = null;
  let cpuAtStart: number | null = null;
  let cpuAtEnd: number | null = null;
  const pids = pidsOf(ctx);
  const cpuNow = () => serversCpu(pids);
  const postgres = ctx.engine === "postgres";
  let servicesAtStart = postgres ? serviceCpuSeconds() : null;
  let servicesAtEnd = servicesAtStart;
  const start = performance.now();
  const now = () => performance.now() - start;

  // Without a callback autocannon returns its tracker (an EventEmitter) that is also thenable.
  const instances = ctx.servers.map(
    (server, k) =>
      autocannon({
        url: server.url,
        method: "POST",
        connections: shareOf(connections, ctx.servers.length, k),
        // An upper bound: the run is stopped once the window is over.
        duration: Math.ceil((warmupMs + maxRampMs + durationMs) / 1000) + 5,
        headers: { "content-type": "application/json" },
        body,
        requests: [
          {
            onResponse: (status: number, responseBody: string) => {
              // Any `"errors"` key is a GraphQL error (no field or value here contains the word).
              if (status < 200 || status > 299 || responseBody.includes('"errors"')) bad++;
            },
          },
        ],
        // Each connection sends one member's token (counted over all the instances).
        setupClient: (c) => {
          const token = load.tokens[client++ % load.tokens.length];
          c.setHeaders({
            "content-type": "application/json",
            authorization: `Bearer ${token}`,
            ...load.headers,
          });
        },
      }) as unknown as EventEmitter & PromiseLike<autocannon.Result> & { stop(): void },
  );

  const openWindow = () => {
    if (windowStart !== null) return;
    windowStart = now();
    cpuAtStart = cpuNow();
    if (postgres) servicesAtStart = serviceCpuSeconds();
    setTimeout(() => {
      windowEnd = now();
      cpuAtEnd = cpuNow();
      if (postgres) servicesAtEnd = serviceCpuSeconds();
      for (const instance of instances) instance.stop();
    }, durationMs);
  };
  let rampTimer: NodeJS.Timeout | undefined;
  const warmupTimer = setTimeout(() => {
    if (rampMs !== null) openWindow();
    else rampTimer = setTimeout(openWindow, maxRampMs);
  }, warmupMs);

  // autocannon's own histogram has 1 ms resolution; keep exact times for the percentiles.
  const onResponse = (c: object, _status: number, _bytes: number, ms: number) => {
    const t = now();
    if (count === sentAt.length) {
      const grow = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T) => {
        const bigger = make(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      sentAt = grow(sentAt, (n) => new Float64Array(n));
      doneAt = grow(doneAt, (n) => new Float64Array(n));
      first = grow(first, (n) => new Uint8Array(n));
    }
    sentAt[count] = t - ms;
    doneAt[count] = t;
    first[count++] = answered.has(c) ? 0 : 1;
    if (!answered.has(c)) {
      answered.add(c);
      if (++firstAnswers === connections) {
        rampMs = t;
        if (t >= warmupMs) {
          clearTimeout(rampTimer);
          openWindow();
        }
      }
    }
  };
  for (const instance of instances) instance.on("response", onResponse);

  const results = await Promise.all(instances);
  clearTimeout(warmupTimer);
  clearTimeout(rampTimer);
  const from = windowStart ?? warmupMs;
  const to = windowEnd ?? now();
  const inWindow: number[] = [];
  const all = new Float64Array(count);
  let answeredInWindow = 0;
  for (let i = 0; i < count; i++) {
    all[i] = doneAt[i] - sentAt[i];
    if (doneAt[i] >= from && doneAt[i] <= to) answeredInWindow++;
    if (!first[i] && doneAt[i] >= from && doneAt[i] <= to) inWindow.push(all[i]);
  }
  return {
    requests: answeredInWindow,
    throughput: answeredInWindow / ((to - from) / 1000),
    latencies: Float64Array.from(inWindow).sort(),
    allLatencies: all.sort(),
    rampMs,
    windowStartMs: from,
    windowMs: to - from,
    errors: results.reduce((sum, r) => sum + r.errors, 0) + bad,
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
    badAnswers: bad,
    cpuMsPerRequest:
      cpuAtStart !== null && cpuAtEnd !== null && answeredInWindow > 0
        ? ((cpuAtEnd - cpuAtStart) * 1000) / answeredInWindow
        : null,
    serviceNotes:
      servicesAtStart && servicesAtEnd
        ? serviceCpuNotes(servicesAtStart, servicesAtEnd, answeredInWindow)
        : {},
  };
}

/** Server `k`'s share of `total` connections or workers over `servers` (they differ by one at most). */
export function shareOf(total: number, servers: number, k: number): number {
  return Math.floor(total / servers) + (k < total % servers ? 1 : 0);
}

export type CacheCounts = Record<"hit" | "miss" | "bypass", number>;

/**
 * The servers' `graphql_response_cache_total` counts, summed; `"off"` when no server reports
 * the counter (the response cache is on SQLite only), null without /metrics.
 */
export async function cacheCounts(ctx: BenchContext): Promise<CacheCounts | "off" | null> {
  if (!ctx.metricsToken) return null;
  const counts: CacheCounts = { hit: 0, miss: 0, bypass: 0 };
  let reported = false;
  for (const server of ctx.servers) {
    const res = await fetch(new URL("/metrics", server.url), {
      headers: { authorization: `Bearer ${ctx.metricsToken}` },
    });
    if (!res.ok) return null;
    const text = await res.text();
    for (const m of text.matchAll(/^graphql_response_cache_total\{result="(\w+)"\} (\d+)/gm)) {
      if (m[1] in counts) counts[m[1] as keyof CacheCounts] += Number(m[2]);
      reported = true;
    }
  }
  return reported ? counts : "off";
}

/**
 * The response cache's hit rate between two readings, in percent (rounded to 0.01), for the
 * notes: `"off"` when the servers have no response cache, null when nothing was counted.
 */
export function cacheHitPct(
  before: CacheCounts | "off" | null,
  after: CacheCounts | "off" | null,
): number | string | null {
  if (before === "off" || after === "off") return "off";
  if (!before || !after) return null;
  const moved = (k: keyof CacheCounts) => after[k] - before[k];
  const all = moved("hit") + moved("miss") + moved("bypass");
  return all > 0 ? Math.round((moved("hit") / all) * 10_000) / 100 : null;
}

/**
 * Warms freshly started servers (not measured): for `ms`, `connections` workers split over the
 * servers ask `{ viewer { id } }` (three requests in four: the first scenario's) and the
 * owner's inbox with `Cache-Control: no-cache`, so every answer runs the whole stack. A fresh
 * process runs its first thousands of requests before V8 has optimised the hot code and before
 * the database pool has its connections; the first scenario, the baseline every ratio divides
 * by, would otherwise pay for that alone (two servers each get half of the load, so they get
 * there later still). Returns the requests answered.
 */
export async function warmUpServers(ctx: BenchContext, ms: number): Promise<number> {
  const workers = Math.max(1, ctx.options.connections);
  const clients = ctx.servers.map(
    (server, k) => new GqlHttp(server.url, Math.max(1, shareOf(workers, ctx.servers.length, k))),
  );
  const bodies = [JSON.stringify({ query: BASELINE }), JSON.stringify({ query: INBOX })];
  const tokens = ctx.members.slice(0, BASELINE_MEMBERS).map((m) => m.token);
  const deadline = performance.now() + ms;
  let answered = 0;
  try {
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const client = clients[w % clients.length];
        for (let i = w; performance.now() < deadline; i++) {
          const inbox = i % 4 === 3;
          await client.send(
            bodies[inbox ? 1 : 0],
            inbox ? ctx.members[0].token : tokens[i % tokens.length],
            UNCACHED,
          );
          answered++;
        }
      }),
    );
  } finally {
    for (const client of clients) client.close();
  }
  return answered;
}

/**
 * Warm-up, ramp and the measured window on the same connections (see `measureLoad`).
 * `onLoadStart` runs once the server is idle, right before the load: background work that
 * must overlap the load only (waitForIdle would wait for it in vain).
 */
export async function runHttpLoad(
  ctx: BenchContext,
  load: HttpLoad,
  onLoadStart?: () => void,
): Promise<ScenarioResult> {
  const data = await graphql(ctx.servers[0].url, load.query, load.tokens[0]);
  const notes = await load.check(data);
  const warmup = ctx.options.quick ? 1 : 3;
  const maxRamp = ctx.options.quick ? 1 : 10;
  ctx.log(
    `${load.name}: warm-up ${warmup} s (+ up to ${maxRamp} s until every connection is ` +
      `answered), then ${ctx.options.duration} s measured`,
  );
  await waitForIdle(pidsOf(ctx));
  const cacheBefore = await cacheCounts(ctx);
  onLoadStart?.();
  const stats = await measureLoad(
    ctx,
    load,
    warmup * 1000,
    maxRamp * 1000,
    ctx.options.duration * 1000,
  );
  if (stats.requests === 0) notes.completed = "none within the window";
  notes.rampMs = stats.rampMs === null ? "incomplete" : Math.round(stats.rampMs);
  notes.p99FromStart = round(percentile(stats.allLatencies, 99));
  if (stats.latencies.length < 200) notes.samples = stats.latencies.length;
  if (stats.timeouts) notes.timeouts = stats.timeouts;
  if (stats.badAnswers) notes.badAnswers = stats.badAnswers;
  if (stats.cpuMsPerRequest !== null) {
    notes.serverCpuMsPerRequest = Math.round(stats.cpuMsPerRequest * 1000) / 1000;
  }
  Object.assign(notes, stats.serviceNotes);
  // Share of the load's answers (warm-up included) that the response cache gave from memory.
  const hits = cacheHitPct(cacheBefore, await cacheCounts(ctx));
  if (hits !== null) notes.cacheHitPct = hits;
  return {
    scenario: load.name,
    requests: stats.requests,
    throughput: stats.throughput,
    p50: percentile(stats.latencies, 50),
    p99: percentile(stats.latencies, 99),
    errors: stats.errors,
    rssMiB: rssOrNull(ctx),
    extra: { connections: ctx.options.connections, ...notes },
  };
}

/** The servers' memory, MiB; null when a server is gone or /proc is missing. */
function rssOrNull(ctx: BenchContext): number | null {
  try {
    return serversRssMiB(ctx);
  } catch {
    return null;
  }
}

function round(value: number | null): number | string {
  return value === null ? "-" : Math.round(value * 100) / 100;
}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

type Page = { edges: { node: { id: string; sender: { degree: string } } }[] };

/** Checks an inbox page: full, and with senders; notes how the senders are spread. */
function checkPage(data: Record<string, unknown>, name: string): Page {
  const page = data.receivedInvitations as Page | undefined;
  expect(page?.edges?.length, `${name}: the inbox page is empty (was the data seeded?)`);
  expect(
    page.edges.every((e) => e.node.sender),
    `${name}: an invitation came without its sender`,
  );
  return page;
}

async function totalCount(ctx: BenchContext, query: string): Promise<number> {
  const data = await graphql(ctx.servers[0].url, query, ctx.members[0].token);
  return (data.receivedInvitations as { totalCount: number }).totalCount;
}

/**
 * The server answers a repeated query from memory until a write changes what it reads
 * (src/transport/response-cache.ts). Each load runs twice: as clients send it, where after the
 * first answer every request is a hit, and with `Cache-Control: no-cache`, which makes the
 * server compute every answer: the cost of a first read, or of one after a write.
 */
const UNCACHED = { "cache-control": "no-cache" };

/** `{ viewer { id } }` for many members. */
const baselineLoad = (
  ctx: BenchContext,
  name: string,
  headers?: Record<string, string>,
): HttpLoad => {
  const members = ctx.members.slice(0, BASELINE_MEMBERS);
  return {
    name,
    query: BASELINE,
    tokens: members.map((m) => m.token),
    headers,
    async check(data) {
      const viewer = data.viewer as { id: string } | null;
      expect(viewer?.id === members[0].id, `${name}: viewer is not the token's member`);
      return { members: members.length };
    },
  };
};

/** `{ viewer { id } }`: the stack's own ceiling (auth, parse, validate, one member lookup). */
export const baseline: Scenario = (ctx) => runHttpLoad(ctx, baselineLoad(ctx, "baseline"));

/**
 * The same, every answer computed: the ceiling for a computed answer, which the other
 * computed rows are measured against.
 */
export const baselineUncached: Scenario = (ctx) =>
  runHttpLoad(ctx, baselineLoad(ctx, "baseline-uncached", UNCACHED));

/** The owner's inbox: 20 newest pending invitations with sender, mutual count and degree. */
const inboxLoad = (
  ctx: BenchContext,
  name: string,
  headers?: Record<string, string>,
): HttpLoad => ({
  name,
  query: INBOX,
  tokens: [ctx.members[0].token],
  headers,
  async check(data) {
    const page = checkPage(data, name);
    expect(page.edges.length === 20, `${name}: ${page.edges.length} edges instead of 20`);
    return { inbox: await totalCount(ctx, INBOX_TOTAL) };
  },
});

/** The inbox narrowed to senders at the owner's employer, most mutual connections first. */
const inboxFilteredLoad = (
  ctx: BenchContext,
  name: string,
  headers?: Record<string, string>,
): HttpLoad => ({
  name,
  query: INBOX_FILTERED,
  tokens: [ctx.members[0].token],
  headers,
  async check(data) {
    const page = checkPage(data, name);
    const second = page.edges.filter((e) => e.node.sender.degree === "SECOND").length;
    return {
      matching: await totalCount(ctx, INBOX_FILTERED_TOTAL),
      secondDegreeOnPage: second,
    };
  },
});

export const inbox: Scenario = (ctx) => runHttpLoad(ctx, inboxLoad(ctx, "inbox"));
export const inboxUncached: Scenario = (ctx) =>
  runHttpLoad(ctx, inboxLoad(ctx, "inbox-uncached", UNCACHED));
export const inboxFiltered: Scenario = (ctx) =>
  runHttpLoad(ctx, inboxFilteredLoad(ctx, "inbox-filtered"));
export const inboxFilteredUncached: Scenario = (ctx) =>
  runHttpLoad(ctx, inboxFilteredLoad(ctx, "inbox-filtered-uncached", UNCACHED));

const SEND = `mutation BenchConnect($input: SendInvitationInput!) {
  sendInvitation(input: $input) { connected }
}`;

/**
 * The cached inbox while other members connect, `rate` times a second: each connection moves
 * degrees and mutual counts, so it makes every cached answer stale (the cache's worst case;
 * a send, a decline or an ignore between other members would leave the owner's answers be).
 * Pairs of background members far apart in the seed (no invitation between them): A invites B
 * before the load, and B's invitation to A during it connects them.
 */
export const inboxWhileConnecting: Scenario = async (ctx) => {
  const rate = ctx.options.quick ? 50 : 100;
  const background = ctx.members.slice(Math.floor(ctx.members.length / 2));
  const half = Math.floor(background.length / 2);
  // Enough for warm-up, ramp and window (runHttpLoad's, at most 3 + 10 s), with a margin.
  const pairs = Math.min(half, rate * (ctx.options.duration + 15));
  ctx.log(`inbox-while-connecting: ${pairs} pairs invite each other first`);
  let setupErrors = 0;
  // Spread over the servers: with two, each instance commits half of the connections.
  const invite = async (from: number, to: number) => {
    await graphql(ctx.servers[from % ctx.servers.length].url, SEND, background[from].token, {
      input: { recipientId: background[to].id },
    });
  };
  await runPool(pairs, 20, (i) => invite(i, i + half).catch(() => void setupErrors++));

  let next = 0;
  let connected = 0;
  let writeErrors = 0;
  let timer: NodeJS.Timeout | undefined;
  let started = 0;
  // Started with the load, not before: the server is never idle while members connect.
  const connectMembers = () => {
    started = performance.now();
    timer = setInterval(() => {
      if (next >= pairs) return;
      const i = next++;
      invite(i + half, i).then(
        () => void connected++,
        () => void writeErrors++,
      );
    }, 1000 / rate);
  };
  try {
    const result = await runHttpLoad(ctx, inboxLoad(ctx, "inbox-while-connecting"), connectMembers);
    const seconds = (performance.now() - started) / 1000;
    return {
      ...result,
      extra: {
        ...result.extra,
        connectionsPerSecond: round(connected / seconds),
        ...(next >= pairs ? { pairsRanOut: "yes" } : {}),
        ...(setupErrors || writeErrors ? { setupErrors, writeErrors } : {}),
      },
    };
  } finally {
    clearInterval(timer);
  }
};

/** What `bigData` needs from the runner: a seeded big database with its own server. */
export interface BigDataSetup {
  /** Seeds the big database and starts a server on it; `ctx` points at that server. */
  prepare(): Promise<{
    ctx: BenchContext;
    seedSeconds: number;
    members: number;
    invitations: number;
    close(): Promise<void>;
  }>;
  /** p99 of `inbox-uncached` on the normal database in this run (null if it did not run). */
  inboxP99(): number | null;
}

/**
 * `inbox-uncached` against a database with far more members and invitations (same inbox
 * size): computed every time, since a cached answer would cost the same at any size.
 */
export function bigData(setup: BigDataSetup): Scenario {
  return async () => {
    const big = await setup.prepare();
    try {
      const result = await inboxUncached(big.ctx);
      const small = setup.inboxP99();
      return {
        ...result,
        scenario: "big-data",
        extra: {
          members: big.members,
          invitations: big.invitations,
          seedSeconds: Number(big.seedSeconds.toFixed(1)),
          ...(small && result.p99 !== null
            ? { p99VsInbox: Number((result.p99 / small).toFixed(2)) }
            : {}),
          ...result.extra,
        },
      };
    } finally {
      await big.close();
    }
  };
}
