import jwt from "jsonwebtoken";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { startTestServer } from "./helpers/server";
import { gql, signUp } from "./helpers/http";
import { closeAll, connectRaw, subscribe, type Sub } from "./helpers/ws";

type Server = Awaited<ReturnType<typeof startTestServer>>;
/** A signed-up member; `srv` names its server when it is not the file's shared one. */
type Member = Awaited<ReturnType<typeof signUp>> & { srv?: Server };

// ---------------------------------------------------------------------------------------------
// Operations

const NOTIFICATION_ADDED = /* GraphQL */ `
  subscription NotificationAdded($after: String) {
    notificationAdded(after: $after) {
      id
      kind
      message
      cursor
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
const INVITATION_RECEIVED = /* GraphQL */ `
  subscription {
    invitationReceived {
      id
      status
      message
      respondedAt
      sender {
        id
      }
      recipient {
        id
      }
    }
  }
`;
const INVITATION_ACCEPTED = /* GraphQL */ `
  subscription {
    invitationAccepted {
      id
      status
      responseMessage
      respondedAt
      sender {
        id
      }
      recipient {
        id
      }
    }
  }
`;
const INVITATION_DECLINED = /* GraphQL */ `
  subscription {
    invitationDeclined {
      invitation {
        id
        status
        responseMessage
      }
      message
      declinedAt
    }
  }
`;

const SEND = /* GraphQL */ `
  mutation Send($input: SendInvitationInput!) {
    sendInvitation(input: $input) {
      connected
      invitation {
        id
        status
        responseMessage
      }
    }
  }
`;
const ACCEPT = /* GraphQL */ `
  mutation Accept($id: ID!, $message: String) {
    acceptInvitation(id: $id, message: $message) {
      id
      status
    }
  }
`;
const IGNORE = /* GraphQL */ `
  mutation Ignore($id: ID!) {
    ignoreInvitation(id: $id) {
      id
      status
    }
  }
`;
const DECLINE = /* GraphQL */ `
  mutation Decline($id: ID!, $message: String) {
    declineInvitation(id: $id, message: $message) {
      id
      status
    }
  }
`;
const REPORT = /* GraphQL */ `
  mutation Report($id: ID!, $reason: ReportReason!) {
    reportInvitation(id: $id, reason: $reason)
  }
`;
const BLOCK = /* GraphQL */ `
  mutation Block($id: ID!) {
    blockMember(id: $id)
  }
`;
const NOTIFICATIONS = /* GraphQL */ `
  query Notifications($first: Int, $after: String) {
    notifications(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          kind
          message
          cursor
        }
      }
    }
  }
`;

// ---------------------------------------------------------------------------------------------
// Helpers

let server: Server;

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await closeAll();
});
afterAll(async () => {
  await closeAll();
  await server?.stop();
});

/** Runs an operation and fails the test on any GraphQL error. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function ok(query: string, variables: Record<string, unknown>, as: Member): Promise<any> {
  const res = await gql(as.srv ?? server, query, variables, as.token);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data;
}

/** `from` invites `to`; returns the invitation id. */
async function invite(from: Member, to: Member, message: string | null = null): Promise<string> {
  const data = await ok(SEND, { input: { recipientId: to.id, message } }, from);
  expect(data.sendInvitation.connected).toBe(false);
  return data.sendInvitation.invitation.id;
}

async function decline(by: Member, id: string, message: string | null): Promise<void> {
  const data = await ok(DECLINE, { id, message }, by);
  expect(data.declineInvitation).toMatchObject({ id, status: "DECLINED" });
}

async function accept(by: Member, id: string, message: string | null = null): Promise<void> {
  const data = await ok(ACCEPT, { id, message }, by);
  expect(data.acceptInvitation).toMatchObject({ id, status: "ACCEPTED" });
}

interface StoredNotification {
  id: string;
  kind: string;
  message: string | null;
  cursor: string;
}

/** The member's stored notifications (every page), oldest first, whatever order the list uses. */
async function storedNotifications(
  as: Member,
  oldestKnownCursor: string,
): Promise<StoredNotification[]> {
  const edges: { cursor: string; node: StoredNotification }[] = [];
  let after: string | null = null;
  let totalCount: number;
  do {
    const data = await ok(NOTIFICATIONS, { first: 100, after }, as);
    edges.push(...data.notifications.edges);
    totalCount = data.notifications.totalCount;
    after = data.notifications.pageInfo.hasNextPage ? data.notifications.pageInfo.endCursor : null;
  } while (after);
  expect(totalCount).toBe(edges.length);
  expect(new Set(edges.map((e) => e.cursor)).size).toBe(edges.length);
  for (const e of edges) expect(e.node.cursor).toBe(e.cursor);
  const nodes = edges.map((e) => e.node);
  const at = nodes.findIndex((n) => n.cursor === oldestKnownCursor);
  expect(at === 0 || at === nodes.length - 1, "the oldest notification is at one end").toBe(true);
  return at === 0 ? nodes : nodes.reverse();
}

/** All four subscriptions of one member. */
interface AllSubs {
  notificationAdded: Sub;
  invitationReceived: Sub;
  invitationAccepted: Sub;
  invitationDeclined: Sub;
}

async function subscribeAll(m: Member): Promise<AllSubs> {
  return {
    notificationAdded: await subscribe(server, m.token, NOTIFICATION_ADDED),
    invitationReceived: await subscribe(server, m.token, INVITATION_RECEIVED),
    invitationAccepted: await subscribe(server, m.token, INVITATION_ACCEPTED),
    invitationDeclined: await subscribe(server, m.token, INVITATION_DECLINED),
  };
}

/** Resolves if none of the subscriptions receives anything within `ms` (waits in parallel). */
async function expectSilence(subs: Sub[], ms = 500): Promise<void> {
  await Promise.all(subs.map((s) => s.expectNone(ms)));
}

const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// ---------------------------------------------------------------------------------------------

describe("WebSocket authentication", () => {
  it("closes with 4403 when connection_init carries no payload", async () => {
    expect(await connectRaw(server, undefined)).toBe(4403);
  });

  it("closes with 4403 when connectionParams has no authorization", async () => {
    expect(await connectRaw(server, {})).toBe(4403);
  });

  it("closes with 4403 for a malformed or foreign token", async () => {
    const a = await signUp(server);
    expect(await connectRaw(server, { authorization: "Bearer not-a-token" })).toBe(4403);
    expect(await connectRaw(server, { authorization: "Bearer " })).toBe(4403);
    const forged = jwt.sign({ sub: a.id }, "some-other-secret", { expiresIn: "1h" });
    expect(await connectRaw(server, { authorization: `Bearer ${forged}` })).toBe(4403);
  });

  it("accepts a valid token and a subscription on it", async () => {
    const a = await signUp(server);
    expect(await connectRaw(server, { authorization: `Bearer ${a.token}` })).toBe("acked");
    const sub = await subscribe(server, a.token, NOTIFICATION_ADDED);
    await sub.close();
  });

  it("does not let an unauthenticated client subscribe", async () => {
    await expect(subscribe(server, null, NOTIFICATION_ADDED, undefined, 3_000)).rejects.toThrow(
      /4403/,
    );
    await expect(
      subscribe(server, "not-a-token", INVITATION_RECEIVED, undefined, 3_000),
    ).rejects.toThrow(/4403/);
  });
});

describe("events reach the right member only", () => {
  it("invitationReceived goes to the recipient only", async () => {
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    const bReceived = await subscribe(server, b.token, INVITATION_RECEIVED);
    const bNotes = await subscribe(server, b.token, NOTIFICATION_ADDED);
    const aReceived = await subscribe(server, a.token, INVITATION_RECEIVED);
    const cReceived = await subscribe(server, c.token, INVITATION_RECEIVED);
    const cNotes = await subscribe(server, c.token, NOTIFICATION_ADDED);

    const id = await invite(a, b, "Met you at the meetup");

    expect(await bReceived.next()).toEqual({
      id,
      status: "PENDING",
      message: "Met you at the meetup",
      respondedAt: null,
      sender: { id: a.id },
      recipient: { id: b.id },
    });
    expect(await bNotes.next()).toMatchObject({
      kind: "INVITATION_RECEIVED",
      actor: { id: a.id },
      invitation: { id, status: "PENDING" },
    });
    await expectSilence([bReceived, bNotes, aReceived, cReceived, cNotes]);
  });

  it("invitationAccepted goes to the sender only, with the greeting", async () => {
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    const id = await invite(a, b, "Hello");
    const aAccepted = await subscribe(server, a.token, INVITATION_ACCEPTED);
    const aNotes = await subscribe(server, a.token, NOTIFICATION_ADDED);
    const bAccepted = await subscribe(server, b.token, INVITATION_ACCEPTED);
    const bNotes = await subscribe(server, b.token, NOTIFICATION_ADDED);
    const cAccepted = await subscribe(server, c.token, INVITATION_ACCEPTED);

    await accept(b, id, "Glad to connect");

    const ev = await aAccepted.next();
    expect(ev).toMatchObject({
      id,
      status: "ACCEPTED",
      responseMessage: "Glad to connect",
      sender: { id: a.id },
      recipient: { id: b.id },
    });
    expect(ev.respondedAt).toMatch(isoDate);
    expect(await aNotes.next()).toMatchObject({
      kind: "INVITATION_ACCEPTED",
      message: "Glad to connect",
      actor: { id: b.id },
      invitation: { id, status: "ACCEPTED" },
    });
    await expectSilence([aAccepted, aNotes, bAccepted, bNotes, cAccepted]);
  });

  it("invitationDeclined goes to the sender only, with the message, live", async () => {
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    const id = await invite(a, b, "Hi there");
    const aDeclined = await subscribe(server, a.token, INVITATION_DECLINED);
    const aNotes = await subscribe(server, a.token, NOTIFICATION_ADDED);
    const bDeclined = await subscribe(server, b.token, INVITATION_DECLINED);
    const bNotes = await subscribe(server, b.token, NOTIFICATION_ADDED);
    const cDeclined = await subscribe(server, c.token, INVITATION_DECLINED);

    await decline(b, id, "Sorry, I only connect with people I know");

    const ev = await aDeclined.next();
    expect(ev).toEqual({
      invitation: {
        id,
        status: "DECLINED",
        responseMessage: "Sorry, I only connect with people I know",
      },
      message: "Sorry, I only connect with people I know",
      declinedAt: expect.stringMatching(isoDate),
    });
    expect(await aNotes.next()).toMatchObject({
      kind: "INVITATION_DECLINED",
      message: "Sorry, I only connect with people I know",
      actor: { id: b.id },
      invitation: { id, status: "DECLINED" },
    });
    await expectSilence([aDeclined, aNotes, bDeclined, bNotes, cDeclined]);
  });
});

describe("silent actions", () => {
  it("an ignore publishes nothing on any topic, to either member", async () => {
    const [a, b] = [await signUp(server), await signUp(server)];
    const id = await invite(a, b, "Let's connect");

    const aSubs = await subscribeAll(a);
    const bSubs = await subscribeAll(b);
    const all = [...Object.values(aSubs), ...Object.values(bSubs)];
    expect(all).toHaveLength(8);

    const data = await ok(IGNORE, { id }, b);
    expect(data.ignoreInvitation).toEqual({ id, status: "IGNORED" });
    // Ignoring again is idempotent, and just as silent.
    await ok(IGNORE, { id }, b);

    await expectSilence(all);

    // The sockets were live all along: each of the eight subscriptions still receives.
    const [d, e, f, g, h] = await Promise.all([1, 2, 3, 4, 5].map(() => signUp(server)));

    const toD = await invite(a, d, "second one");
    await decline(d, toD, "No thanks");
    expect(await aSubs.invitationDeclined.next()).toMatchObject({
      invitation: { id: toD, status: "DECLINED" },
      message: "No thanks",
    });
    expect(await aSubs.notificationAdded.next()).toMatchObject({
      kind: "INVITATION_DECLINED",
      message: "No thanks",
    });

    const toE = await invite(a, e);
    await accept(e, toE, "Sure");
    expect(await aSubs.invitationAccepted.next()).toMatchObject({ id: toE, status: "ACCEPTED" });
    expect(await aSubs.notificationAdded.next()).toMatchObject({ kind: "INVITATION_ACCEPTED" });

    const fromF = await invite(f, a);
    expect(await aSubs.invitationReceived.next()).toMatchObject({ id: fromF });
    expect(await aSubs.notificationAdded.next()).toMatchObject({ kind: "INVITATION_RECEIVED" });

    const fromG = await invite(g, b);
    expect(await bSubs.invitationReceived.next()).toMatchObject({ id: fromG });
    expect(await bSubs.notificationAdded.next()).toMatchObject({ kind: "INVITATION_RECEIVED" });

    const toH = await invite(b, h);
    await accept(h, toH);
    expect(await bSubs.invitationAccepted.next()).toMatchObject({ id: toH });
    expect(await bSubs.notificationAdded.next()).toMatchObject({ kind: "INVITATION_ACCEPTED" });

    const bToD = await invite(b, d);
    await decline(d, bToD, "Nope");
    expect(await bSubs.invitationDeclined.next()).toMatchObject({ message: "Nope" });
    expect(await bSubs.notificationAdded.next()).toMatchObject({ kind: "INVITATION_DECLINED" });

    // ...and nothing else arrived on any of them (in particular nothing late for the ignore).
    await expectSilence(all, 200);
  });

  it("a report publishes nothing to the sender", async () => {
    const [a, b, d] = [await signUp(server), await signUp(server), await signUp(server)];
    const id = await invite(a, b, "Buy my course");
    const aSubs = await subscribeAll(a);

    const data = await ok(REPORT, { id, reason: "SPAM" }, b);
    expect(data.reportInvitation).toBe(true);
    await expectSilence(Object.values(aSubs));

    // Still live.
    const toD = await invite(a, d);
    await decline(d, toD, "no");
    expect(await aSubs.invitationDeclined.next()).toMatchObject({ message: "no" });
  });

  it("a block publishes nothing to the sender", async () => {
    const [a, b, d] = [await signUp(server), await signUp(server), await signUp(server)];
    await invite(a, b, "Hello?");
    const aSubs = await subscribeAll(a);

    const data = await ok(BLOCK, { id: a.id }, b);
    expect(data.blockMember).toBe(true);
    await expectSilence(Object.values(aSubs));

    // Still live.
    const toD = await invite(a, d);
    await decline(d, toD, "no");
    expect(await aSubs.invitationDeclined.next()).toMatchObject({ message: "no" });
  });
});

describe("crossing invitations", () => {
  it("tells the original sender it was accepted, with the new note as greeting", async () => {
    const [a, b] = [await signUp(server), await signUp(server)];
    const id = await invite(a, b, "From A");
    const aAccepted = await subscribe(server, a.token, INVITATION_ACCEPTED);
    const aNotes = await subscribe(server, a.token, NOTIFICATION_ADDED);
    const aReceived = await subscribe(server, a.token, INVITATION_RECEIVED);
    const bAccepted = await subscribe(server, b.token, INVITATION_ACCEPTED);
    const bReceived = await subscribe(server, b.token, INVITATION_RECEIVED);

    const data = await ok(SEND, { input: { recipientId: a.id, message: "From B" } }, b);
    expect(data.sendInvitation).toEqual({
      connected: true,
      invitation: { id, status: "ACCEPTED", responseMessage: "From B" },
    });

    expect(await aAccepted.next()).toMatchObject({
      id,
      status: "ACCEPTED",
      responseMessage: "From B",
      sender: { id: a.id },
      recipient: { id: b.id },
    });
    expect(await aNotes.next()).toMatchObject({
      kind: "INVITATION_ACCEPTED",
      message: "From B",
      actor: { id: b.id },
      invitation: { id, status: "ACCEPTED" },
    });
    await expectSilence([aAccepted, aNotes, aReceived, bAccepted, bReceived]);
  });
});

describe("notificationAdded", () => {
  it("without `after` streams live notifications only", async () => {
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    const toB = await invite(a, b);
    const toC = await invite(a, c);
    await decline(b, toB, "old news");
    const old = await onlyNotification(a);

    const live = await subscribe(server, a.token, NOTIFICATION_ADDED);
    await live.expectNone(300);

    await decline(c, toC, "fresh");
    const ev = await live.next();
    expect(ev).toMatchObject({ kind: "INVITATION_DECLINED", message: "fresh" });

    const stored = await storedNotifications(a, old.cursor);
    expect(stored.map((n) => n.message)).toEqual(["old news", "fresh"]);
    expect(ev.cursor).toBe(stored[1].cursor);
    expect(ev.id).toBe(stored[1].id);
    await live.expectNone(200);
  });

  it("with `after` replays stored ones, then goes live: no gap, no duplicate", async () => {
    const a = await signUp(server);
    const REPLAYED = 3;
    const RACING = 12;
    const LIVE = 3;
    const others = await Promise.all(
      Array.from({ length: 1 + REPLAYED + RACING + LIVE }, () => signUp(server)),
    );
    const ids: string[] = [];
    for (const o of others) ids.push(await invite(a, o));

    // The 1st notification, then some stored before subscribing.
    await decline(others[0], ids[0], "msg-0");
    const first = await onlyNotification(a);
    expect(first.message).toBe("msg-0");
    for (let i = 1; i <= REPLAYED; i++) await decline(others[i], ids[i], `msg-${i}`);

    // Subscribe and, at the same moment, commit many more: some land while replaying.
    const racing = Array.from({ length: RACING }, (_, k) => REPLAYED + 1 + k).map((i) =>
      decline(others[i], ids[i], `msg-${i}`),
    );
    const [sub] = await Promise.all([
      subscribe(server, a.token, NOTIFICATION_ADDED, { after: first.cursor }),
      ...racing,
    ]);
    // Everything committed so far arrives without waiting for any later event.
    const got: { id: string; cursor: string; message: string; kind: string }[] = [];
    for (let k = 0; k < REPLAYED + RACING; k++) got.push(await sub.next(5_000));
    // And some that are certainly live, each delivered on its own.
    for (let i = 1 + REPLAYED + RACING; i < others.length; i++) {
      await decline(others[i], ids[i], `msg-${i}`);
      got.push(await sub.next(5_000));
      expect(got[got.length - 1].message).toBe(`msg-${i}`);
    }
    const total = REPLAYED + RACING + LIVE;
    await sub.expectNone(300);

    const stored = await storedNotifications(a, first.cursor);
    expect(stored).toHaveLength(1 + total);
    const expected = stored.slice(1);

    // Each stored notification after the cursor exactly once, in stored (increasing) order.
    expect(got.map((n) => n.cursor)).toEqual(expected.map((n) => n.cursor));
    expect(got.map((n) => n.id)).toEqual(expected.map((n) => n.id));
    expect(new Set(got.map((n) => n.cursor)).size).toBe(total);
    expect(got.map((n) => n.cursor)).not.toContain(first.cursor);
    for (const n of got) expect(n.kind).toBe("INVITATION_DECLINED");
    // The replayed part comes first and in the order it was committed.
    expect(got.slice(0, REPLAYED).map((n) => n.message)).toEqual(["msg-1", "msg-2", "msg-3"]);
    // Every message once.
    expect(new Set(got.map((n) => n.message))).toEqual(
      new Set(Array.from({ length: total }, (_, k) => `msg-${k + 1}`)),
    );

    // Cursors strictly increase: resuming after any received cursor yields exactly the rest.
    const mid = got[REPLAYED + 2];
    const resumed = await subscribe(server, a.token, NOTIFICATION_ADDED, { after: mid.cursor });
    const rest: string[] = [];
    for (let k = REPLAYED + 3; k < total; k++) rest.push((await resumed.next()).cursor);
    expect(rest).toEqual(got.slice(REPLAYED + 3).map((n) => n.cursor));
    await resumed.expectNone(200);
  });

  it("a sender who was offline gets the decline on reconnecting with its last cursor", async () => {
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    const toB = await invite(a, b, "Hi B");
    const toC = await invite(a, c, "Hi C");

    const online = await subscribe(server, a.token, NOTIFICATION_ADDED);
    await decline(c, toC, "not now");
    const last = await online.next();
    expect(last).toMatchObject({ kind: "INVITATION_DECLINED", message: "not now" });
    await online.close();

    // Offline: the decline is stored, nobody is listening.
    await decline(b, toB, "We have not met, sorry");

    const back = await subscribe(server, a.token, NOTIFICATION_ADDED, { after: last.cursor });
    const ev = await back.next();
    expect(ev).toMatchObject({
      kind: "INVITATION_DECLINED",
      message: "We have not met, sorry",
      actor: { id: b.id },
      invitation: { id: toB, status: "DECLINED" },
    });
    expect(ev.cursor).not.toBe(last.cursor);
    await back.expectNone(300);

    // The same one is in the stored list, right after the last one seen.
    const stored = await storedNotifications(a, last.cursor);
    expect(stored.map((n) => n.cursor)).toEqual([last.cursor, ev.cursor]);
  });
});

const DAY_MS = 24 * 60 * 60 * 1000;

describe("notificationAdded: a long replay racing new commits", () => {
  // Its own server with a clock the test moves, so one sender can be declined by the same
  // members again and again (past the re-invite cooldown) to build a long history.
  const clock = new ManualClock();
  let srv: Server;
  beforeAll(async () => {
    srv = await startTestServer({ clock });
  });
  afterAll(async () => {
    await closeAll();
    await srv?.stop();
  });

  const join = async (): Promise<Member> => ({ ...(await signUp(srv)), srv });

  it("delivers every notification after the cursor once, in order", async () => {
    const a = await join();
    const others = await Promise.all(Array.from({ length: 10 }, join));
    let n = 0;
    /** One round: A invites every other member, each declines; then the cooldown passes. */
    const round = async (concurrently: boolean) => {
      const ids = await Promise.all(others.map((o) => invite(a, o)));
      const declineOne = (k: number) => decline(others[k], ids[k], `round-msg-${++n}`);
      if (concurrently) await Promise.all(others.map((_, k) => declineOne(k)));
      else for (let k = 0; k < others.length; k++) await declineOne(k);
      clock.advance(22 * DAY_MS);
    };

    const firstId = await invite(a, others[0]);
    await decline(others[0], firstId, "the first");
    const first = await onlyNotification(a);
    clock.advance(22 * DAY_MS);
    for (let r = 0; r < 15; r++) await round(true);

    // A long replay (150 stored) while new declines keep committing one after another.
    const racing = (async () => {
      for (let r = 0; r < 4; r++) await round(false);
    })();
    const [sub] = await Promise.all([
      subscribe(srv, a.token, NOTIFICATION_ADDED, { after: first.cursor }),
      racing,
    ]);

    const stored = await storedNotifications(a, first.cursor);
    const expected = stored.slice(1);
    expect(expected).toHaveLength(19 * others.length);
    const got: { id: string; cursor: string; message: string }[] = [];
    for (let k = 0; k < expected.length; k++) got.push(await sub.next(5_000));
    await sub.expectNone(300);
    expect(got.map((g) => g.cursor)).toEqual(expected.map((e) => e.cursor));
    expect(got.map((g) => g.id)).toEqual(expected.map((e) => e.id));
    expect(new Set(got.map((g) => g.message)).size).toBe(expected.length);
  });
});

/** The member's one and only stored notification (so its place in any order is clear). */
async function onlyNotification(as: Member): Promise<StoredNotification> {
  const data = await ok(NOTIFICATIONS, { first: 100 }, as);
  const edges = data.notifications.edges as { node: StoredNotification }[];
  expect(edges).toHaveLength(1);
  return edges[0].node;
}
