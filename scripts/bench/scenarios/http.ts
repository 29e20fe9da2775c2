/**
 * HTTP read scenarios, driven by autocannon in this process (the server is another process):
 * `baseline`, `inbox`, `inbox-filtered`, and `big-data` (the inbox on a far bigger database).
 */
import type { EventEmitter } from "node:events";
import autocannon from "autocannon";
import type { BenchContext, Scenario, ScenarioResult } from "../types";
import { readCpuSeconds, runPool } from "./common";

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

/** Server memory right now, from /proc (Linux); null elsewhere. */
export async function serverRssMiB(pid: number): Promise<number | null> {
  try {
    const { readFile } = await import("node:fs/promises");
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process used so far, from /proc/PID/stat; null elsewhere. */
async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const { readFile } = await import("node:fs/promises");
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // utime and stime are fields 14 and 15; the command name before them may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * Waits (at most `maxMs`) until the server uses under 10% of a core over 200 ms. A stopped
 * load leaves its in-flight requests running on the server; the next measurement must not
 * pay for them. Returns the ms waited.
 */
export async function waitForIdle(pid: number, maxMs = 15_000): Promise<number> {
  const start = performance.now();
  let before = await cpuSeconds(pid);
  if (before === null) return 0;
  while (performance.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await cpuSeconds(pid);
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
}

/**
 * One autocannon run of warm-up + ramp + measured window, on the same connections.
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
  const cpuNow = () => {
    try {
      return readCpuSeconds(ctx.serverPid);
    } catch {
      return null;
    }
  };
  const start = performance.now();
  const now = () => performance.now() - start;

  // Without a callback autocannon returns its tracker (an EventEmitter) that is also thenable.
  const instance = autocannon({
    url: ctx.url,
    method: "POST",
    connections,
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
    // Each connection sends one member's token.
    setupClient: (c) => {
      const token = load.tokens[client++ % load.tokens.length];
      c.setHeaders({
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
        ...load.headers,
      });
    },
  }) as unknown as EventEmitter & PromiseLike<autocannon.Result> & { stop(): void };

  const openWindow = () => {
    if (windowStart !== null) return;
    windowStart = now();
    cpuAtStart = cpuNow();
    setTimeout(() => {
      windowEnd = now();
      cpuAtEnd = cpuNow();
      instance.stop();
    }, durationMs);
  };
  let rampTimer: NodeJS.Timeout | undefined;
  const warmupTimer = setTimeout(() => {
    if (rampMs !== null) openWindow();
    else rampTimer = setTimeout(openWindow, maxRampMs);
  }, warmupMs);

  // autocannon's own histogram has 1 ms resolution; keep exact times for the percentiles.
  instance.on("response", (c: object, _status: number, _bytes: number, ms: number) => {
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
  });

  const result = await instance;
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
    errors: result.errors + bad,
    timeouts: result.timeouts,
    badAnswers: bad,
    cpuMsPerRequest:
      cpuAtStart !== null && cpuAtEnd !== null && answeredInWindow > 0
        ? ((cpuAtEnd - cpuAtStart) * 1000) / answeredInWindow
        : null,
  };
}

type CacheCounts = Record<"hit" | "miss" | "bypass", number>;

/** The server's `graphql_response_cache_total` counts, or null without /metrics. */
async function cacheCounts(ctx: BenchContext): Promise<CacheCounts | null> {
  if (!ctx.metricsToken) return null;
  const res = await fetch(new URL("/metrics", ctx.url), {
    headers: { authorization: `Bearer ${ctx.metricsToken}` },
  });
  if (!res.ok) return null;
  const text = await res.text();
  const counts: CacheCounts = { hit: 0, miss: 0, bypass: 0 };
  for (const m of text.matchAll(/^graphql_response_cache_total\{result="(\w+)"\} (\d+)/gm)) {
    if (m[1] in counts) counts[m[1] as keyof CacheCounts] = Number(m[2]);
  }
  return counts;
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
  const data = await graphql(ctx.url, load.query, load.tokens[0]);
  const notes = await load.check(data);
  const warmup = ctx.options.quick ? 1 : 3;
  const maxRamp = ctx.options.quick ? 1 : 10;
  ctx.log(
    `${load.name}: warm-up ${warmup} s (+ up to ${maxRamp} s until every connection is ` +
      `answered), then ${ctx.options.duration} s measured`,
  );
  await waitForIdle(ctx.serverPid);
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
  // Share of the load's answers (warm-up included) that the response cache gave from memory.
  const cacheAfter = await cacheCounts(ctx);
  if (cacheBefore && cacheAfter) {
    const moved = (k: keyof CacheCounts) => cacheAfter[k] - cacheBefore[k];
    const all = moved("hit") + moved("miss") + moved("bypass");
    if (all > 0) notes.cacheHitPct = round((moved("hit") / all) * 100);
  }
  return {
    scenario: load.name,
    requests: stats.requests,
    throughput: stats.throughput,
    p50: percentile(stats.latencies, 50),
    p99: percentile(stats.latencies, 99),
    errors: stats.errors,
    rssMiB: await serverRssMiB(ctx.serverPid),
    extra: { connections: ctx.options.connections, ...notes },
  };
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
  const data = await graphql(ctx.url, query, ctx.members[0].token);
  return (data.receivedInvitations as { totalCount: number }).totalCount;
}

/** `{ viewer { id } }`: the stack's own ceiling (auth, parse, validate, one member lookup). */
export const baseline: Scenario = (ctx) => {
  const members = ctx.members.slice(0, BASELINE_MEMBERS);
  return runHttpLoad(ctx, {
    name: "baseline",
    query: BASELINE,
    tokens: members.map((m) => m.token),
    async check(data) {
      const viewer = data.viewer as { id: string } | null;
      expect(viewer?.id === members[0].id, "baseline: viewer is not the token's member");
      return { members: members.length };
    },
  });
};

/**
 * The server answers a repeated query from memory until a write changes what it reads
 * (src/transport/response-cache.ts). Each load runs twice: as clients send it, where after the
 * first answer every request is a hit, and with `Cache-Control: no-cache`, which makes the
 * server compute every answer: the cost of a first read, or of one after a write.
 */
const UNCACHED = { "cache-control": "no-cache" };

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
  const invite = async (from: number, to: number) => {
    await graphql(ctx.url, SEND, background[from].token, {
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
