import { connect as tcpConnect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ManualClock } from "../src/common/clock";
import {
  act,
  codeOf,
  connect,
  gql,
  inviteOk,
  ok,
  signUp,
  type GqlResult,
  type TestMember,
} from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe } from "./helpers/ws";
import { Cursors } from "../src/common/pagination";

// Regression tests for the review fixes of b5c0419, each through the real HTTP / WS API.
// They run on SQLite, and on PostgreSQL + Redis when DATABASE_URL and REDIS_URL are set.

const DAY_MS = 24 * 60 * 60 * 1000;

/** Cursors as the test servers seal them (the same secret). */
const cursors = new Cursors("test-secret");

/** A cursor as `server` seals them (by default, as the test servers do). */
function cursorOf(parts: unknown[], scope?: string, server?: TestServer): string {
  return (server?.app.deps.cursors ?? cursors).encode(parts as (string | number)[], scope);
}

/** The parts of a cursor the server made (its format is known to the tests, opaque to clients). */
function partsOf(cursor: string, scope?: string): unknown[] {
  return cursors.parts(cursor, scope);
}

const servers: TestServer[] = [];

/** A fresh server on fresh data, stopped after the file. */
async function freshServer(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(opts);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await closeAll();
});

afterAll(async () => {
  await closeAll();
  await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
});

const TABLES: Record<string, string> = {
  member: `SELECT id, name, email, headline, employer, industry, school FROM member ORDER BY id`,
  invitation: `SELECT id, senderId, recipientId, message, status, respondedAt, responseMessage, remindAt FROM invitation ORDER BY id`,
  connection: `SELECT memberId, otherId FROM connection ORDER BY memberId, otherId`,
  block: `SELECT blockerId, blockedId FROM block ORDER BY blockerId, blockedId`,
  report: `SELECT id, reporterId, invitationId, reason FROM report ORDER BY id`,
  notification: `SELECT id, recipientId, seq, kind, invitationId, message, read FROM notification ORDER BY id`,
};

/** Every table's rows, to show that a refused request wrote nothing. */
async function snapshot(server: TestServer): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, sql] of Object.entries(TABLES)) {
    out[table] = await server.dataSource.query(sql);
  }
  return out;
}

/** Every error code of a response. */
function codesOf(res: GqlResult): unknown[] {
  return (res.errors ?? []).map((e) => e?.extensions?.code);
}

const NOTIFICATIONS = `query {
  notifications(first: 100) {
    totalCount
    edges { cursor node { id cursor kind read actor { id } invitation { id } } }
  }
}`;

interface SeenNotification {
  id: string;
  cursor: string;
  kind: string;
  read: boolean;
  actor: { id: string } | null;
  invitation: { id: string } | null;
}

async function notificationsOf(
  server: TestServer,
  member: TestMember,
): Promise<{ totalCount: number; nodes: SeenNotification[] }> {
  const data = ok(await gql(server, NOTIFICATIONS, {}, member.token));
  return {
    totalCount: data.notifications.totalCount,
    nodes: data.notifications.edges.map((e: { node: SeenNotification }) => e.node),
  };
}

const NOTIFICATION_ADDED = `subscription ($after: String) {
  notificationAdded(after: $after) { id cursor kind actor { id } invitation { id } }
}`;

const MARK_READ = `mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`;

// ---------------------------------------------------------------------------------------------
// A bare graphql-transport-ws client, to look at the error messages exactly as sent.

interface WsOutcome {
  /** `next` payloads, in order. */
  nexts: { data?: unknown; errors?: WsError[] }[];
  /** The payload of an `error` message, if one came. */
  error: WsError[] | null;
  /** Whether a `complete` message came. */
  completed: boolean;
  /** The close code, if the server closed the socket first. */
  closeCode: number | null;
}

interface WsError {
  message: string;
  extensions?: { code?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * Subscribes once over a raw socket and resolves at the first of: an `error` message, a `next`
 * carrying errors, a `complete`, a close, or `timeoutMs` (then with what arrived so far).
 */
function wsOnce(
  server: TestServer,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
  timeoutMs = 5_000,
): Promise<WsOutcome> {
  const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
  const outcome: WsOutcome = { nexts: [], error: null, completed: false, closeCode: null };
  return new Promise<WsOutcome>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      resolve(outcome);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on("open", () => {
      socket.send(
        JSON.stringify({
          type: "connection_init",
          payload: { authorization: `Bearer ${token}` },
        }),
      );
    });
    socket.on("message", (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
      } else if (msg.type === "next") {
        outcome.nexts.push(msg.payload);
        if (msg.payload?.errors?.length) finish();
      } else if (msg.type === "error") {
        outcome.error = msg.payload;
        finish();
      } else if (msg.type === "complete") {
        outcome.completed = true;
        finish();
      } else if (msg.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    });
    socket.on("close", (code) => {
      outcome.closeCode = code;
      finish();
    });
    socket.on("error", (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The errors a WS outcome carried, from an `error` message or a `next` payload. */
function wsErrors(o: WsOutcome): WsError[] {
  return o.error ?? o.nexts.flatMap((n) => n.errors ?? []);
}

// ---------------------------------------------------------------------------------------------
// 1. Notification sequence numbers are never reused.

describe("notification cursors belong to their member", () => {
  // A notification's seq counts per member: sealed alone, seq 1 would be the same cursor for
  // everyone, and a second account could map cursors back to numbers and find the gaps that
  // notifications hidden by a block leave.
  it("the same position gives each member a different cursor, which only they can use", async () => {
    const server = await freshServer();
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    await inviteOk(server, a, b.id);
    await inviteOk(server, a, c.id);
    const [ofB] = (await notificationsOf(server, b)).nodes;
    const [ofC] = (await notificationsOf(server, c)).nodes;
    expect(partsOf(ofB.cursor, b.id)).toEqual(partsOf(ofC.cursor, c.id));
    expect(ofB.cursor).not.toBe(ofC.cursor);
    const res = await gql(
      server,
      `query ($after: String) { notifications(after: $after) { totalCount } }`,
      { after: ofB.cursor },
      c.token,
    );
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
  });
});

describe("notification cursors never repeat", () => {
  it("after a withdrawal the next notification gets a new, later cursor and is delivered live", async () => {
    const server = await freshServer();
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];

    const fromA = await inviteOk(server, a, b.id);
    const before = await notificationsOf(server, b);
    expect(before.nodes).toHaveLength(1);
    const first = before.nodes[0];
    expect(first).toMatchObject({ kind: "INVITATION_RECEIVED", invitation: { id: fromA } });

    const live = await subscribe(server, b.token, NOTIFICATION_ADDED);
    ok(await act(server, a, "withdrawInvitation", fromA));
    const fromC = await inviteOk(server, c, b.id);

    const got = await live.next();
    expect(got).toMatchObject({
      kind: "INVITATION_RECEIVED",
      actor: { id: c.id },
      invitation: { id: fromC },
    });
    expect(got.cursor).not.toBe(first.cursor);
    const [firstSeq] = partsOf(first.cursor, b.id) as number[];
    const [nextSeq] = partsOf(got.cursor, b.id) as number[];
    expect(nextSeq).toBeGreaterThan(firstSeq);
    await live.expectNone();

    // Resuming after the first cursor replays C's notification (and nothing else).
    const resumed = await subscribe(server, b.token, NOTIFICATION_ADDED, { after: first.cursor });
    expect(await resumed.next()).toMatchObject({
      id: got.id,
      cursor: got.cursor,
      kind: "INVITATION_RECEIVED",
      actor: { id: c.id },
      invitation: { id: fromC },
    });
    await resumed.expectNone();

    // Replaying from before the first one leaves the retracted notification out too.
    const fromStart = await subscribe(server, b.token, NOTIFICATION_ADDED, {
      after: cursorOf([0], b.id),
    });
    expect(await fromStart.next()).toMatchObject({ id: got.id, cursor: got.cursor });
    await fromStart.expectNone();

    // The withdrawn invitation's INVITATION_RECEIVED is neither listed nor counted.
    const after = await notificationsOf(server, b);
    expect(after.totalCount).toBe(1);
    expect(after.nodes.map((n) => n.id)).toEqual([got.id]);
    expect(after.nodes.some((n) => n.invitation?.id === fromA)).toBe(false);
    const unread = ok(
      await gql(server, `query { notifications(unreadOnly: true) { totalCount } }`, {}, b.token),
    );
    expect(unread.notifications.totalCount).toBe(1);
    // Nor can it be marked read.
    expect(ok(await gql(server, MARK_READ, { ids: [first.id] }, b.token))).toEqual({
      markNotificationsRead: 0,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Cursors no column could hold are BAD_USER_INPUT on every list, never a 500.

describe("bad cursors are BAD_USER_INPUT on every list", () => {
  let server: TestServer;
  let a: TestMember;
  let b: TestMember;
  let c: TestMember;

  beforeAll(async () => {
    server = await freshServer();
    [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    const [d, e] = [await signUp(server), await signUp(server)];
    // At least two items in every list of a's (and in b's connections), so each list has a
    // second page and a query with a cursor reaches its keyset condition.
    await connect(server, a, b);
    await connect(server, a, d);
    await connect(server, c, b); // a and c share b
    await inviteOk(server, c, a.id);
    await inviteOk(server, e, a.id);
  });

  const BAD: [string, unknown[]][] = [
    ["[1e300, 'x']", [1e300, "x"]],
    ["[9e15, 'a']", [9e15, "a"]],
    ["[1.5]", [1.5]],
    ["[2 ** 40]", [2 ** 40]],
    ["[0.5, 'a', 'b']", [0.5, "a", "b"]],
    ["[-1]", [-1]],
    ["['x']", ["x"]],
  ];

  const PAGE = `first: 1, after: $after) { totalCount pageInfo { endCursor hasNextPage }`;
  interface ListPage {
    totalCount: number;
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
  }
  type Lists = [string, string, () => Record<string, unknown>, (d: GqlResult["data"]) => ListPage];
  const LISTS: Lists[] = [
    ["connections", `query ($after: String) { l: connections(${PAGE} } }`, () => ({}), (d) => d.l],
    [
      "sentInvitations",
      `query ($after: String) { l: sentInvitations(${PAGE} } }`,
      () => ({}),
      (d) => d.l,
    ],
    [
      "receivedInvitations (NEWEST)",
      `query ($after: String) { l: receivedInvitations(orderBy: NEWEST, ${PAGE} } }`,
      () => ({}),
      (d) => d.l,
    ],
    [
      "receivedInvitations (OLDEST)",
      `query ($after: String) { l: receivedInvitations(orderBy: OLDEST, ${PAGE} } }`,
      () => ({}),
      (d) => d.l,
    ],
    [
      "receivedInvitations (MOST_MUTUAL_CONNECTIONS)",
      `query ($after: String) {
        l: receivedInvitations(orderBy: MOST_MUTUAL_CONNECTIONS, ${PAGE} }
      }`,
      () => ({}),
      (d) => d.l,
    ],
    [
      "notifications",
      `query ($after: String) { l: notifications(${PAGE} } }`,
      () => ({}),
      (d) => d.l,
    ],
    [
      "members(search:)",
      `query ($after: String) { l: members(search: "Member", ${PAGE} } }`,
      () => ({}),
      (d) => d.l,
    ],
    [
      "viewer.connections",
      `query ($after: String) { viewer { l: connections(${PAGE} } } }`,
      () => ({}),
      (d) => d.viewer.l,
    ],
    [
      "member(id).connections",
      `query ($id: ID!, $after: String) { member(id: $id) { l: connections(${PAGE} } } }`,
      () => ({ id: b.id }),
      (d) => d.member.l,
    ],
  ];

  describe.each(LISTS)("%s", (_name, query, vars, list) => {
    it("pages with its own cursors (control)", async () => {
      const page1 = list(ok(await gql(server, query, { ...vars(), after: null }, a.token)));
      expect(page1.totalCount).toBeGreaterThan(1);
      expect(page1.pageInfo.hasNextPage).toBe(true);
      const res = await gql(server, query, { ...vars(), after: page1.pageInfo.endCursor }, a.token);
      expect(list(ok(res)).pageInfo.endCursor).not.toBe(page1.pageInfo.endCursor);
    });

    it.each(BAD)("refuses %s", async (_label, parts) => {
      const res = await gql(server, query, { ...vars(), after: cursorOf(parts) }, a.token);
      expect(res.status).not.toBe(500);
      expect(res.errors?.length).toBeGreaterThan(0);
      expect(codesOf(res)).toEqual(res.errors!.map(() => "BAD_USER_INPUT"));
    });
  });

  describe("notificationAdded(after:) over WebSocket", () => {
    it.each(BAD)("refuses %s with a GraphQL error coded BAD_USER_INPUT", async (_label, parts) => {
      const o = await wsOnce(server, b.token, NOTIFICATION_ADDED, { after: cursorOf(parts, b.id) });
      const errors = wsErrors(o);
      expect(errors.length, JSON.stringify(o)).toBeGreaterThan(0);
      expect(errors.map((e) => e.extensions?.code)).toEqual(errors.map(() => "BAD_USER_INPUT"));
      expect(o.closeCode).toBeNull();
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 3. NUL in any string argument is BAD_USER_INPUT with HTTP 400, and writes nothing.

describe("U+0000 in a string argument", () => {
  let server: TestServer;
  let a: TestMember;
  let b: TestMember;
  let c: TestMember; // whom a tries to invite

  beforeAll(async () => {
    server = await freshServer();
    [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    await inviteOk(server, b, a.id, "hello");
  });

  const CASES: [string, string, () => Record<string, unknown>, () => string | undefined][] = [
    [
      "members(search:)",
      `query ($s: String!) { members(search: $s) { totalCount } }`,
      () => ({ s: "Mem\u0000ber" }),
      () => a.token,
    ],
    [
      "sendInvitation message",
      `mutation ($input: SendInvitationInput!) { sendInvitation(input: $input) { connected } }`,
      () => ({ input: { recipientId: c.id, message: "hi\u0000there" } }),
      () => a.token,
    ],
    [
      "signUp name",
      `mutation ($input: SignUpInput!) { signUp(input: $input) { token } }`,
      () => ({
        input: { name: "Nul\u0000Name", email: "nul-name@example.com", password: "long enough pw" },
      }),
      () => undefined,
    ],
    [
      "logIn email",
      `mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`,
      () => ({ e: `${a.email}\u0000`, p: a.password }),
      () => undefined,
    ],
    [
      "receivedInvitations(filter: {search:})",
      `query ($s: String) { receivedInvitations(filter: { search: $s }) { totalCount } }`,
      () => ({ s: "Mem\u0000" }),
      () => a.token,
    ],
  ];

  it.each(CASES)("%s, as a variable", async (_name, query, vars, token) => {
    const before = await snapshot(server);
    const res = await gql(server, query, vars(), token());
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(await snapshot(server)).toEqual(before);
  });

  // The same arguments written inline, with the GraphQL string escape \u0000 in the document:
  // the request body holds no NUL character, the parsed argument does.
  const INLINE: [string, string, () => string | undefined][] = [
    [
      "members(search:)",
      `query { members(search: "Mem\\u0000ber") { totalCount } }`,
      () => a.token,
    ],
    [
      "sendInvitation message",
      `mutation { sendInvitation(input: { recipientId: "%ID%", message: "hi\\u0000there" }) { connected } }`,
      () => a.token,
    ],
    [
      "signUp name",
      `mutation { signUp(input: { name: "Nul\\u0000Name", email: "nul-inline@example.com", password: "long enough pw" }) { token } }`,
      () => undefined,
    ],
    [
      "logIn email",
      `mutation { logIn(email: "%EMAIL%\\u0000", password: "%PASSWORD%") { token } }`,
      () => undefined,
    ],
    [
      "receivedInvitations(filter: {search:})",
      `query { receivedInvitations(filter: { search: "Mem\\u0000" }) { totalCount } }`,
      () => a.token,
    ],
  ];

  it.each(INLINE)("%s, as a GraphQL string escape in the document", async (_name, q, token) => {
    const query = q
      .replace("%ID%", c.id)
      .replace("%EMAIL%", a.email)
      .replace("%PASSWORD%", a.password);
    const before = await snapshot(server);
    const res = await gql(server, query, {}, token());
    expect(codeOf(res), JSON.stringify(res)).toBe("BAD_USER_INPUT");
    expect(res.status).toBe(400);
    expect(await snapshot(server)).toEqual(before);
  });

  it("over WebSocket: notificationAdded(after:) with a NUL is BAD_USER_INPUT", async () => {
    const o = await wsOnce(server, a.token, NOTIFICATION_ADDED, { after: "x\u0000" });
    expect(wsErrors(o).map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Lengths are checked as the columns count them: 100 "❤️" (200 UTF-16 units) is too long.

describe("signUp field lengths with variation selectors", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await freshServer();
  });

  const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { member { id name school } } }`;
  const hearts = (n: number) => "❤️".repeat(n);

  it.each(["name", "school"])("%s of 100 ❤️ is BAD_USER_INPUT, not a 500", async (field) => {
    expect(hearts(100)).toHaveLength(200);
    const before = await snapshot(server);
    const input: Record<string, string> = {
      name: "Heart Person",
      email: `hearts-${field}@example.com`,
      password: "long enough pw",
      [field]: hearts(100),
    };
    const res = await gql(server, SIGN_UP, { input });
    expect(res.status).not.toBe(500);
    expect(codeOf(res), JSON.stringify(res.errors)).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0]?.extensions?.field ?? field).toBe(field);
    expect(await snapshot(server)).toEqual(before);
  });

  it("50 ❤️ (100 UTF-16 units) still fits and reads back unchanged (control)", async () => {
    const input = {
      name: hearts(50),
      school: hearts(50),
      email: "hearts-ok@example.com",
      password: "long enough pw",
    };
    const data = ok(await gql(server, SIGN_UP, { input }));
    expect(data.signUp.member).toMatchObject({ name: hearts(50), school: hearts(50) });
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Over WebSocket, errors carry extensions.code; in production internal ones are masked.

describe("WebSocket errors", () => {
  /**
   * Makes the member table unreachable (renamed in the database), so resolving a
   * notification's `actor` fails inside the server: an internal error, provoked from outside.
   * Tokens already seen stay valid (the server remembers members it found).
   */
  async function internalErrorOverWs(server: TestServer) {
    const [a, b] = [await signUp(server), await signUp(server)];
    await inviteOk(server, a, b.id);
    ok(await gql(server, `query { viewer { id } }`, {}, b.token)); // b's token is now known
    await server.dataSource.query(`ALTER TABLE member RENAME TO member_gone`);
    try {
      return await wsOnce(
        server,
        b.token,
        `subscription ($after: String) { notificationAdded(after: $after) { kind actor { id name } } }`,
        { after: cursorOf([0], b.id, server) },
      );
    } finally {
      await server.dataSource.query(`ALTER TABLE member_gone RENAME TO member`);
    }
  }

  /** An invalid document (an unknown field) gets the same code over WS as over HTTP. */
  async function expectQueryErrorCodedAsOverHttp(server: TestServer) {
    const a = await signUp(server);
    const query = `subscription { notificationAdded { nope } }`;
    const overHttp = await gql(server, query, {}, a.token);
    expect(codeOf(overHttp)).toBe("GRAPHQL_VALIDATION_FAILED");
    const errors = wsErrors(await wsOnce(server, a.token, query));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.extensions?.code, JSON.stringify(e)).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(e.message, JSON.stringify(e)).toMatch(/nope/);
    }
  }

  it("a bad cursor arrives as a GraphQL error coded BAD_USER_INPUT (test mode)", async () => {
    const server = await freshServer();
    const a = await signUp(server);
    const o = await wsOnce(server, a.token, NOTIFICATION_ADDED, { after: "not a cursor" });
    const errors = wsErrors(o);
    expect(errors).toHaveLength(1);
    expect(errors[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(errors[0].message).toMatch(/cursor/i);
  });

  it("an internal error is coded INTERNAL_SERVER_ERROR (test mode, not masked)", async () => {
    const server = await freshServer();
    const o = await internalErrorOverWs(server);
    const errors = wsErrors(o);
    expect(errors.length, JSON.stringify(o)).toBeGreaterThan(0);
    expect(errors.map((e) => e.extensions?.code)).toEqual(
      errors.map(() => "INTERNAL_SERVER_ERROR"),
    );
  });

  it("a query error (an unknown field) is coded as over HTTP (test mode)", async () => {
    await expectQueryErrorCodedAsOverHttp(await freshServer());
  });

  describe("in production", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await freshServer({ env: { NODE_ENV: "production", JWT_SECRET: "x".repeat(40) } });
    });

    it("a bad cursor still arrives coded BAD_USER_INPUT, with its message", async () => {
      const a = await signUp(server);
      const o = await wsOnce(server, a.token, NOTIFICATION_ADDED, {
        after: cursorOf([1.5], a.id, server),
      });
      const errors = wsErrors(o);
      expect(errors).toHaveLength(1);
      expect(errors[0].extensions?.code).toBe("BAD_USER_INPUT");
      expect(errors[0].message).toMatch(/cursor/i);
    });

    it("an internal error is masked: no SQL, no table names, no stack", async () => {
      const o = await internalErrorOverWs(server);
      const errors = wsErrors(o);
      expect(errors.length, JSON.stringify(o)).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.message).toBe("Internal server error");
        expect(e.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
        expect(e.extensions?.stacktrace).toBeUndefined();
      }
      expect(JSON.stringify(errors)).not.toMatch(/member|relation|table|select|sqlite|exception/i);
    });

    it("a query error (an unknown field) is coded as over HTTP, not as internal", async () => {
      await expectQueryErrorCodedAsOverHttp(server);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Ignoring cancels the recipient's own reminder; one set after ignoring is honoured.

describe("ignore and the recipient's own reminder", () => {
  const SET_REMINDER = `mutation ($id: ID!, $remindAt: DateTimeISO!) {
    setInvitationReminder(id: $id, remindAt: $remindAt) { id status }
  }`;

  async function setup() {
    const clock = new ManualClock(new Date("2031-06-01T08:00:00.000Z"));
    const server = await freshServer({ clock, env: { JOBS_INTERVAL_SECONDS: "0" } });
    const [a, b] = [await signUp(server), await signUp(server)];
    const id = await inviteOk(server, a, b.id);
    const reminders = async () =>
      (await notificationsOf(server, b)).nodes.filter((n) => n.kind === "INVITATION_REMINDER");
    const remindIn = (ms: number) =>
      gql(
        server,
        SET_REMINDER,
        { id, remindAt: new Date(clock.now().getTime() + ms).toISOString() },
        b.token,
      );
    return { clock, server, a, b, id, reminders, remindIn };
  }

  it("a reminder set before ignoring does not fire", async () => {
    const { clock, server, b, id, reminders, remindIn } = await setup();
    expect(ok(await remindIn(DAY_MS)).setInvitationReminder.status).toBe("PENDING");
    ok(await act(server, b, "ignoreInvitation", id));

    clock.advance(2 * DAY_MS);
    expect((await server.runJobs()).customReminders).toBe(0);
    expect(await reminders()).toEqual([]);
  });

  it("a reminder set on an already-ignored invitation is honoured", async () => {
    const { clock, server, a, b, id, reminders, remindIn } = await setup();
    ok(await act(server, b, "ignoreInvitation", id));
    expect(ok(await remindIn(DAY_MS)).setInvitationReminder.status).toBe("IGNORED");

    clock.advance(2 * DAY_MS);
    expect((await server.runJobs()).customReminders).toBe(1);
    expect(await reminders()).toEqual([
      expect.objectContaining({ actor: { id: a.id }, invitation: { id } }),
    ]);
  });

  it("reporting cancels it as well", async () => {
    const { clock, server, b, id, reminders, remindIn } = await setup();
    ok(await remindIn(DAY_MS));
    ok(
      await gql(
        server,
        `mutation ($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`,
        { id },
        b.token,
      ),
    );
    clock.advance(2 * DAY_MS);
    expect((await server.runJobs()).customReminders).toBe(0);
    expect(await reminders()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Later fields of the same operation see a removed connection at once.

describe("removeConnection within one operation", () => {
  it("later fields no longer show the ex-connection's email or FIRST degree", async () => {
    const server = await freshServer();
    const [a, x] = [await signUp(server), await signUp(server)];
    await connect(server, a, x);

    const res = await gql(
      server,
      `mutation ($x: ID!) {
        r: removeConnection(memberId: $x)
        s: sendInvitation(input: { recipientId: $x }) {
          connected
          invitation { status recipient { id email degree connections { totalCount } } }
        }
      }`,
      { x: x.id },
      a.token,
    );
    const data = ok(res);
    expect(data.r).toBe(true);
    expect(data.s.connected).toBe(false);
    expect(data.s.invitation.recipient.id).toBe(x.id);
    expect(data.s.invitation.recipient.email).toBeNull();
    expect(data.s.invitation.recipient.degree).not.toBe("FIRST");
    expect(data.s.invitation.recipient.connections).toBeNull();
  });

  it("even when an earlier field of the operation had loaded them as FIRST", async () => {
    const server = await freshServer();
    const [a, x] = [await signUp(server), await signUp(server)];
    // x invites a; a's sendInvitation to x then accepts it (crossing) and shows x as FIRST.
    await inviteOk(server, x, a.id);

    const res = await gql(
      server,
      `mutation ($x: ID!) {
        p: sendInvitation(input: { recipientId: $x }) {
          connected
          invitation { sender { id email degree } }
        }
        r: removeConnection(memberId: $x)
        s: sendInvitation(input: { recipientId: $x }) {
          connected
          invitation { recipient { id email degree } }
        }
      }`,
      { x: x.id },
      a.token,
    );
    const data = ok(res);
    expect(data.p).toEqual({
      connected: true,
      invitation: { sender: { id: x.id, email: x.email, degree: "FIRST" } },
    });
    expect(data.r).toBe(true);
    expect(data.s.connected).toBe(false);
    expect(data.s.invitation.recipient).toEqual({ id: x.id, email: null, degree: "THIRD_PLUS" });
  });
});

// ---------------------------------------------------------------------------------------------
// 8. markNotificationsRead counts only notifications the viewer can see.

describe("markNotificationsRead and blocks", () => {
  it.each([
    ["the recipient blocked the actor", "recipient"],
    ["the actor blocked the recipient", "actor"],
  ])("returns 0 for a notification hidden because %s", async (_label, blocker) => {
    const server = await freshServer();
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    await inviteOk(server, a, b.id);
    await inviteOk(server, c, b.id);
    const nodes = (await notificationsOf(server, b)).nodes;
    const hidden = nodes.find((n) => n.actor?.id === a.id)!;
    const visible = nodes.find((n) => n.actor?.id === c.id)!;
    expect(hidden).toBeDefined();

    const [by, target] = blocker === "recipient" ? [b, a] : [a, b];
    ok(
      await gql(
        server,
        `mutation ($id: ID!) { blockMember(id: $id) }`,
        { id: target.id },
        by.token,
      ),
    );
    expect((await notificationsOf(server, b)).nodes.map((n) => n.id)).toEqual([visible.id]);

    expect(ok(await gql(server, MARK_READ, { ids: [hidden.id] }, b.token))).toEqual({
      markNotificationsRead: 0,
    });
    const [row] = await server.dataSource.query(`SELECT read FROM notification WHERE id = ?`, [
      hidden.id,
    ]);
    expect(Number(row.read)).toBe(0);
    // Mixed with a visible one, only the visible one counts.
    expect(ok(await gql(server, MARK_READ, { ids: [hidden.id, visible.id] }, b.token))).toEqual({
      markNotificationsRead: 1,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 9. /healthz answers 503 {status: "stopping"} once stop() has begun.

describe("/healthz while stopping", () => {
  const healthUrl = (s: TestServer) => s.url.replace(/\/graphql$/, "/healthz");

  interface RawAnswer {
    status: number | null;
    body: string;
  }

  /** Reads one HTTP/1.1 response (with Content-Length) from `raw`, if complete. */
  function parseResponse(raw: string): (RawAnswer & { rest: string }) | null {
    const headEnd = raw.indexOf("\r\n\r\n");
    if (headEnd < 0) return null;
    const head = raw.slice(0, headEnd);
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const bodyStart = headEnd + 4;
    if (Buffer.byteLength(raw.slice(bodyStart)) < length) return null;
    return {
      status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? NaN),
      body: raw.slice(bodyStart, bodyStart + length),
      rest: raw.slice(bodyStart + length),
    };
  }

  /**
   * On one keep-alive connection: GET /healthz (answered while running), then a second
   * GET /healthz written right before `during()` starts the stop, so the server reads it
   * after stop() has begun but on a connection it already holds.
   */
  async function healthzAcrossStop(
    server: TestServer,
    during: () => void,
  ): Promise<{ before: RawAnswer; after: RawAnswer | "no answer" }> {
    const socket = tcpConnect(server.port, "127.0.0.1");
    let raw = "";
    let closed = false;
    const waiters: Array<() => void> = [];
    const wake = () => waiters.splice(0).forEach((w) => w());
    socket.on("data", (chunk) => {
      raw += chunk.toString("utf8");
      wake();
    });
    socket.on("error", () => undefined); // a reset counts as "no answer"
    socket.on("close", () => {
      closed = true;
      wake();
    });
    const nextResponse = async (): Promise<RawAnswer | "no answer"> => {
      for (;;) {
        const parsed = parseResponse(raw);
        if (parsed) {
          raw = parsed.rest;
          return { status: parsed.status, body: parsed.body };
        }
        if (closed) return "no answer";
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    const request = (connection: string) =>
      socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: ${connection}\r\n\r\n`);

    request("keep-alive");
    const before = await nextResponse();
    if (before === "no answer") throw new Error("no answer to /healthz while running");
    // Node reads the next request on a keep-alive connection only once the last response is
    // flushed; give it that moment, so the request is read in the stop's first turns.
    await new Promise((resolve) => setTimeout(resolve, 100));
    request("close");
    during();
    const after = await nextResponse();
    socket.destroy();
    return { before, after };
  }

  it("a request read after stop() began gets 503 stopping (or no answer), never 200", async () => {
    const server = await startTestServer();
    let stopped: Promise<void> | null = null;
    const { before, after } = await healthzAcrossStop(server, () => {
      stopped = server.stop();
    });
    await stopped;
    expect(before.status).toBe(200);
    expect(JSON.parse(before.body)).toMatchObject({ status: "ok" });
    if (after !== "no answer") {
      expect(after.status, JSON.stringify(after)).toBe(503);
      expect(JSON.parse(after.body)).toEqual({ status: "stopping" });
    }
  });

  it("a fresh fetch after stop() began: 503 stopping or a refused connection, never 200", async () => {
    const server = await startTestServer();
    const stopped = server.stop();
    let outcome: { status: number; body: unknown } | "connection error";
    try {
      const res = await fetch(healthUrl(server));
      outcome = { status: res.status, body: await res.json().catch(() => null) };
    } catch {
      outcome = "connection error";
    }
    await stopped;
    if (outcome !== "connection error") {
      expect(outcome).toEqual({ status: 503, body: { status: "stopping" } });
    }
  });
});
