/**
 * Two server processes on one PostgreSQL database and one Redis: what a deployment behind a
 * load balancer relies on. Runs only with DATABASE_URL and REDIS_URL (test/global-setup.ts
 * says so when it is skipped).
 */
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  startCluster,
  startInstance,
  stopAll,
  waitForChannels,
  wsClient,
  type Instance,
  type WsClient,
} from "./helpers/cluster";
import {
  act,
  codeOf,
  gql,
  inviteOk,
  ok,
  signUp,
  type GqlResult,
  type TestMember,
} from "./helpers/http";
import { startLatencyProxy } from "./helpers/latency-proxy";
import { RedisProxy } from "./helpers/redis-proxy";

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;

const INVITATION_DECLINED = /* GraphQL */ `
  subscription {
    invitationDeclined {
      message
      declinedAt
      invitation {
        id
        status
        responseMessage
      }
    }
  }
`;
const INVITATION_ACCEPTED = /* GraphQL */ `
  subscription {
    invitationAccepted {
      id
      status
    }
  }
`;
const INVITATION_RECEIVED = /* GraphQL */ `
  subscription {
    invitationReceived {
      id
      status
    }
  }
`;
const NOTIFICATION_ADDED = /* GraphQL */ `
  subscription {
    notificationAdded {
      kind
      message
      actor {
        id
      }
      invitation {
        id
        status
      }
    }
  }
`;

/** `a` invites `b` on one instance, `b` accepts on the other. */
async function connectOn(one: Instance, other: Instance, x: TestMember, y: TestMember) {
  const id = await inviteOk(one, x, y.id);
  ok(await act(other, y, "acceptInvitation", id));
}

/** The instance's response cache hits so far (its /metrics). */
async function cacheHits(instance: Instance): Promise<number> {
  const text = await (await fetch(new URL("/metrics", instance.url))).text();
  return Number(/graphql_response_cache_total\{result="hit"\} (\d+)/.exec(text)?.[1] ?? 0);
}

/** Redis channels of the per-member topics (src/common/pubsub.ts: `TOPIC:memberId`). */
const channel = (topic: string, memberId: string) => `${topic}:${memberId}`;

describe.skipIf(!DATABASE_URL || !REDIS_URL)("two instances on PostgreSQL + Redis", () => {
  let a: Instance;
  let b: Instance;
  let redis: Redis;
  let db: pg.Client;
  let databaseUrl: string;
  const sockets: WsClient[] = [];

  const open = (instance: Instance, token: string) => {
    const ws = wsClient(instance.wsUrl, token);
    sockets.push(ws);
    return ws;
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase(DATABASE_URL!);
    [a, b] = await startCluster({ count: 2, databaseUrl, redisUrl: REDIS_URL! });
    redis = new Redis(REDIS_URL!);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    // Above the helper's own 60 s readiness limit, so that its error (with the logs) shows.
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled(sockets.map((s) => s.close()));
    await stopAll([a, b].filter(Boolean));
    await redis?.quit();
    await db?.end();
  });

  it("a decline through B reaches the sender's subscriptions on A, with its message", async () => {
    const sender = await signUp(a, { name: "Sender on A" });
    const recipient = await signUp(b, { name: "Recipient on B" });
    const id = await inviteOk(a, sender, recipient.id, "Shall we connect?");

    const ws = open(a, sender.token);
    const declined = ws.subscribe(INVITATION_DECLINED);
    const added = ws.subscribe(NOTIFICATION_ADDED);
    await waitForChannels(redis, [
      channel("INVITATION_DECLINED", sender.id),
      channel("NOTIFICATION_ADDED", sender.id),
    ]);

    const message = "Thank you, but not now.";
    ok(await act(b, recipient, "declineInvitation", id, message));

    const event = await declined.next();
    expect(event).toMatchObject({
      message,
      invitation: { id, status: "DECLINED", responseMessage: message },
    });
    expect(typeof event.declinedAt).toBe("string");
    expect(await added.next()).toEqual({
      kind: "INVITATION_DECLINED",
      message,
      actor: { id: recipient.id },
      invitation: { id, status: "DECLINED" },
    });
  });

  it("notificationAdded(after:) on an instance far from Redis misses nothing committed while its SUBSCRIBE travels", async () => {
    // C reaches Redis through a proxy that delays each command 300 ms: its SUBSCRIBE arrives
    // long after C has read the stored notifications. Before C waited for Redis to confirm
    // it, a decline committed in that gap was neither in the read nor signalled.
    const target = new URL(REDIS_URL!);
    const proxy = await startLatencyProxy(
      { host: target.hostname, port: Number(target.port || 6379) },
      300,
    );
    const far = new URL(REDIS_URL!);
    far.hostname = proxy.host;
    far.port = String(proxy.port);
    const c = await startInstance("C", {
      DATABASE_URL: databaseUrl,
      REDIS_URL: far.toString(),
      JWT_SECRET: "cluster-test-secret",
    });
    try {
      const [sender, recipient, other] = await Promise.all([signUp(b), signUp(b), signUp(b)]);
      // A first notification, for the cursor the client resumes from.
      const first = await inviteOk(b, sender, other.id);
      ok(await act(b, other, "declineInvitation", first, "Not now."));
      const listed = ok(
        await gql(b, `{ notifications(first: 1) { edges { cursor } } }`, {}, sender.token),
      );
      const id = await inviteOk(b, sender, recipient.id);

      const ws = open(c, sender.token);
      const added = ws.subscribe(
        `subscription ($after: String) {
          notificationAdded(after: $after) { kind message invitation { id } }
        }`,
        { after: listed.notifications.edges[0].cursor },
      );
      // Time for C to start the stream and read the store, not for its SUBSCRIBE to arrive.
      await new Promise((r) => setTimeout(r, 100));
      ok(await act(b, recipient, "declineInvitation", id, "Maybe later."));

      expect(await added.next(3_000)).toEqual({
        kind: "INVITATION_DECLINED",
        message: "Maybe later.",
        invitation: { id },
      });
      await added.expectNone(300);
    } finally {
      await c.stop();
      await proxy.close();
    }
  });

  it("an ignore through B reaches none of the sender's subscriptions on A", async () => {
    const sender = await signUp(a);
    const recipient = await signUp(b);
    const id = await inviteOk(b, sender, recipient.id);

    const ws = open(a, sender.token);
    const subs = [
      INVITATION_RECEIVED,
      INVITATION_ACCEPTED,
      INVITATION_DECLINED,
      NOTIFICATION_ADDED,
    ].map((q) => ws.subscribe(q));
    await waitForChannels(
      redis,
      [
        "INVITATION_RECEIVED",
        "INVITATION_ACCEPTED",
        "INVITATION_DECLINED",
        "NOTIFICATION_ADDED",
      ].map((topic) => channel(topic, sender.id)),
    );

    ok(await act(b, recipient, "ignoreInvitation", id));
    await Promise.all(subs.map((s) => s.expectNone(500)));
    // To the sender it still looks pending, on either instance.
    const seen = ok(
      await gql(a, `query ($id: ID!) { invitation(id: $id) { status } }`, { id }, sender.token),
    );
    expect(seen.invitation.status).toBe("PENDING");

    // The same sockets are live: a decline of the ignored invitation arrives.
    ok(await act(b, recipient, "declineInvitation", id, "Declined after all."));
    const [received, accepted, declined, added] = subs;
    expect((await declined.next()).invitation).toEqual({
      id,
      status: "DECLINED",
      responseMessage: "Declined after all.",
    });
    expect((await added.next()).kind).toBe("INVITATION_DECLINED");
    expect(received.events).toEqual([]);
    expect(accepted.events).toEqual([]);
  });

  it("200 concurrent accept/decline/withdraw races over both instances: one winner each", async () => {
    const instances = [a, b];
    const members = await Promise.all(
      Array.from({ length: 30 }, (_, i) => signUp(instances[i % 2], { name: `Racer ${i}` })),
    );
    const senders = members.slice(0, 20);
    const recipients = members.slice(20);
    const pairs = senders.flatMap((sender) =>
      recipients.map((recipient) => ({ sender, recipient })),
    );
    const invitations = await Promise.all(
      pairs.map(async (p, i) => ({
        ...p,
        id: await inviteOk(instances[i % 2], p.sender, p.recipient.id),
      })),
    );
    expect(new Set(invitations.map((inv) => inv.id)).size).toBe(200);

    const ACTIONS = [
      { action: "acceptInvitation", actor: "recipient", status: "ACCEPTED" },
      { action: "declineInvitation", actor: "recipient", status: "DECLINED" },
      { action: "withdrawInvitation", actor: "sender", status: "WITHDRAWN" },
    ] as const;
    // Every request at once; the three on one invitation alternate between A and B.
    const results = await Promise.all(
      invitations.map((inv, i) =>
        Promise.all(
          ACTIONS.map(({ action, actor }, k) =>
            act(instances[(i + k) % 2], inv[actor], action, inv.id, "race"),
          ),
        ),
      ),
    );

    const winners = new Map<string, (typeof ACTIONS)[number]["status"]>();
    const problems: string[] = [];
    invitations.forEach((inv, i) => {
      const outcome = results[i];
      const won = ACTIONS.filter((_, k) => succeeded(outcome[k], ACTIONS[k].action));
      const lost = ACTIONS.map((x, k) => ({ ...x, res: outcome[k] })).filter(
        (_, k) => !succeeded(outcome[k], ACTIONS[k].action),
      );
      if (won.length !== 1) problems.push(`${inv.id}: ${won.length} winners`);
      for (const l of lost) {
        if (codeOf(l.res) !== "CONFLICT") {
          problems.push(`${inv.id} ${l.action}: ${JSON.stringify(l.res.errors ?? l.res.data)}`);
        }
      }
      if (won.length === 1) winners.set(inv.id, won[0].status);
    });
    expect(problems).toEqual([]);

    const ids = invitations.map((inv) => inv.id);
    const { rows: stored } = await db.query<{ id: string; status: string }>(
      `SELECT "id", "status" FROM "invitation" WHERE "id" = ANY($1)`,
      [ids],
    );
    expect(stored).toHaveLength(200);
    for (const row of stored) expect(row.status, row.id).toBe(winners.get(row.id));

    // Connections: exactly two rows (one each way) per accepted pair, none for the others.
    const { rows: connections } = await db.query<{ memberId: string; otherId: string }>(
      `SELECT "memberId", "otherId" FROM "connection"`,
    );
    const connected = new Map<string, number>();
    for (const c of connections) {
      const key = [c.memberId, c.otherId].sort().join("|");
      connected.set(key, (connected.get(key) ?? 0) + 1);
    }
    for (const inv of invitations) {
      const key = [inv.sender.id, inv.recipient.id].sort().join("|");
      const expected = winners.get(inv.id) === "ACCEPTED" ? 2 : 0;
      expect(connected.get(key) ?? 0, `${inv.id} ${winners.get(inv.id)}`).toBe(expected);
    }
    const accepted = [...winners.values()].filter((s) => s === "ACCEPTED").length;
    expect(connections).toHaveLength(2 * accepted);

    // One notification per event that happened: the answer's, and the receipt unless withdrawn.
    const { rows: notes } = await db.query<{ invitationId: string; kind: string; n: number }>(
      `SELECT "invitationId", "kind", COUNT(*)::int AS n FROM "notification"
        WHERE "invitationId" = ANY($1) GROUP BY "invitationId", "kind"`,
      [ids],
    );
    const found = new Map(notes.map((r) => [`${r.invitationId} ${r.kind}`, r.n]));
    for (const inv of invitations) {
      const winner = winners.get(inv.id);
      const count = (kind: string) => found.get(`${inv.id} ${kind}`) ?? 0;
      expect(count("INVITATION_ACCEPTED"), inv.id).toBe(winner === "ACCEPTED" ? 1 : 0);
      expect(count("INVITATION_DECLINED"), inv.id).toBe(winner === "DECLINED" ? 1 : 0);
      // The row stays after a withdraw (hidden from the recipient, so sequence numbers are
      // never reused): exactly one per invitation whatever won.
      expect(count("INVITATION_RECEIVED"), inv.id).toBe(1);
    }
  }, 90_000);

  it("response cache: a write on one instance, then a read on the other, is never stale", async () => {
    const INBOX = `query Inbox { receivedInvitations(first: 20) {
      totalCount edges { node { id status sender { id mutualConnectionsCount degree } } } } }`;
    const SENT = `query Sent { sentInvitations(first: 20) { totalCount edges { node { id status } } } }`;
    const [viewer, common, ...senders] = await Promise.all(
      Array.from({ length: 8 }, (_, i) => signUp(i % 2 ? a : b, { name: `Cache ${i}` })),
    );
    await connectOn(a, b, viewer, common);
    const hitsBefore = await cacheHits(b);
    for (const [i, sender] of senders.entries()) {
      // The viewer's answers cached on B (asked twice: the second is served from memory).
      const before = ok(await gql(b, INBOX, {}, viewer.token));
      expect(ok(await gql(b, INBOX, {}, viewer.token))).toEqual(before);
      ok(await gql(b, SENT, {}, sender.token));
      // A write on A that changes them: B answers it at once.
      const id = await inviteOk(a, sender, viewer.id, `Hello ${i}`);
      const inbox = ok(await gql(b, INBOX, {}, viewer.token)).receivedInvitations;
      expect(inbox.totalCount).toBe(before.receivedInvitations.totalCount + 1);
      expect(inbox.edges[0].node).toMatchObject({ id, sender: { mutualConnectionsCount: 0 } });
      // A connection between two others on A moves the viewer's mutual count, read on B.
      await connectOn(a, a, sender, common);
      const moved = ok(await gql(b, INBOX, {}, viewer.token)).receivedInvitations;
      expect(moved.edges[0].node.sender).toMatchObject({
        mutualConnectionsCount: 1,
        degree: "SECOND",
      });
      // The viewer declines on A; the sender's cached list on B shows it.
      ok(await act(a, viewer, "declineInvitation", id, "No"));
      const sent = ok(await gql(b, SENT, {}, sender.token)).sentInvitations;
      const mine = sent.edges.find((e: { node: { id: string } }) => e.node.id === id);
      expect(mine.node).toEqual({ id, status: "DECLINED" });
    }
    // The cache was in use all along.
    expect((await cacheHits(b)) - hitsBefore).toBeGreaterThanOrEqual(senders.length);
  });

  it("response cache: while Redis is unreachable nothing is served from it, and then nothing stale", async () => {
    const proxy = await RedisProxy.start(new URL(REDIS_URL!));
    // C reaches Redis through a proxy that can be cut; A writes meanwhile.
    const c = await startInstance("C", {
      DATABASE_URL: databaseUrl,
      REDIS_URL: proxy.url,
      JWT_SECRET: "cluster-test-secret",
    });
    try {
      const [viewer, sender] = await Promise.all([signUp(a), signUp(a)]);
      const INBOX = `{ receivedInvitations { totalCount } }`;
      ok(await gql(c, INBOX, {}, viewer.token));
      const hits = await cacheHits(c);
      expect(ok(await gql(c, INBOX, {}, viewer.token)).receivedInvitations.totalCount).toBe(0);
      expect(await cacheHits(c)).toBe(hits + 1);

      await proxy.cut();
      await inviteOk(a, sender, viewer.id);
      // C cannot know about A's write: it computes the answer, and keeps nothing.
      for (let i = 0; i < 3; i++) {
        expect(ok(await gql(c, INBOX, {}, viewer.token)).receivedInvitations.totalCount).toBe(1);
      }
      expect(await cacheHits(c)).toBe(hits + 1);

      await proxy.restore();
      await inviteOk(a, await signUp(a), viewer.id);
      // Back: right at once, and cached again.
      for (let i = 0; i < 30; i++) {
        expect(ok(await gql(c, INBOX, {}, viewer.token)).receivedInvitations.totalCount).toBe(2);
        if ((await cacheHits(c)) > hits + 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await cacheHits(c)).toBeGreaterThan(hits + 1);
    } finally {
      await c.stop();
      await proxy.stop();
    }
  }, 60_000);

  it("/healthz on both reports PostgreSQL and Redis", async () => {
    for (const instance of [a, b]) {
      const res = await fetch(instance.healthUrl);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        status: "ok",
        database: "ok",
        engine: "postgres",
        pubsub: "redis",
        redis: "ok",
      });
    }
  });

  it("SIGTERM closes open WebSockets with 1001 and exits 0", async () => {
    const member = await signUp(b);
    const ws = open(b, member.token);
    ws.subscribe(NOTIFICATION_ADDED);
    await waitForChannels(redis, [channel("NOTIFICATION_ADDED", member.id)]);

    b.child.kill("SIGTERM");
    expect(await ws.closed).toBe(1001);
    expect(await b.exited).toEqual({ code: 0, signal: null });
    // The other instance goes on.
    expect((await fetch(a.healthUrl)).status).toBe(200);
  });
});

/** Whether one race request won: no error and its mutation's result present. */
function succeeded(res: GqlResult, action: string): boolean {
  return !res.errors?.length && !!res.data?.[action];
}
