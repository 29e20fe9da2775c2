/**
 * many-viewers: the seeded viewer community (2,000 members by default, see seed.ts), each
 * with a small inbox, a few connections and some notifications. K workers (K = --connections)
 * run a closed loop for --duration seconds after a warm-up; each request is, at random:
 * - a read (95% by default): one member, picked at random, reads their own inbox (first 20
 *   received invitations with totalCount and each sender's mutual count and degree) or their
 *   notifications (first 20, with the actor), half and half, as clients send it (no
 *   Cache-Control: the response cache may answer);
 * - a write (--write-pct, default 5%): in turn a send, an accept, a decline, an ignore and a
 *   block. Sends go between two members with nothing between them (a fresh pair each time);
 *   the other four each answer one seeded PENDING invitation (the block by its recipient,
 *   against its sender), every invitation at most once, so every write is valid when it is
 *   sent and the data stays consistent.
 * Members and writes are drawn from a seeded generator: two runs ask for the same sequence.
 *
 * Measured in the window: throughput (reads and writes together), p50/p99 of every request,
 * the same for reads and writes apart, errors, the response cache's hit rate over the window
 * (the servers' graphql_response_cache_total, summed over the instances) and the CPU time of
 * the servers per request. Every accept and block changes what everybody reads (degrees and
 * mutual counts), so the hit rate shows what the cache is worth under a steady trickle of
 * writes spread over many members.
 *
 * With two servers (PostgreSQL) worker w talks to instance w mod 2: each takes half of the
 * reads and half of the writes, and a member's write and their next read land on either.
 *
 * The load loop is node:http on keep-alive agents, one request per worker at a time, with the
 * two read bodies built once and the read answers checked without parsing them: the load
 * generator shares the machine's cores with the servers (its own CPU share is noted).
 */
import { performance } from "node:perf_hooks";
import { random } from "../seed";
import type { BenchContext, Scenario, ScenarioResult, ViewerCommunity } from "../types";
import {
  ErrorTally,
  failed,
  GqlHttp,
  parseResponse,
  pidsOf,
  round2,
  Samples,
  serviceCpuNotes,
  serviceCpuSeconds,
  serversCpuSeconds,
  serversRssMiB,
  sleep,
  type GqlResponse,
  type RawResponse,
} from "./common";
import { cacheCounts, cacheHitPct, graphql, shareOf, waitForIdle } from "./http";

const INBOX = `query ViewerInbox {
  receivedInvitations(first: 20) {
    totalCount
    edges { node { id message sentAt sender { id name headline mutualConnectionsCount degree } } }
  }
}`;
const NOTIFICATIONS = `query ViewerNotifications {
  notifications(first: 20) { edges { node { id kind message createdAt actor { id name } } } }
}`;
const SEND = `mutation ViewerSend($input: SendInvitationInput!) {
  sendInvitation(input: $input) { connected }
}`;
const ACCEPT = `mutation ViewerAccept($id: ID!) { acceptInvitation(id: $id) { id status } }`;
const DECLINE = `mutation ViewerDecline($id: ID!) { declineInvitation(id: $id) { id status } }`;
const IGNORE = `mutation ViewerIgnore($id: ID!) { ignoreInvitation(id: $id) { id status } }`;
const BLOCK = `mutation ViewerBlock($id: ID!) { blockMember(id: $id) }`;

const WRITES = ["send", "accept", "decline", "ignore", "block"] as const;
type WriteKind = (typeof WRITES)[number];

/** What an answer to each write must say, besides carrying no error. */
const EXPECTED: Record<WriteKind, (data: Record<string, unknown>) => boolean> = {
  send: (d) => (d.sendInvitation as { connected?: boolean })?.connected === false,
  accept: (d) => (d.acceptInvitation as { status?: string })?.status === "ACCEPTED",
  decline: (d) => (d.declineInvitation as { status?: string })?.status === "DECLINED",
  ignore: (d) => (d.ignoreInvitation as { status?: string })?.status === "IGNORED",
  block: (d) => d.blockMember === true,
};

interface Job {
  /** A read ("inbox" / "notifications") or a write. */
  kind: "inbox" | "notifications" | WriteKind;
  token: string;
  /** For writes: the operation and its variables. */
  query?: string;
  variables?: Record<string, unknown>;
}

/** Picks each worker's next request: members and writes from a seeded generator. */
class Workload {
  private readonly rand = random(20261204);
  private readonly pending: ViewerCommunity["pending"];
  private readonly order: number[];
  private writeTurn = 0;
  private freshPair = 0;
  /** Writes that found their pool used up (a read was sent instead). */
  skipped = 0;

  constructor(
    private readonly community: ViewerCommunity,
    private readonly writeShare: number,
  ) {
    this.pending = shuffle([...community.pending], this.rand);
    // Fresh pairs are taken ring distance by ring distance, each round in one shuffled order
    // of the members, so consecutive sends come from members far apart.
    this.order = shuffle(
      Array.from({ length: community.members.length }, (_, i) => i),
      this.rand,
    );
  }

  get pendingLeft(): number {
    return this.pending.length;
  }

  next(): Job {
    if (this.rand() < this.writeShare) {
      const write = this.nextWrite();
      if (write) return write;
      this.skipped++;
    }
    const members = this.community.members;
    const member = members[Math.floor(this.rand() * members.length)];
    return { kind: this.rand() < 0.5 ? "inbox" : "notifications", token: member.token };
  }

  private nextWrite(): Job | null {
    const kind = WRITES[this.writeTurn++ % WRITES.length];
    const members = this.community.members;
    if (kind === "send") {
      const size = members.length;
      const d = this.community.freshFrom + Math.floor(this.freshPair / size);
      if (2 * d >= size) return null;
      const from = this.order[this.freshPair++ % size];
      return {
        kind,
        token: members[from].token,
        query: SEND,
        variables: {
          input: { recipientId: members[(from + d) % size].id, message: "Let's connect (bench)" },
        },
      };
    }
    const invitation = this.pending.pop();
    if (!invitation) return null;
    const token = members[invitation.recipient].token;
    switch (kind) {
      case "accept":
        return { kind, token, query: ACCEPT, variables: { id: invitation.id } };
      case "decline":
        return { kind, token, query: DECLINE, variables: { id: invitation.id } };
      case "ignore":
        return { kind, token, query: IGNORE, variables: { id: invitation.id } };
      case "block":
        return { kind, token, query: BLOCK, variables: { id: members[invitation.sender].id } };
    }
  }
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export const manyViewers: Scenario = async (ctx: BenchContext): Promise<ScenarioResult> => {
  const community = ctx.viewers;
  if (!community) throw new Error("many-viewers: no viewer community was seeded");
  const workers = Math.max(1, ctx.options.connections);
  const writeShare = ctx.options.writeShare;
  const warmupMs = (ctx.options.quick ? 1 : 3) * 1000;
  const durationMs = ctx.options.duration * 1000;

  // One answer of each read, checked before the load (and their sizes noted).
  const first = community.members[0];
  const inbox = (await graphql(ctx.servers[0].url, INBOX, first.token)).receivedInvitations as {
    totalCount: number;
    edges: { node: { sender: { id: string } | null } }[];
  };
  if (!inbox.edges.length || !inbox.edges.every((e) => e.node.sender)) {
    throw new Error("many-viewers: a viewer's inbox is empty or lacks senders (was it seeded?)");
  }
  const notifications = (await graphql(ctx.servers[0].url, NOTIFICATIONS, first.token))
    .notifications as { edges: unknown[] };
  if (!notifications.edges.length) throw new Error("many-viewers: a viewer has no notifications");

  const workload = new Workload(community, writeShare);
  const clients = ctx.servers.map(
    (server, k) => new GqlHttp(server.url, Math.max(1, shareOf(workers, ctx.servers.length, k))),
  );
  const readBodies = {
    inbox: JSON.stringify({ query: INBOX }),
    notifications: JSON.stringify({ query: NOTIFICATIONS }),
  };

  const all = new Samples();
  const reads = new Samples();
  const writes = new Samples();
  const writesByKind = new Map<string, number>();
  const errors = new ErrorTally();
  let warmupErrors = 0;
  let unexpected = 0;
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let stop = false;

  const record = (job: Job, res: RawResponse, parsed: GqlResponse | null) => {
    const bad =
      res.status !== 200 ||
      res.error !== null ||
      (parsed ? failed(parsed) : res.text.includes('"errors"'));
    const inWindow = res.endedAt >= windowStart && res.endedAt <= windowEnd;
    if (!inWindow) {
      if (bad) warmupErrors++;
      return;
    }
    if (bad) {
      errors.add(parsed ?? parseResponse(res));
      return;
    }
    const ms = res.endedAt - res.startedAt;
    all.add(ms);
    if (parsed) {
      writes.add(ms);
      writesByKind.set(job.kind, (writesByKind.get(job.kind) ?? 0) + 1);
      if (!EXPECTED[job.kind as WriteKind](parsed.data ?? {})) unexpected++;
    } else reads.add(ms);
  };

  const worker = async (w: number) => {
    const client = clients[w % clients.length];
    while (!stop) {
      const job = workload.next();
      if (job.query) {
        const res = await client.send(
          JSON.stringify({ query: job.query, variables: job.variables }),
          job.token,
        );
        record(job, res, parseResponse(res));
      } else {
        const res = await client.send(readBodies[job.kind as "inbox"], job.token);
        record(job, res, null);
      }
    }
  };

  ctx.log(
    `many-viewers: ${community.members.length} members, ${workers} workers, ` +
      `${round2(writeShare * 100)}% writes; warm-up ${warmupMs / 1000} s, then ` +
      `${ctx.options.duration} s measured`,
  );
  await waitForIdle(pidsOf(ctx));
  const running = Array.from({ length: workers }, (_, w) => worker(w));
  try {
    await sleep(warmupMs);
    const cacheBefore = await cacheCounts(ctx);
    const cpuBefore = serversCpuSeconds(ctx);
    const servicesBefore = serviceCpuSeconds();
    const clientBefore = process.cpuUsage();
    windowStart = performance.now();
    await sleep(durationMs);
    windowEnd = performance.now();
    const cpuAfter = serversCpuSeconds(ctx);
    const servicesAfter = serviceCpuSeconds();
    const clientCpu = process.cpuUsage(clientBefore);
    const cacheAfter = await cacheCounts(ctx);
    stop = true;
    await Promise.all(running);

    const seconds = (windowEnd - windowStart) / 1000;
    const completed = all.count + errors.total;
    const hits = cacheHitPct(cacheBefore, cacheAfter);
    return {
      scenario: "many-viewers",
      requests: completed,
      throughput: round2(all.count / seconds),
      p50: all.percentile(50),
      p99: all.percentile(99),
      errors: errors.total,
      rssMiB: serversRssMiB(ctx),
      extra: {
        viewers: community.members.length,
        workers,
        ...(ctx.servers.length > 1 ? { servers: ctx.servers.length } : {}),
        reads: reads.count,
        writes: writes.count,
        writePct: completed ? round2((writes.count / completed) * 100) : 0,
        writesByKind: [...writesByKind].map(([k, n]) => `${k}:${n}`).join(" ") || "none",
        readP50: reads.percentile(50) ?? "-",
        readP99: reads.percentile(99) ?? "-",
        writeP50: writes.percentile(50) ?? "-",
        writeP99: writes.percentile(99) ?? "-",
        ...(hits !== null ? { cacheHitPct: hits } : {}),
        serverCpuMsPerRequest: completed
          ? Math.round(((cpuAfter - cpuBefore) * 1_000_000) / completed) / 1000
          : "-",
        ...(ctx.engine === "postgres"
          ? serviceCpuNotes(servicesBefore, servicesAfter, completed)
          : {}),
        clientCpuPct: Math.round(
          ((clientCpu.user + clientCpu.system) / 1000 / (windowEnd - windowStart)) * 100,
        ),
        firstViewerInbox: inbox.totalCount,
        unexpected,
        ...(errors.total
          ? { errorsByCode: errors.summary(), errorExamples: errors.examples() }
          : {}),
        ...(warmupErrors ? { warmupErrors } : {}),
        ...(workload.skipped ? { writesSkipped: workload.skipped } : {}),
        pendingLeft: workload.pendingLeft,
      },
    };
  } finally {
    stop = true;
    await Promise.allSettled(running);
    for (const client of clients) client.close();
  }
};
