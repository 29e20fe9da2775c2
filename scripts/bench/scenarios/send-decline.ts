/**
 * send-decline: the write path. K workers (K = --connections) run a closed loop for
 * --duration seconds; each iteration is two mutations: a member sends an invitation to a
 * member it never invited before, and that recipient declines it.
 *
 * Members are fresh sign-ups (no seeded invitations, connections or blocks in the way). Pairs
 * follow a round-robin tournament over F members: round d (1 ≤ d ≤ (F-1)/2) has member s
 * invite member (s + d) mod F, so no pair is used twice (a decline starts a 21-day cooldown)
 * and no pair is ever used in both directions (which would make a crossing invitation, i.e.
 * an accept). Each member sends (F-1)/2 invitations in all: the runner raises
 * WEEKLY_INVITATION_LIMIT when that exceeds the default 100.
 *
 * With two servers (PostgreSQL) worker w sends through one instance and declines through the
 * other (w's parity picks which), so every decline is of an invitation another process wrote,
 * and each instance takes half of the sends and half of the declines.
 *
 * Counted as errors: any non-200 response and any GraphQL error. SQLITE_BUSY can only be seen
 * if the server does not mask it; in production it would surface as INTERNAL_SERVER_ERROR, so
 * both are reported.
 */
import { performance } from "node:perf_hooks";
import type { BenchContext, Scenario, ScenarioResult } from "../types";
import {
  type BenchMember,
  cpuPercent,
  ErrorTally,
  failed,
  GqlHttp,
  round2,
  Samples,
  serviceCpuNotes,
  serviceCpuSeconds,
  serversCpuSeconds,
  serversRssMiB,
  signUpMembers,
} from "./common";

const SEND = `mutation BenchSend($input: SendInvitationInput!) {
  sendInvitation(input: $input) { connected invitation { id status } }
}`;
const DECLINE = `mutation BenchDecline($id: ID!, $message: String) {
  declineInvitation(id: $id, message: $message) { id status }
}`;

/** Mutations per second the pair pool is sized for (the target is 1,000; leave headroom). */
const SIZED_FOR_MUTATIONS_PER_SECOND = 2_500;

export const sendDecline: Scenario = async (ctx: BenchContext): Promise<ScenarioResult> => {
  const workers = Math.max(1, ctx.options.connections);
  const durationMs = ctx.options.duration * 1000;
  const warmupPairs = Math.max(100, 2 * workers);

  // Enough pairs for the duration at the sizing rate, plus the warm-up.
  const pairsNeeded =
    Math.ceil((ctx.options.duration * SIZED_FOR_MUTATIONS_PER_SECOND) / 2) + warmupPairs;
  let f = Math.ceil((1 + Math.sqrt(1 + 8 * pairsNeeded)) / 2);
  if (f % 2 === 0) f++;
  const totalPairs = (f * (f - 1)) / 2;
  ctx.log(`send-decline: signing up ${f} fresh members (${totalPairs} invitation pairs)`);
  const members = await signUpMembers(ctx, f, "sd", 8);

  let nextPair = 0;
  const pairAt = (k: number): [BenchMember, BenchMember] => {
    const d = 1 + Math.floor(k / f);
    const s = k % f;
    return [members[s], members[(s + d) % f]];
  };

  const http = ctx.servers.map((server) => new GqlHttp(server.url, workers));
  const sendLatency = new Samples();
  const declineLatency = new Samples();
  const errors = new ErrorTally();
  let attempted = 0;
  let succeeded = 0;
  let exhausted = false;
  let unexpected = 0; // a send that answered `connected: true` (a crossing) or a status not DECLINED

  /** One send + decline by worker `w`. Returns false once the pair pool is used up. */
  const iteration = async (w: number, measure: boolean): Promise<boolean> => {
    if (nextPair >= totalPairs) {
      exhausted = true;
      return false;
    }
    const [sender, recipient] = pairAt(nextPair++);
    const sendVia = http[w % http.length];
    const declineVia = http[(w + 1) % http.length];
    const sent = await sendVia.post(
      SEND,
      { input: { recipientId: recipient.id, message: "Let's connect (bench)" } },
      sender.token,
    );
    if (measure) attempted++;
    if (failed(sent)) {
      if (measure) errors.add(sent);
      return true;
    }
    if (measure) {
      succeeded++;
      sendLatency.add(sent.ms);
    }
    const payload = sent.data.sendInvitation;
    if (payload.connected) {
      if (measure) unexpected++;
      return true;
    }
    const declined = await declineVia.post(
      DECLINE,
      { id: payload.invitation.id, message: "Not now, thanks" },
      recipient.token,
    );
    if (measure) attempted++;
    if (failed(declined)) {
      if (measure) errors.add(declined);
      return true;
    }
    if (measure) {
      succeeded++;
      declineLatency.add(declined.ms);
      // The recipient's view of a declined invitation.
      if (declined.data.declineInvitation.status !== "DECLINED") unexpected++;
    }
    return true;
  };

  try {
    // Warm-up (not measured): JIT, statement caches, the server's token cache for these members.
    let warm = 0;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        while (warm < warmupPairs && (await iteration(w, false))) warm++;
      }),
    );

    ctx.log(`send-decline: ${workers} workers for ${ctx.options.duration} s`);
    const cpuBefore = serversCpuSeconds(ctx);
    const servicesBefore = serviceCpuSeconds();
    const start = performance.now();
    const deadline = start + durationMs;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        while (performance.now() < deadline && (await iteration(w, true))) {
          /* next pair */
        }
      }),
    );
    const elapsedMs = performance.now() - start;
    const cpuAfter = serversCpuSeconds(ctx);
    const servicesAfter = serviceCpuSeconds();
    const cpu = cpuPercent(cpuBefore, cpuAfter, elapsedMs);
    // Load-independent: what one mutation costs the server (ms of CPU), however busy the machine.
    const cpuMsPerMutation = attempted > 0 ? ((cpuAfter - cpuBefore) * 1000) / attempted : 0;
    if (exhausted) ctx.log("send-decline: the pair pool ran out before the deadline");

    const all = sendLatency.merge(declineLatency);
    const throughput = round2(succeeded / (elapsedMs / 1000));
    return {
      scenario: "send-decline",
      requests: attempted,
      throughput,
      p50: all.percentile(50),
      p99: all.percentile(99),
      errors: errors.total,
      rssMiB: serversRssMiB(ctx),
      extra: {
        target: ">= 1000 mutations/s, no SQLITE_BUSY, no error",
        met: throughput >= 1000 && errors.total === 0 && unexpected === 0 ? "yes" : "no",
        workers,
        seconds: round2(elapsedMs / 1000),
        mutations: succeeded,
        pairs: sendLatency.count,
        sendP50: sendLatency.percentile(50) ?? "-",
        sendP99: sendLatency.percentile(99) ?? "-",
        declineP50: declineLatency.percentile(50) ?? "-",
        declineP99: declineLatency.percentile(99) ?? "-",
        maxMs: all.max() ?? "-",
        sqliteBusy: errors.sqliteBusy,
        internalErrors: errors.count("INTERNAL_SERVER_ERROR"),
        errorsByCode: errors.summary(),
        errorExamples: errors.examples() || "-",
        unexpected,
        poolExhausted: exhausted ? "yes" : "no",
        freshMembers: f,
        ...(ctx.servers.length > 1
          ? { servers: ctx.servers.length, declinedOn: "the other instance" }
          : {}),
        serverCpuPct: cpu,
        serverCpuMsPerMutation: round2(cpuMsPerMutation),
        ...(ctx.engine === "postgres"
          ? serviceCpuNotes(servicesBefore, servicesAfter, attempted)
          : {}),
      },
    };
  } finally {
    for (const client of http) client.close();
  }
};
