import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  codeOf,
  connect,
  gql,
  inviteOk,
  ok,
  signUp,
  type GqlResult,
  type TestMember,
} from "./helpers/http";
import { cursorOf, NOTIFICATION_ADDED, notificationsOf, partsOf } from "./helpers/notifications";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, wsErrors, wsOnce } from "./helpers/ws";

// Cursors are sealed (docs/api.md, "Lists and cursors"): a client can neither read nor forge
// one, a notification's cursor opens only for its recipient, and a cursor that does not open,
// or holds a position no column could hold, is BAD_USER_INPUT on every list, never a 500.

const servers: TestServer[] = [];

afterEach(async () => {
  await closeAll();
});

afterAll(async () => {
  await closeAll();
  await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
});

describe("notification cursors belong to their member", () => {
  // A notification's seq counts per member: sealed alone, seq 1 would be the same cursor for
  // everyone, and a second account could map cursors back to numbers and find the gaps that
  // notifications hidden by a block leave.
  it("the same position gives each member a different cursor, which only they can use", async () => {
    const server = await startTestServer();
    servers.push(server);
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

describe("bad cursors are BAD_USER_INPUT on every list", () => {
  let server: TestServer;
  let a: TestMember;
  let b: TestMember;
  let c: TestMember;

  beforeAll(async () => {
    server = await startTestServer();
    servers.push(server);
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

  /** Positions no column could hold, each sealed as a real cursor would be. */
  const BAD: [string, unknown[]][] = [
    ["[1e300, 'x']", [1e300, "x"]],
    ["[9e15, 'a']", [9e15, "a"]],
    ["[1.5]", [1.5]],
    ["[2 ** 40]", [2 ** 40]],
    ["[0.5, 'a', 'b']", [0.5, "a", "b"]],
    ["[-1]", [-1]],
    ["['x']", ["x"]],
  ];

  /** Every error code of a response. */
  const codesOf = (res: GqlResult): unknown[] => (res.errors ?? []).map((e) => e?.extensions?.code);

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

describe("list cursors belong to their viewer, list and arguments", () => {
  // Each list's cursor is sealed to who asked, which list (field and parent) and the arguments
  // that shape it. Before, a cursor from a contact's `connections` (which shows no times) was a
  // valid `sentInvitations(after:)`, whose items show `sentAt`: it told when the contact had
  // connected with someone.
  it("a cursor opens only the list, viewer and arguments that made it", async () => {
    const server = await startTestServer();
    servers.push(server);
    const [me, contact, x, y, z, r1, r2] = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7].map((i) => signUp(server, { name: `Cursor ${i} Smith` })),
    );
    await connect(server, me, contact);
    await connect(server, contact, x);
    await connect(server, contact, y);
    for (const to of [x, y, z]) await inviteOk(server, me, to.id);
    await inviteOk(server, r1, me.id);
    await inviteOk(server, r2, me.id);

    const endCursor = async (who: TestMember, list: string) =>
      ok(await gql(server, `query { l: ${list} { pageInfo { endCursor } } }`, {}, who.token)).l
        .pageInfo.endCursor as string;
    const page = (who: TestMember, list: (after: string) => string, after: string) =>
      gql(
        server,
        `query ($after: String) { l: ${list(after)} { edges { cursor } } }`,
        { after },
        who.token,
      );

    // The contact's connections, read by me: its cursor opens only that list.
    const contactsCursor = ok(
      await gql(
        server,
        `query { member(id: "${contact.id}") { connections(first: 1) { pageInfo { endCursor } } } }`,
        {},
        me.token,
      ),
    ).member.connections.pageInfo.endCursor as string;
    expect(contactsCursor).toEqual(expect.any(String));
    const again = await gql(
      server,
      `query ($after: String) { member(id: "${contact.id}") { connections(first: 1, after: $after) { edges { cursor } } } }`,
      { after: contactsCursor },
      me.token,
    );
    expect(again.errors).toBeUndefined();
    const elsewhere: [string, TestMember, (a: string) => string][] = [
      ["sentInvitations", me, () => `sentInvitations(first: 1, after: $after)`],
      ["receivedInvitations", me, () => `receivedInvitations(first: 1, after: $after)`],
      ["my own connections", me, () => `connections(first: 1, after: $after)`],
      ["members(search:)", me, () => `members(search: "Smith", first: 1, after: $after)`],
      ["the same list read by another viewer", x, () => `connections(first: 1, after: $after)`],
    ];
    for (const [label, who, list] of elsewhere) {
      const res = await page(who, list, contactsCursor);
      expect([label, codeOf(res)]).toEqual([label, "BAD_USER_INPUT"]);
    }

    // One list, other arguments: the received PENDING list's cursor is no IGNORED or filtered
    // position, and the sent list's no position of another status.
    const received = await endCursor(me, "receivedInvitations(first: 1)");
    expect(received).toEqual(expect.any(String));
    expect(
      (await page(me, () => `receivedInvitations(first: 1, after: $after)`, received)).errors,
    ).toBeUndefined();
    for (const other of [
      `receivedInvitations(first: 1, after: $after, filter: { status: IGNORED })`,
      `receivedInvitations(first: 1, after: $after, orderBy: OLDEST)`,
      `receivedInvitations(first: 1, after: $after, filter: { relations: [SAME_EMPLOYER] })`,
      `receivedInvitations(first: 1, after: $after, filter: { search: "Cursor" })`,
    ]) {
      expect([other, codeOf(await page(me, () => other, received))]).toEqual([
        other,
        "BAD_USER_INPUT",
      ]);
    }
    const sent = await endCursor(me, "sentInvitations(first: 1)");
    expect(sent).toEqual(expect.any(String));
    expect(
      (await page(me, () => `sentInvitations(first: 1, after: $after)`, sent)).errors,
    ).toBeUndefined();
    const pendingOnly = `sentInvitations(first: 1, after: $after, status: PENDING)`;
    expect(codeOf(await page(me, () => pendingOnly, sent))).toBe("BAD_USER_INPUT");
    const search = await endCursor(me, `members(search: "Smith", first: 1)`);
    expect(search).toEqual(expect.any(String));
    expect(
      codeOf(await page(me, () => `members(search: "Cursor", first: 1, after: $after)`, search)),
    ).toBe("BAD_USER_INPUT");
  });
});
