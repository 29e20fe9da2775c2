/**
 * The response cache (src/transport/response-cache.ts) over real HTTP, on both engines (with
 * PostgreSQL its versions are in Redis): a repeated query is answered without SQL, and every
 * write that changes what a member can read is seen at once, including one by another process
 * on the same SQLite file. Writes move only the members they concern: an ignore leaves the
 * sender's cached answers as they were, a connection moves the pair and their contacts only.
 */
import { HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import Database from "better-sqlite3";
import fc from "fast-check";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Context } from "../src/context";
import { Changes, LocalVersions, type VersionStore } from "../src/db/changes";
import { DIRECTORY_FIELDS } from "../src/members/directory";
import { ResponseCache } from "../src/transport/response-cache";
import {
  act,
  connect,
  gql,
  inviteOk,
  ok,
  signUp,
  type GqlResult,
  type TestMember,
} from "./helpers/http";
import { actRandomly, RANDOM_ACTS, type RandomAct } from "./helpers/random-acts";
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

describe("response cache", () => {
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

  it.skipIf(ON_POSTGRES)("sees a write by another process on the same SQLite file", async () => {
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

  it("variables nested thousands of levels deep: a normal answer or a 4xx, never a 500", async () => {
    const bob = await signUp(server);
    const query = `query ($after: String) { receivedInvitations(first: 5, after: $after) { totalCount } }`;
    for (const depth of [5_000, 20_000]) {
      const deep = "[".repeat(depth) + "]".repeat(depth);
      for (const name of ["unused", "after"]) {
        const res = await fetch(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${bob.token}` },
          body: `{"query":${JSON.stringify(query)},"variables":{"${name}":${deep}}}`,
        });
        expect(res.status).toBeLessThan(500);
        const body = (await res.json()) as GqlResult;
        if (name === "unused" && res.status === 200) {
          expect(body.data?.receivedInvitations).toEqual({ totalCount: 0 });
        } else {
          expect(body.errors?.[0]?.extensions?.code).toMatch(/^BAD_(USER_INPUT|REQUEST)$/);
        }
      }
    }
  });

  it("after any mix of concurrent writes and reads, every cached answer is the fresh one", async () => {
    // Members of their own (a tag in every name): the directory reads find only them.
    const tag = `prop${Date.now().toString(36)}`;
    const people = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((i) => signUp(server, { name: `${tag} ${i}` })),
    );
    // Every kind of read: lists with degrees and mutual counts, the directory (search,
    // suggestions), the viewer's connections and theirs, blocks.
    const READS = [
      INBOX,
      SENT,
      NOTIFICATIONS,
      `query Search { members(search: "${tag}", first: 20) {
        totalCount edges { node { id degree mutualConnectionsCount } } } }`,
      `query Suggested { suggestedMembers(first: 20) { member { id degree } sharedConnectionsCount } }`,
      `query Mine { viewer { connections(first: 20) { totalCount edges { node {
        id degree mutualConnectionsCount connections(first: 20) { totalCount } } } } } }`,
      `query Blocked { blockedMembers { id } }`,
    ];
    const step = fc.record({
      who: fc.nat(people.length - 1),
      other: fc.nat(people.length - 1),
      what: fc.constantFrom<RandomAct | "read">(...RANDOM_ACTS, "read"),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 6 }),
        async (rounds) => {
          for (const round of rounds) {
            // Each round runs at once: reads race the writes (and their group commits).
            await Promise.all(round.map((s) => perform(people[s.who], people[s.other], s.what)));
            // Every answer the cache holds now was stored before the round's last writes, or
            // during them: each must still be what a fresh computation gives.
            for (const viewer of people) {
              for (const query of READS) {
                const cached = ok(await gql(server, query, {}, viewer.token));
                expect(cached).toEqual(await fresh(viewer, query));
              }
            }
          }
        },
      ),
      // A failure is reported as found: shrinking replays whole HTTP sequences for minutes.
      { numRuns: 12, endOnFailure: true },
    );

    async function perform(me: TestMember, other: TestMember, what: RandomAct | "read") {
      if (what === "read") await Promise.all(READS.map((q) => gql(server, q, {}, me.token)));
      else await actRandomly(server, me, other, what, `${tag} new`);
    }
  }, 120_000);
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
 * rarely hit (a write between an answer's start and its end), the directory, versions that
 * cannot vouch (Redis down), and the memory bound.
 */
describe("ResponseCache rules", () => {
  type Listener = Awaited<ReturnType<NonNullable<ApolloServerPlugin<Context>["requestDidStart"]>>>;

  /** One request through the plugin: its data when answered from memory, else `finish`. */
  async function request(
    cache: ResponseCache,
    viewerId: string,
    query: string,
    data: object,
    source = "{ viewer { id } }",
  ) {
    const listener = (await cache.plugin().requestDidStart!({} as never)) as Listener;
    const document = parse(source);
    const ctx = {
      contextValue: { viewerId },
      document,
      operation: document.definitions[0],
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

  const cacheOf = (versions: VersionStore, bytes = 1 << 20) =>
    new ResponseCache(versions, bytes, DIRECTORY_FIELDS);

  it("does not keep an answer that a write overtook", async () => {
    const versions = new LocalVersions();
    const cache = cacheOf(versions);
    const started = (await request(cache, "m1", "q", { n: 1 })) as { finish(): Promise<void> };
    versions.changed(Changes.of("m1")); // committed while the answer was being computed
    await started.finish();
    expect("finish" in ((await request(cache, "m1", "q", { n: 2 })) as object)).toBe(true);
    expect(cache.counts).toEqual({ hit: 0, miss: 2, bypass: 0 });
  });

  it("a write touching one member leaves the others' answers", async () => {
    const versions = new LocalVersions();
    const cache = cacheOf(versions);
    for (const m of ["m1", "m2"])
      await ((await request(cache, m, "q", { m })) as { finish(): Promise<void> }).finish();
    versions.changed(Changes.of("m1"));
    expect(await request(cache, "m2", "q", {})).toEqual({ m: "m2" });
    expect("finish" in ((await request(cache, "m1", "q", {})) as object)).toBe(true);
    // A sign-up moves the directory: a query that reads it is computed again, others are not.
    await (
      (await request(cache, "m2", "d", {}, "{ members { id } }")) as { finish(): Promise<void> }
    ).finish();
    expect(await request(cache, "m2", "d", {}, "{ members { id } }")).toEqual({});
    versions.changed(Changes.directory("m3"));
    expect(
      "finish" in ((await request(cache, "m2", "d", {}, "{ members { id } }")) as object),
    ).toBe(true);
    expect(await request(cache, "m2", "q", {})).toEqual({ m: "m2" });
  });

  it("serves and keeps nothing while its versions cannot vouch, and drops what it held", async () => {
    let lost = () => {};
    let up = true;
    const local = new LocalVersions();
    const versions: VersionStore = {
      stamp: (m, d) => (up ? local.stamp(m, d) : null),
      changed: (c) => local.changed(c),
      whenLost: (f) => (lost = f),
    };
    const cache = cacheOf(versions);
    await ((await request(cache, "m1", "q", { n: 1 })) as { finish(): Promise<void> }).finish();
    expect(cache.size.entries).toBe(1);
    up = false;
    lost();
    expect(cache.size.entries).toBe(0);
    const during = (await request(cache, "m1", "q", { n: 2 })) as { finish(): Promise<void> };
    await during.finish();
    expect(cache.size.entries).toBe(0);
    expect(cache.counts).toEqual({ hit: 0, miss: 1, bypass: 1 });
    up = true;
    await ((await request(cache, "m1", "q", { n: 3 })) as { finish(): Promise<void> }).finish();
    expect(await request(cache, "m1", "q", {})).toEqual({ n: 3 });
  });

  it("drops the least recently used answers past its size", async () => {
    const cache = cacheOf(new LocalVersions(), 4000);
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
