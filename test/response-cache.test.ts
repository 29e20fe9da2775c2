/**
 * The response cache (src/transport/response-cache.ts) over real HTTP: a repeated query is answered
 * without SQL, and every write that changes what a member can read is seen at once, including
 * one by another process on the same SQLite file. An ignore leaves the sender's cached answers
 * as they were (rule 1). On PostgreSQL the cache is off.
 */
import { HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Context } from "../src/context";
import { DataVersions } from "../src/db/changes";
import { ResponseCache } from "../src/transport/response-cache";
import { act, connect, gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { ON_POSTGRES, startTestServer, type TestServer } from "./helpers/server";

const INBOX = `query Inbox { receivedInvitations(first: 20) {
  totalCount edges { node { id status sender { name headline mutualConnectionsCount degree } } }
} }`;
const SENT = `query Sent { sentInvitations(first: 20) { edges { node { id status responseMessage } } } }`;
const NOTIFICATIONS = `query Notes { notifications(first: 20) { edges { node { kind message } } } }`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Runs `query` as `viewer` and reports whether the cache answered it, and with how much SQL. */
async function read(viewer: TestMember, query: string, variables: object = {}) {
  const counts = server.responseCacheCounts();
  const queries = server.queryCount();
  const data = ok(await gql(server, query, variables, viewer.token));
  const hit = server.responseCacheCounts().hit === counts.hit + 1;
  return { data, hit, sql: server.queryCount() - queries };
}

/** The same query computed afresh (`Cache-Control: no-cache`), for comparison. */
async function fresh(viewer: TestMember, query: string): Promise<unknown> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${viewer.token}`,
      "cache-control": "no-cache",
    },
    body: JSON.stringify({ query }),
  });
  return ((await res.json()) as { data: unknown }).data;
}

describe.skipIf(ON_POSTGRES)("response cache (SQLite)", () => {
  it("answers a repeated query from memory, with no SQL", async () => {
    const [bob, alice] = [await signUp(server), await signUp(server)];
    await inviteOk(server, alice, bob.id, "hello");
    const first = await read(bob, INBOX);
    expect(first.hit).toBe(false);
    expect(first.sql).toBeGreaterThan(0);
    const second = await read(bob, INBOX);
    expect(second).toEqual({ data: first.data, hit: true, sql: 0 });
    // Operators see the same counts in the metrics.
    const metrics = await (await fetch(new URL("/metrics", server.url))).text();
    const hits = /graphql_response_cache_total\{result="hit"\} (\d+)/.exec(metrics);
    expect(Number(hits?.[1])).toBe(server.responseCacheCounts().hit);
  });

  it("keeps each member's answers to that member", async () => {
    const [bob, carol, alice] = [await signUp(server), await signUp(server), await signUp(server)];
    await inviteOk(server, alice, bob.id);
    await read(bob, INBOX);
    const carols = await read(carol, INBOX);
    expect(carols.hit).toBe(false);
    expect(carols.data.receivedInvitations.totalCount).toBe(0);
  });

  it("computes again after a write the viewer can see", async () => {
    const [bob, alice, dave] = [await signUp(server), await signUp(server), await signUp(server)];
    await inviteOk(server, alice, bob.id);
    await read(bob, INBOX);
    await inviteOk(server, dave, bob.id);
    const after = await read(bob, INBOX);
    expect(after.hit).toBe(false);
    expect(after.data.receivedInvitations.totalCount).toBe(2);
  });

  it("an ignore changes the recipient's answers and leaves the sender's as they were", async () => {
    const [bob, alice] = [await signUp(server), await signUp(server)];
    const id = await inviteOk(server, alice, bob.id);
    const sent = await read(alice, SENT);
    await read(bob, INBOX);
    ok(await act(server, bob, "ignoreInvitation", id));
    const sentAfter = await read(alice, SENT);
    // Not even the sender's cache moved: nothing of theirs depends on the ignore.
    expect(sentAfter).toEqual({ data: sent.data, hit: true, sql: 0 });
    expect(sentAfter.data.sentInvitations.edges[0].node.status).toBe("PENDING");
    const inbox = await read(bob, INBOX);
    expect(inbox.hit).toBe(false);
    expect(inbox.data.receivedInvitations.totalCount).toBe(0);
  });

  it("a decline reaches the sender's cached list and notifications", async () => {
    const [bob, alice] = [await signUp(server), await signUp(server)];
    const id = await inviteOk(server, alice, bob.id);
    await read(alice, SENT);
    await read(alice, NOTIFICATIONS);
    ok(await act(server, bob, "declineInvitation", id, "Not now"));
    const sent = await read(alice, SENT);
    expect(sent.hit).toBe(false);
    expect(sent.data.sentInvitations.edges[0].node).toMatchObject({
      status: "DECLINED",
      responseMessage: "Not now",
    });
    const notes = await read(alice, NOTIFICATIONS);
    expect(notes.data.notifications.edges[0].node).toMatchObject({
      kind: "INVITATION_DECLINED",
      message: "Not now",
    });
  });

  it("a connection between two others moves the viewer's mutual counts", async () => {
    const [viewer, alice, carol] = [
      await signUp(server),
      await signUp(server),
      await signUp(server),
    ];
    await connect(server, viewer, carol);
    await inviteOk(server, alice, viewer.id);
    const before = await read(viewer, INBOX);
    expect(before.data.receivedInvitations.edges[0].node.sender.mutualConnectionsCount).toBe(0);
    await connect(server, alice, carol);
    const after = await read(viewer, INBOX);
    expect(after.hit).toBe(false);
    expect(after.data.receivedInvitations.edges[0].node.sender).toMatchObject({
      mutualConnectionsCount: 1,
      degree: "SECOND",
    });
  });

  it("sees a write by another process on the same SQLite file", async () => {
    const [bob, alice] = [await signUp(server), await signUp(server)];
    await inviteOk(server, alice, bob.id);
    await read(bob, INBOX);
    expect((await read(bob, INBOX)).hit).toBe(true);
    const other = new Database(server.sqlitePath);
    try {
      other.prepare(`UPDATE "member" SET "headline" = ? WHERE "id" = ?`).run("Renamed", alice.id);
    } finally {
      other.close();
    }
    const after = await read(bob, INBOX);
    expect(after.hit).toBe(false);
    expect(after.data.receivedInvitations.edges[0].node.sender.headline).toBe("Renamed");
  });

  it("does not keep answers with errors, nor answer Cache-Control: no-cache from memory", async () => {
    const bob = await signUp(server);
    const bad = `query { receivedInvitations(first: 20, after: "not-a-cursor") { totalCount } }`;
    for (let i = 0; i < 2; i++) {
      const before = server.responseCacheCounts();
      const res = await gql(server, bad, {}, bob.token);
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(server.responseCacheCounts().miss).toBe(before.miss + 1);
    }
    await read(bob, INBOX);
    const before = server.responseCacheCounts();
    await fresh(bob, INBOX);
    expect(server.responseCacheCounts()).toEqual({ ...before, bypass: before.bypass + 1 });
  });

  it("after any mix of concurrent writes and reads, every cached answer is the fresh one", async () => {
    const people = await Promise.all([1, 2, 3, 4, 5].map(() => signUp(server)));
    const READS = [INBOX, SENT, NOTIFICATIONS];
    const step = fc.record({
      who: fc.nat(people.length - 1),
      other: fc.nat(people.length - 1),
      what: fc.constantFrom("invite", "accept", "ignore", "decline", "withdraw", "remove", "read"),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { maxLength: 12 }), { maxLength: 8 }),
        async (rounds) => {
          for (const round of rounds) {
            // Each round runs at once: reads race the writes (and their group commits).
            await Promise.all(round.map((s) => perform(people[s.who], people[s.other], s.what)));
          }
          for (const viewer of people) {
            for (const query of READS) {
              const cached = ok(await gql(server, query, {}, viewer.token));
              expect(cached).toEqual(await fresh(viewer, query));
            }
          }
        },
      ),
      { numRuns: 15 },
    );

    async function perform(me: TestMember, other: TestMember, what: string): Promise<void> {
      if (what === "read") {
        await Promise.all(READS.map((q) => gql(server, q, {}, me.token)));
        return;
      }
      if (what === "invite") {
        await gql(
          server,
          `mutation ($id: ID!) { sendInvitation(input: { recipientId: $id }) { connected } }`,
          { id: other.id },
          me.token,
        );
        return;
      }
      if (what === "remove") {
        await gql(
          server,
          `mutation ($id: ID!) { removeConnection(memberId: $id) }`,
          { id: other.id },
          me.token,
        );
        return;
      }
      // Answer (or withdraw) the newest invitation of the right side, if there is one.
      const list = what === "withdraw" ? SENT : INBOX;
      const data = ok(await gql(server, list, {}, me.token));
      const edges = (what === "withdraw" ? data.sentInvitations : data.receivedInvitations).edges;
      const target = edges.find((e: { node: { status: string } }) => e.node.status === "PENDING");
      if (!target) return;
      const action = `${what}Invitation` as Parameters<typeof act>[2];
      await act(server, me, action, target.node.id);
    }
  }, 120_000);
});

describe.skipIf(!ON_POSTGRES)("response cache (PostgreSQL)", () => {
  it("is off: other instances write where this one cannot see", async () => {
    const bob = await signUp(server);
    await gql(server, INBOX, {}, bob.token);
    await gql(server, INBOX, {}, bob.token);
    expect(server.responseCacheCounts()).toEqual({ hit: 0, miss: 0, bypass: 0 });
  });
});

describe.skipIf(ON_POSTGRES)("RESPONSE_CACHE_MB=0", () => {
  it("turns the cache off", async () => {
    const off = await startTestServer({ env: { RESPONSE_CACHE_MB: "0" } });
    try {
      const bob = await signUp(off);
      for (let i = 0; i < 2; i++) ok(await gql(off, INBOX, {}, bob.token));
      expect(off.responseCacheCounts()).toEqual({ hit: 0, miss: 0, bypass: 0 });
    } finally {
      await off.stop();
    }
  });
});

/**
 * The plugin's own rules, driven through Apollo's hooks directly: timing that real requests
 * rarely hit (a write between an answer's start and its end) and the memory bound.
 */
describe("ResponseCache rules", () => {
  type Listener = Awaited<ReturnType<NonNullable<ApolloServerPlugin<Context>["requestDidStart"]>>>;

  /** One request through the plugin: null when it was answered from memory. */
  async function request(cache: ResponseCache, viewerId: string, query: string, data: object) {
    const listener = (await cache.plugin().requestDidStart!({} as never)) as Listener;
    const ctx = {
      contextValue: { viewerId },
      operation: { operation: "query" },
      queryHash: query,
      operationName: null,
      request: { variables: {}, http: { headers: new HeaderMap() } },
      response: { body: { kind: "single", singleResult: { data } } },
    };
    const answer = await listener!.responseForOperation!(ctx as never);
    if (answer) return answer.body.kind === "single" ? answer.body.singleResult.data : null;
    return {
      finish: () => listener!.willSendResponse!(ctx as never),
    };
  }

  it("does not keep an answer that a write overtook", async () => {
    const versions = new DataVersions();
    const cache = new ResponseCache(versions, 1 << 20);
    const started = (await request(cache, "m1", "q", { n: 1 })) as { finish(): Promise<void> };
    versions.changed(new Set(["m1"])); // committed while the answer was being computed
    await started.finish();
    expect("finish" in ((await request(cache, "m1", "q", { n: 2 })) as object)).toBe(true);
    expect(cache.counts).toEqual({ hit: 0, miss: 2, bypass: 0 });
  });

  it("a write touching one member leaves the others' answers", async () => {
    const versions = new DataVersions();
    const cache = new ResponseCache(versions, 1 << 20);
    for (const m of ["m1", "m2"])
      await ((await request(cache, m, "q", { m })) as { finish(): Promise<void> }).finish();
    versions.changed(new Set(["m1"]));
    expect(await request(cache, "m2", "q", {})).toEqual({ m: "m2" });
    expect("finish" in ((await request(cache, "m1", "q", {})) as object)).toBe(true);
    versions.changed(null);
    expect("finish" in ((await request(cache, "m2", "q", {})) as object)).toBe(true);
  });

  it("drops the least recently used answers past its size", async () => {
    const cache = new ResponseCache(new DataVersions(), 4000);
    const big = { text: "x".repeat(400) };
    for (let i = 0; i < 20; i++) {
      await ((await request(cache, "m", `q${i}`, big)) as { finish(): Promise<void> }).finish();
      // q0 is used again each time: it stays while the others come and go.
      if (i > 0) expect(await request(cache, "m", "q0", {})).toEqual(big);
    }
    expect(cache.size.bytes).toBeLessThanOrEqual(4000);
    expect(cache.size.entries).toBeLessThan(20);
  });
});
