/**
 * idle-sockets: M (--sockets) authenticated WebSocket connections, each with one
 * `notificationAdded` subscription, held open; the server's resident memory before, while
 * held (KiB per connection = delta / M) and after they all closed (the server is left alone
 * to settle: RSS is polled every 500 ms for up to 15 s (5 s with --quick), nothing is
 * triggered server-side).
 *
 * The clients are bare `ws` sockets speaking graphql-transport-ws (see RawSubscriber in
 * common.ts): a graphql-ws `createClient` per socket would cost this process far more than
 * the server spends. Sockets open in batches of 200 (no SYN flood, no accept-queue overflow);
 * after each batch every socket sends a protocol ping and waits for the pong, so the server has
 * read its connection_init and subscribe before the next batch. Tokens are the runner's seeded
 * members, round-robin (several sockets per member where there are fewer members than sockets).
 * With two servers (PostgreSQL) the sockets alternate between them and the memory figures are
 * the two processes' sums.
 *
 * Reading the numbers: RSS counts what V8 and malloc hold, not what is live. The per-socket
 * figure is smallest on a server that already grew its heap in an earlier scenario (the new
 * sockets fill that slack first), so it is most meaningful on a fresh server; the second half's
 * slope (`kibPerSocketSecondHalf`) is less sensitive to that. After the close, RSS that stays up
 * is mostly heap V8 has not collected or not given back yet (it does both lazily, and nothing
 * is triggered here), so a miss of the +-10% target is not by itself a leak.
 */
import { performance } from "node:perf_hooks";
import type { BenchContext, Scenario, ScenarioResult } from "../types";
import {
  type BenchMember,
  RawSubscriber,
  round2,
  Samples,
  serversCpuSeconds,
  serversRssKiB,
  sleep,
  someMembers,
} from "./common";

const SUBSCRIPTION = "subscription BenchIdle { notificationAdded { id kind message createdAt } }";
const BATCH = 200;
const SETTLE_POLL_MS = 500;
/** How long to let RSS settle after the close: 15 s (5 s in --quick, to fit CI's minute). */
const SETTLE_MAX_MS = 15_000;
const SETTLE_MAX_MS_QUICK = 5_000;

export const idleSockets: Scenario = async (ctx: BenchContext): Promise<ScenarioResult> => {
  const m = Math.max(1, ctx.options.sockets);
  // Up to 1,000 distinct members (seeded ones; 100 fresh sign-ups when the runner has none):
  // the sockets spread over many per-member topics, as they would in production.
  const seeded = ctx.members.length - 1;
  const { members } = await someMembers(ctx, Math.min(m, 1000, seeded >= 1 ? seeded : 100), "idle");

  ctx.log(`idle-sockets: ${m} subscribed connections in batches of ${BATCH}`);
  const run = await openHoldClose(ctx, m, members);

  const kibPerSocket = run.open > 0 ? (run.rssHeld - run.rssStart) / run.open : 0;
  const kbPerSocket = (kibPerSocket * 1024) / 1000;
  const afterVsStartPct = ((run.rssAfter - run.rssStart) / run.rssStart) * 100;
  const extra: ScenarioResult["extra"] = {
    target: "<= 30 KB per connection, back to start +- 10% after close (below start counts)",
    // "Back" means no more than 10% above the start. Below it counts too: the server's
    // collection after the wave (src/transport/release-memory.ts) also frees what earlier
    // scenarios left, so RSS can end below where this scenario started; nothing leaked.
    met: kbPerSocket <= 30 && afterVsStartPct <= 10 ? "yes" : "no",
    sockets: m,
    heldOpen: run.open,
    members: members.length,
    kibPerSocket: round2(kibPerSocket),
    kbPerSocket: round2(kbPerSocket),
    kibPerSocketSecondHalf: round2(run.kibPerSocketSecondHalf),
    rssStartMiB: mib(run.rssStart),
    rssHeldMiB: mib(run.rssHeld),
    rssAfterCloseMiB: mib(run.rssAfter),
    afterVsStartPct: round2(afterVsStartPct),
    openSeconds: round2(run.openSeconds),
    serverCpuMsPerConnection: round2(run.serverCpuMsPerConnection),
    closeSeconds: round2(run.closeSeconds),
    settleSeconds: round2(run.settleSeconds),
    failedOpen: run.failedOpen,
    failedPing: run.failedPing,
    closedByServer: run.closedByServer,
    latencies: "p50/p99 = WebSocket open to connection_ack, ms",
    ...(ctx.servers.length > 1 ? { servers: ctx.servers.length } : {}),
  };
  return {
    scenario: "idle-sockets",
    requests: m,
    throughput: null,
    p50: run.handshake.percentile(50),
    p99: run.handshake.percentile(99),
    errors: run.failedOpen + run.failedPing + (m - run.failedOpen - run.open),
    rssMiB: mib(run.rssAfter),
    extra,
  };
};

interface RunResult {
  rssStart: number;
  rssHeld: number;
  rssAfter: number;
  kibPerSocketSecondHalf: number;
  open: number;
  failedOpen: number;
  failedPing: number;
  closedByServer: number;
  handshake: Samples;
  openSeconds: number;
  serverCpuMsPerConnection: number;
  closeSeconds: number;
  settleSeconds: number;
}

/** Opens `m` subscribed sockets, reads RSS, closes them all and waits for RSS to settle. */
async function openHoldClose(
  ctx: BenchContext,
  m: number,
  members: BenchMember[],
): Promise<RunResult> {
  const rssStart = serversRssKiB(ctx);
  const sockets: RawSubscriber[] = [];
  const handshake = new Samples();
  let failedOpen = 0;
  let failedPing = 0;
  try {
    const cpuBefore = serversCpuSeconds(ctx);
    const openStart = performance.now();
    let rssHalf = 0;
    let openAtHalf = 0;
    for (let from = 0; from < m; from += BATCH) {
      if (!rssHalf && from >= m / 2) {
        rssHalf = serversRssKiB(ctx);
        openAtHalf = sockets.length;
      }
      const batch: RawSubscriber[] = [];
      await Promise.all(
        Array.from({ length: Math.min(BATCH, m - from) }, async (_, j) => {
          const s = new RawSubscriber();
          const t = performance.now();
          try {
            const server = ctx.servers[(from + j) % ctx.servers.length];
            await s.open(server.wsUrl, members[(from + j) % members.length].token, SUBSCRIPTION);
            handshake.add(performance.now() - t);
            batch.push(s);
          } catch {
            failedOpen++;
            await s.close();
          }
        }),
      );
      const pongs = await Promise.all(batch.map((s) => s.ping()));
      failedPing += pongs.filter((ok) => !ok).length;
      sockets.push(...batch);
    }
    // One more round trip on every socket, so the last subscriptions' setup is done too.
    await Promise.all(sockets.map((s) => s.ping()));
    const openSeconds = (performance.now() - openStart) / 1000;
    const serverCpuMs = (serversCpuSeconds(ctx) - cpuBefore) * 1000;
    const rssHeld = serversRssKiB(ctx);
    const open = sockets.filter((s) => s.isOpen).length;

    ctx.log(`idle-sockets: ${open} open, server RSS ${mib(rssHeld)} MiB; closing them all`);
    const closeStart = performance.now();
    await Promise.all(sockets.map((s) => s.close()));
    const closeSeconds = (performance.now() - closeStart) / 1000;
    const closedByServer = sockets.filter(
      (s) => s.closedCode !== null && s.closedCode !== 1000,
    ).length;
    sockets.length = 0;

    // Let the server settle by itself (V8 and malloc give memory back lazily, on their own
    // timers): stop once RSS is within 10% of the start and stopped falling, or after
    // settleMax.
    const settleStart = performance.now();
    let rssAfter = serversRssKiB(ctx);
    const settleMax = ctx.options.quick ? SETTLE_MAX_MS_QUICK : SETTLE_MAX_MS;
    while (performance.now() - settleStart < settleMax) {
      await sleep(SETTLE_POLL_MS);
      const previous = rssAfter;
      rssAfter = serversRssKiB(ctx);
      if (rssAfter <= rssStart * 1.1 && rssAfter >= previous) break;
    }
    return {
      rssStart,
      rssHeld,
      rssAfter,
      kibPerSocketSecondHalf:
        rssHalf && open > openAtHalf ? (rssHeld - rssHalf) / (open - openAtHalf) : 0,
      open,
      failedOpen,
      failedPing,
      closedByServer,
      handshake,
      openSeconds,
      serverCpuMsPerConnection: open > 0 ? serverCpuMs / open : 0,
      closeSeconds,
      settleSeconds: (performance.now() - settleStart) / 1000,
    };
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
  }
}

function mib(kib: number): number {
  return round2(kib / 1024);
}
