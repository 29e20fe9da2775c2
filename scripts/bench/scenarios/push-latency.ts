/**
 * push-latency: N senders (--subscribers) each hold one authenticated graphql-ws connection
 * with two subscriptions, `invitationDeclined` and `notificationAdded`, and each has one
 * pending invitation. Recipients then decline those invitations at a fixed rate R (--rate)
 * through a few keep-alive HTTP connections. Latency is the time from the decline's HTTP
 * response (its last byte, in this process) to the arrival of that sender's
 * `invitationDeclined` event (the `notificationAdded` arrival is recorded too). Every decline
 * must produce exactly one of each; what has not arrived 2 s after the last decline is lost.
 *
 * Registration: the server cannot tell another process when a subscription is listening, and
 * a graphql-ws ping/pong only proves the server *read* the subscribe message (its resolver
 * still runs asynchronously after that, e.g. notificationAdded reads the member's last
 * sequence number first). So each sender is probed instead: it sends a throwaway invitation to
 * a probe recipient, who declines it, and the scenario waits until that sender's socket has
 * received both events (a bounded wait on a condition, never a blind sleep). A sender whose
 * probe events both arrived is provably registered on both topics; one that is not after 20 s
 * is reported as `unregistered` (and its events will count as lost). The probe round also
 * warms the server's event path. Events are matched by their decline message, unique per
 * sender, so probe and measured events cannot be confused.
 *
 * With two servers (PostgreSQL + Redis) sender i's socket is on instance i mod 2 and its
 * recipient declines through the other one, probes included: every event measured crossed
 * from one process to the other through Redis.
 *
 * The event may arrive before the HTTP response does (the server publishes right after the
 * commit, before Apollo writes the response): such latencies count as 0 and are reported as
 * `eventBeforeResponse`; the time from the decline *request* to the event is reported as well.
 */
import { performance } from "node:perf_hooks";
import type { Client } from "graphql-ws";
import type { BenchContext, Scenario, ScenarioResult } from "../types";
import {
  type BenchMember,
  connectGraphqlWs,
  cpuPercent,
  ErrorTally,
  failed,
  GqlHttp,
  round2,
  runPool,
  Samples,
  serviceCpuNotes,
  serviceCpuSeconds,
  serversCpuSeconds,
  serversRssMiB,
  signUpMembers,
  sleep,
  someMembers,
} from "./common";

const SEND = `mutation BenchSend($input: SendInvitationInput!) {
  sendInvitation(input: $input) { connected invitation { id } }
}`;
const DECLINE = `mutation BenchDecline($id: ID!, $message: String) {
  declineInvitation(id: $id, message: $message) { id status }
}`;
const DECLINED_SUB = `subscription BenchDeclined {
  invitationDeclined { message declinedAt invitation { id status } }
}`;
const NOTIFICATION_SUB = `subscription BenchNotifications {
  notificationAdded { id cursor kind message createdAt }
}`;

const CONNECT_BATCH = 200;
const GRACE_MS = 2_000;
const PROBE_WAIT_MS = 20_000;
const DECLINE_CLIENTS = 4;

interface SenderState {
  /** Index of the server the sender subscribes on (and sends through). */
  home: number;
  /** Index of the server the recipients decline through: the other one when there are two. */
  away: number;
  member: BenchMember;
  recipient: BenchMember;
  probeRecipient: BenchMember;
  /** Decline message of the measured decline, unique per sender. */
  message: string;
  probeMessage: string;
  invitationId: string | null;
  client: Client | null;
  probeDeclined: number;
  probeNotified: number;
  declineRequestAt: number | null;
  declineResponseAt: number | null;
  declinedEvents: number;
  notifiedEvents: number;
  declinedAt: number | null;
  notifiedAt: number | null;
  closedEarly: boolean;
}

export const pushLatency: Scenario = async (ctx: BenchContext): Promise<ScenarioResult> => {
  const n = Math.max(1, ctx.options.subscribers);
  const rate = Math.max(1, ctx.options.rate);
  const recipientCount = Math.max(2, Math.ceil(n / 250));

  ctx.log(`push-latency: ${n} senders, ${rate} declines/s`);
  const { members: senders, fresh } = await someMembers(ctx, n, "pl-sender");
  const extraMembers = await signUpMembers(ctx, 2 * recipientCount, "pl-rcpt");
  const recipients = extraMembers.slice(0, recipientCount);
  const probeRecipients = extraMembers.slice(recipientCount);

  const servers = ctx.servers.length;
  const states: SenderState[] = senders.map((member, i) => ({
    home: i % servers,
    away: (i + 1) % servers,
    member,
    recipient: recipients[i % recipientCount],
    probeRecipient: probeRecipients[i % recipientCount],
    message: `bench-decline-${i}`,
    probeMessage: `bench-probe-${i}`,
    invitationId: null,
    client: null,
    probeDeclined: 0,
    probeNotified: 0,
    declineRequestAt: null,
    declineResponseAt: null,
    declinedEvents: 0,
    notifiedEvents: 0,
    declinedAt: null,
    notifiedAt: null,
    closedEarly: false,
  }));

  const setupStart = performance.now();
  const setupHttp = ctx.servers.map((server) => new GqlHttp(server.url, 16));
  const http = ctx.servers.map((server) => new GqlHttp(server.url, DECLINE_CLIENTS));
  const setupErrors = new ErrorTally();
  const declineErrors = new ErrorTally();
  let connectFailures = 0;
  let subscriptionErrors = 0;
  let strayEvents = 0;
  let lastEventAt = 0;

  try {
    // 1. One pending invitation per sender (to a handful of fresh recipients).
    ctx.log("push-latency: sending one invitation per sender");
    await runPool(states.length, 16, async (i) => {
      const s = states[i];
      const res = await setupHttp[s.home].post(
        SEND,
        { input: { recipientId: s.recipient.id, message: "bench" } },
        s.member.token,
      );
      if (failed(res) || res.data.sendInvitation.connected) setupErrors.add(res);
      else s.invitationId = res.data.sendInvitation.invitation.id;
    });

    // 2. Sockets, in batches, each with both subscriptions.
    ctx.log(`push-latency: opening ${states.length} graphql-ws connections`);
    for (let from = 0; from < states.length; from += CONNECT_BATCH) {
      const batch = states.slice(from, from + CONNECT_BATCH);
      await Promise.all(
        batch.map(async (s) => {
          try {
            s.client = await connectGraphqlWs(ctx.servers[s.home].wsUrl, s.member.token, () => {
              s.closedEarly = true;
            });
          } catch {
            connectFailures++;
            return;
          }
          subscribeBoth(s);
        }),
      );
    }

    // 3. Probe every sender and wait until both of its events arrived.
    ctx.log("push-latency: probing every subscription (one throwaway decline per sender)");
    await runPool(states.length, 16, async (i) => {
      const s = states[i];
      if (!s.client) return;
      const sent = await setupHttp[s.home].post(
        SEND,
        { input: { recipientId: s.probeRecipient.id, message: "probe" } },
        s.member.token,
      );
      if (failed(sent) || sent.data.sendInvitation.connected) {
        setupErrors.add(sent);
        return;
      }
      const declined = await setupHttp[s.away].post(
        DECLINE,
        { id: sent.data.sendInvitation.invitation.id, message: s.probeMessage },
        s.probeRecipient.token,
      );
      if (failed(declined)) setupErrors.add(declined);
    });
    const probeStart = performance.now();
    const registered = () =>
      states.filter((s) => s.probeDeclined > 0 && s.probeNotified > 0).length;
    const wanted = states.filter((s) => s.client).length;
    while (registered() < wanted && performance.now() - probeStart < PROBE_WAIT_MS) {
      await sleep(10);
    }
    const probeWaitMs = performance.now() - probeStart;
    const unregistered = wanted - registered();
    if (unregistered > 0) ctx.log(`push-latency: ${unregistered} senders never got their probe`);

    const setupSeconds = (performance.now() - setupStart) / 1000;

    // 4. Declines at a fixed rate (open loop: the schedule does not wait for responses).
    const toDecline = states.filter((s) => s.invitationId && s.client);
    ctx.log(`push-latency: ${toDecline.length} declines at ${rate}/s`);
    const cpuBefore = serversCpuSeconds(ctx);
    const servicesBefore = serviceCpuSeconds();
    const t0 = performance.now() + 20;
    const inFlight: Promise<void>[] = [];
    let lastSlip = 0;
    for (let i = 0; i < toDecline.length; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      lastSlip = Math.max(lastSlip, performance.now() - due);
      const s = toDecline[i];
      inFlight.push(
        http[s.away]
          .post(DECLINE, { id: s.invitationId, message: s.message }, s.recipient.token)
          .then((res) => {
            s.declineRequestAt = res.startedAt;
            if (failed(res)) declineErrors.add(res);
            else s.declineResponseAt = res.endedAt;
          }),
      );
    }
    await Promise.all(inFlight);
    const lastResponse = performance.now();
    const declineWindowMs = lastResponse - t0;
    const cpuAfter = serversCpuSeconds(ctx);
    const servicesAfter = serviceCpuSeconds();
    const cpu = cpuPercent(cpuBefore, cpuAfter, declineWindowMs);

    // 5. Grace period for stragglers: until everything arrived, at most GRACE_MS.
    const declinedOk = toDecline.filter((s) => s.declineResponseAt !== null);
    const allArrived = () => declinedOk.every((s) => s.declinedEvents > 0 && s.notifiedEvents > 0);
    while (!allArrived() && performance.now() - lastResponse < GRACE_MS) await sleep(5);

    // 6. Numbers.
    const declined = new Samples();
    const notified = new Samples();
    const declineHttp = new Samples();
    const fromRequest = new Samples();
    let before = 0;
    let lostDeclined = 0;
    let lostNotified = 0;
    let duplicates = 0;
    for (const s of declinedOk) {
      const resp = s.declineResponseAt!;
      declineHttp.add(resp - s.declineRequestAt!);
      if (s.declinedAt === null) lostDeclined++;
      else {
        if (s.declinedAt < resp) before++;
        declined.add(Math.max(0, s.declinedAt - resp));
        fromRequest.add(s.declinedAt - s.declineRequestAt!);
      }
      if (s.notifiedAt === null) lostNotified++;
      else notified.add(Math.max(0, s.notifiedAt - resp));
      duplicates += Math.max(0, s.declinedEvents - 1) + Math.max(0, s.notifiedEvents - 1);
    }
    const events = declined.count + notified.count;
    const eventWindowMs = Math.max(lastEventAt, lastResponse) - t0;
    const lost = lostDeclined + lostNotified;
    const p50 = declined.percentile(50);
    const p99 = declined.percentile(99);
    const closedEarly = states.filter((s) => s.closedEarly).length;

    return {
      scenario: "push-latency",
      requests: toDecline.length,
      throughput: round2(events / (eventWindowMs / 1000)),
      p50,
      p99,
      errors:
        declineErrors.total +
        setupErrors.total +
        connectFailures +
        subscriptionErrors +
        duplicates +
        closedEarly,
      rssMiB: serversRssMiB(ctx),
      extra: {
        target: "p50 <= 5 ms, p99 <= 30 ms, 0 lost (2,000 subscribers, 200 declines/s)",
        met:
          p50 !== null && p99 !== null && p50 <= 5 && p99 <= 30 && lost === 0 && duplicates === 0
            ? "yes"
            : "no",
        subscribers: wanted,
        sendersSeeded: fresh ? "no (signed up)" : "yes",
        rate,
        achievedDeclinesPerSec: round2(declinedOk.length / (declineWindowMs / 1000)),
        schedulerMaxSlipMs: round2(lastSlip),
        lost,
        lostDeclined,
        lostNotification: lostNotified,
        duplicates,
        notificationP50: notified.percentile(50) ?? "-",
        notificationP99: notified.percentile(99) ?? "-",
        declinedMaxMs: declined.max() ?? "-",
        declineHttpP50: declineHttp.percentile(50) ?? "-",
        declineHttpP99: declineHttp.percentile(99) ?? "-",
        fromRequestP50: fromRequest.percentile(50) ?? "-",
        fromRequestP99: fromRequest.percentile(99) ?? "-",
        eventBeforeResponse: before,
        declineErrors: declineErrors.summary(),
        setupErrors: setupErrors.summary(),
        connectFailures,
        subscriptionErrors,
        socketsClosedEarly: closedEarly,
        strayEvents,
        unregistered,
        probeWaitMs: round2(probeWaitMs),
        setupSeconds: round2(setupSeconds),
        serverCpuPct: cpu,
        // Server CPU per decline, its two events to the sender included.
        serverCpuMsPerDecline: round2(
          ((cpuAfter - cpuBefore) * 1000) / Math.max(1, toDecline.length),
        ),
        ...(ctx.engine === "postgres"
          ? serviceCpuNotes(servicesBefore, servicesAfter, toDecline.length)
          : {}),
        ...(servers > 1 ? { servers, declinedOn: "the other instance" } : {}),
      },
    };
  } finally {
    for (const client of [...setupHttp, ...http]) client.close();
    await Promise.all(states.map((s) => s.client?.dispose()));
  }

  function subscribeBoth(s: SenderState): void {
    const client = s.client!;
    const sink = (onData: (data: Record<string, { message?: string | null }>) => void) => ({
      next: (value: { data?: unknown; errors?: unknown }) => {
        if (value.errors || !value.data) subscriptionErrors++;
        else onData(value.data as Record<string, { message?: string | null }>);
      },
      error: () => {
        subscriptionErrors++;
      },
      complete: () => {},
    });
    client.subscribe(
      { query: DECLINED_SUB },
      sink((data) => {
        const at = performance.now();
        lastEventAt = at;
        const message = data.invitationDeclined?.message;
        if (message === s.probeMessage) s.probeDeclined++;
        else if (message === s.message) {
          s.declinedEvents++;
          s.declinedAt ??= at;
        } else strayEvents++;
      }),
    );
    client.subscribe(
      { query: NOTIFICATION_SUB },
      sink((data) => {
        const at = performance.now();
        lastEventAt = at;
        const message = data.notificationAdded?.message;
        if (message === s.probeMessage) s.probeNotified++;
        else if (message === s.message) {
          s.notifiedEvents++;
          s.notifiedAt ??= at;
        } else strayEvents++;
      }),
    );
  }
};
