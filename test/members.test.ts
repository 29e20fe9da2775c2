import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { act, codeOf, connect, gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import {
  block,
  membersRaw,
  personAs,
  searchAll,
  searchIds,
  searchPage,
  statementsFor,
} from "./helpers/people";
import { startTestServer, type TestServer } from "./helpers/server";

let server: TestServer;
const clock = new ManualClock(new Date("2033-03-01T09:00:00.000Z"));

const idsOf = (members: TestMember[]) => members.map((m) => m.id);

beforeAll(async () => {
  server = await startTestServer({ clock });
});

afterAll(async () => {
  await server?.stop();
});

describe("Member.degree and Member.mutualConnectionsCount", () => {
  // V - A, V - D, A - D, A - B, A - C, D - C, B - G; E alone.
  let v: TestMember, a: TestMember, b: TestMember, c: TestMember;
  let d: TestMember, e: TestMember, g: TestMember;

  beforeAll(async () => {
    [v, a, b, c, d, e, g] = await Promise.all(
      ["Vic", "Ada", "Bo", "Cy", "Di", "Eve", "Gus"].map((n) => signUp(server, { name: n })),
    );
    await connect(server, v, a);
    await connect(server, d, v);
    await connect(server, a, d);
    await connect(server, a, b);
    await connect(server, c, a);
    await connect(server, d, c);
    await connect(server, b, g);
  });

  it("is SELF with 0 for the viewer, through `viewer` and `member`", async () => {
    const data = ok(
      await gql(server, `{ viewer { id degree mutualConnectionsCount } }`, {}, v.token),
    );
    expect(data.viewer).toEqual({ id: v.id, degree: "SELF", mutualConnectionsCount: 0 });
    expect(await personAs(server, v, v.id)).toMatchObject({
      degree: "SELF",
      mutualConnectionsCount: 0,
    });
  });

  it("is FIRST for connections, counting the connections they share with the viewer", async () => {
    expect(await personAs(server, v, a.id)).toMatchObject({
      degree: "FIRST",
      mutualConnectionsCount: 1, // D
    });
    expect(await personAs(server, v, d.id)).toMatchObject({
      degree: "FIRST",
      mutualConnectionsCount: 1, // A
    });
  });

  it("is SECOND through a shared connection, with the number shared", async () => {
    expect(await personAs(server, v, b.id)).toMatchObject({
      degree: "SECOND",
      mutualConnectionsCount: 1, // A
    });
    expect(await personAs(server, v, c.id)).toMatchObject({
      degree: "SECOND",
      mutualConnectionsCount: 2, // A and D
    });
  });

  it("is THIRD_PLUS further away or unconnected, with 0", async () => {
    expect(await personAs(server, v, g.id)).toMatchObject({
      degree: "THIRD_PLUS",
      mutualConnectionsCount: 0,
    });
    expect(await personAs(server, v, e.id)).toMatchObject({
      degree: "THIRD_PLUS",
      mutualConnectionsCount: 0,
    });
  });

  it("is relative to the viewer, and symmetric", async () => {
    expect(await personAs(server, b, v.id)).toMatchObject({
      degree: "SECOND",
      mutualConnectionsCount: 1,
    });
    expect(await personAs(server, g, a.id)).toMatchObject({
      degree: "SECOND",
      mutualConnectionsCount: 1, // B
    });
    expect(await personAs(server, g, v.id)).toMatchObject({
      degree: "THIRD_PLUS",
      mutualConnectionsCount: 0,
    });
  });

  it("is the same inside lists (sender of a received invitation, connections)", async () => {
    const id = await inviteOk(server, c, v.id);
    const received = ok(
      await gql(
        server,
        `{ receivedInvitations { edges { node { id sender { id degree mutualConnectionsCount } } } } }`,
        {},
        v.token,
      ),
    );
    expect(received.receivedInvitations.edges).toContainEqual({
      node: { id, sender: { id: c.id, degree: "SECOND", mutualConnectionsCount: 2 } },
    });
    ok(await act(server, c, "withdrawInvitation", id));

    const conns = ok(
      await gql(
        server,
        `{ connections { edges { node { id degree mutualConnectionsCount } } } }`,
        {},
        v.token,
      ),
    );
    expect(conns.connections.edges.map((e: { node: unknown }) => e.node)).toEqual(
      expect.arrayContaining([
        { id: a.id, degree: "FIRST", mutualConnectionsCount: 1 },
        { id: d.id, degree: "FIRST", mutualConnectionsCount: 1 },
      ]),
    );
  });

  it("ignored and declined invitations change neither degree nor count", async () => {
    const fromE = await inviteOk(server, e, v.id);
    ok(await act(server, v, "ignoreInvitation", fromE));
    const fromG = await inviteOk(server, g, v.id);
    ok(await act(server, v, "declineInvitation", fromG, "No thanks"));
    for (const [viewer, other] of [
      [v, e],
      [e, v],
      [v, g],
      [g, v],
    ]) {
      expect(await personAs(server, viewer, other.id)).toMatchObject({
        degree: "THIRD_PLUS",
        mutualConnectionsCount: 0,
      });
    }
    ok(await act(server, e, "withdrawInvitation", fromE));
  });

  it("follows connections as they end", async () => {
    const [p, q, r, s] = await Promise.all(
      ["Pia", "Quin", "Ray", "Sol"].map((n) => signUp(server, { name: n })),
    );
    // P - Q, P - S, Q - S, Q - R
    await connect(server, p, q);
    await connect(server, p, s);
    await connect(server, q, s);
    await connect(server, q, r);
    expect(await personAs(server, p, q.id)).toMatchObject({
      degree: "FIRST",
      mutualConnectionsCount: 1,
    });
    expect(await personAs(server, p, r.id)).toMatchObject({ degree: "SECOND" });

    ok(
      await gql(
        server,
        `mutation ($id: ID!) { removeConnection(memberId: $id) }`,
        { id: q.id },
        p.token,
      ),
    );
    expect(await personAs(server, p, q.id)).toMatchObject({
      degree: "SECOND", // still through S
      mutualConnectionsCount: 1,
      email: null,
    });
    expect(await personAs(server, p, r.id)).toMatchObject({
      degree: "THIRD_PLUS",
      mutualConnectionsCount: 0,
    });
  });
});

describe("a list costs a constant number of SQL statements", () => {
  const MEMBER_FIELDS = "id name headline employer degree mutualConnectionsCount email";
  let hub: TestMember;
  let inbox: TestMember;

  beforeAll(async () => {
    hub = await signUp(server, { name: "Hub Constant" });
    inbox = await signUp(server, { name: "Inbox Constant" });
    // Twelve "Constant" members who all invite `inbox`; half share `hub` with it, half are
    // connected to `inbox` through `hub`'s side, so every field has a mix of answers.
    await connect(server, hub, inbox);
    for (let i = 0; i < 12; i++) {
      const m = await signUp(server, { name: `Constant ${String(i).padStart(2, "0")}` });
      if (i % 2 === 0) await connect(server, m, hub);
      if (i % 3 === 0) {
        await connect(server, m, inbox);
      } else {
        await inviteOk(server, m, inbox.id);
      }
      clock.advance(1000);
    }
    // The writes above concern `inbox`: its token's member is looked up once more on its next
    // request (src/auth/authenticate.ts), which is no part of what a page costs.
    ok(await gql(server, `{ viewer { id } }`, {}, inbox.token));
  });

  it("receivedInvitations with sender relations", async () => {
    const query = `query ($first: Int) { receivedInvitations(first: $first) {
      totalCount edges { node { id message sender { ${MEMBER_FIELDS} } recipient { ${MEMBER_FIELDS} } } }
    } }`;
    const small = await statementsFor(server, () => gql(server, query, { first: 2 }, inbox.token));
    const large = await statementsFor(server, () => gql(server, query, { first: 8 }, inbox.token));
    expect(
      ok(await gql(server, query, { first: 8 }, inbox.token)).receivedInvitations.edges,
    ).toHaveLength(8);
    expect(large).toBe(small);
  });

  it("members(search:) with relations", async () => {
    const query = `query ($first: Int) { members(search: "constant", first: $first) {
      totalCount edges { node { ${MEMBER_FIELDS} } }
    } }`;
    const small = await statementsFor(server, () => gql(server, query, { first: 2 }, inbox.token));
    const large = await statementsFor(server, () => gql(server, query, { first: 13 }, inbox.token));
    const data = ok(await gql(server, query, { first: 13 }, inbox.token));
    expect(data.members.edges).toHaveLength(13);
    expect(data.members.totalCount).toBe(13); // Hub + 12, not the viewer
    expect(large).toBe(small);
  });

  it("connections with relations", async () => {
    const query = `query ($first: Int) { connections(first: $first) {
      totalCount edges { node { ${MEMBER_FIELDS} } }
    } }`;
    const small = await statementsFor(server, () => gql(server, query, { first: 1 }, inbox.token));
    const large = await statementsFor(server, () => gql(server, query, { first: 5 }, inbox.token));
    expect(large).toBe(small);
  });
});

describe("members(search:)", () => {
  let viewer: TestMember;
  let friend: TestMember; // connected to viewer, does not match
  let first: TestMember; // connected to viewer, matches
  let second: TestMember; // shares `friend`
  let others: TestMember[]; // third-degree matches, in expected order
  let byEmployer: TestMember, bySchool: TestMember, byIndustry: TestMember;
  let blockedByViewer: TestMember, blockedViewer: TestMember;

  beforeAll(async () => {
    viewer = await signUp(server, { name: "Zephyr Viewer" });
    friend = await signUp(server, { name: "Friend Fixture" });
    first = await signUp(server, { name: "Zora Zephyr" });
    second = await signUp(server, { name: "Yann Zephyr" });
    await connect(server, viewer, friend);
    await connect(server, viewer, first);
    await connect(server, friend, second);

    const aaron = await signUp(server, { name: "Aaron Zephyr" });
    const bella = await signUp(server, { name: "bella zephyr" });
    const carl = await signUp(server, { name: "Carl Zephyr" });
    const dups = [
      await signUp(server, { name: "Dup Zephyr" }),
      await signUp(server, { name: "Dup Zephyr" }),
    ];
    dups.sort((x, y) => (x.id < y.id ? -1 : 1));
    byEmployer = await signUp(server, { name: "Ellen Employee", employer: "Zephyr Corp" });
    bySchool = await signUp(server, { name: "Sam Student", school: "ZEPHYR High" });
    byIndustry = await signUp(server, { name: "Ian Industry", industry: "zephyr analytics" });
    others = [aaron, bella, carl, ...dups, byEmployer, byIndustry, bySchool];

    blockedByViewer = await signUp(server, { name: "Blocked Zephyr" });
    blockedViewer = await signUp(server, { name: "Blocker Zephyr" });
    await block(server, viewer, blockedByViewer);
    await block(server, blockedViewer, viewer);
    await signUp(server, { name: "Nobody Else", employer: "Other Inc" });
  });

  it("ranks first-degree, then second-degree, then others by name (any case), then id", async () => {
    const { nodes } = await searchAll(server, viewer, "zephyr");
    expect(nodes.map((n) => n.id)).toEqual(idsOf([first, second, ...others]));
    expect(nodes.map((n) => n.degree)).toEqual([
      "FIRST",
      "SECOND",
      ...others.map(() => "THIRD_PLUS"),
    ]);
    expect(nodes[1].mutualConnectionsCount).toBe(1);
  });

  it("matches part of the name, employer, school or industry, case-insensitively", async () => {
    expect(await searchIds(server, viewer, "ZEPH")).toHaveLength(2 + others.length);
    expect(await searchIds(server, viewer, "corp")).toEqual([byEmployer.id]);
    expect(await searchIds(server, viewer, "hIgH")).toEqual([bySchool.id]);
    expect(await searchIds(server, viewer, "Analytic")).toEqual([byIndustry.id]);
    expect(await searchIds(server, viewer, "ella zeph")).toEqual([others[1].id]);
    expect(await searchIds(server, viewer, "no such text")).toEqual([]);
  });

  it("trims the search text", async () => {
    expect(await searchIds(server, viewer, "  corp \n")).toEqual([byEmployer.id]);
  });

  it("takes % _ and \\ literally", async () => {
    const percent = await signUp(server, { name: "Literal 100% Sure" });
    const underscore = await signUp(server, { name: "Literal under_score" });
    const backslash = await signUp(server, { name: "Literal back\\slash" });
    expect(await searchIds(server, viewer, "%")).toEqual([percent.id]);
    expect(await searchIds(server, viewer, "0%")).toEqual([percent.id]);
    expect(await searchIds(server, viewer, "_")).toEqual([underscore.id]);
    expect(await searchIds(server, viewer, "r_s")).toEqual([underscore.id]);
    expect(await searchIds(server, viewer, "\\")).toEqual([backslash.id]);
    expect(await searchIds(server, viewer, "literal")).toHaveLength(3);
  });

  it("finds non-ASCII text as written", async () => {
    const emile = await signUp(server, { name: "Émile Zoë" });
    expect(await searchIds(server, viewer, "Émile")).toEqual([emile.id]);
    expect(await searchIds(server, viewer, "zoë")).toEqual([emile.id]);
  });

  it("leaves out the viewer and anyone blocked either way", async () => {
    const ids = await searchIds(server, viewer, "zephyr");
    expect(ids).not.toContain(viewer.id);
    expect(ids).not.toContain(blockedByViewer.id);
    expect(ids).not.toContain(blockedViewer.id);
    // ...and the viewer is left out of theirs.
    expect(await searchIds(server, blockedByViewer, "viewer")).not.toContain(viewer.id);
    expect(await searchIds(server, blockedViewer, "viewer")).not.toContain(viewer.id);
    // Someone else still finds all three.
    const ids2 = await searchIds(server, first, "zephyr");
    expect(ids2).toEqual(expect.arrayContaining([viewer.id, blockedByViewer.id, blockedViewer.id]));
  });

  it("pages without skipping or repeating, with a steady totalCount", async () => {
    const all = await searchIds(server, viewer, "zephyr");
    for (const size of [1, 2, 3, 4]) {
      const { nodes, sizes } = await searchAll(server, viewer, "zephyr", size);
      expect(nodes.map((n) => n.id)).toEqual(all);
      expect(new Set(nodes.map((n) => n.id)).size).toBe(all.length);
      expect(sizes.slice(0, -1).every((s) => s === size)).toBe(true);
    }
    const firstPage = await searchPage(server, viewer, "zephyr", 4);
    expect(firstPage.totalCount).toBe(all.length);
    expect(firstPage.hasNextPage).toBe(true);
    const defaults = await searchPage(server, viewer, "zephyr");
    expect(defaults.nodes.map((n) => n.id)).toEqual(all.slice(0, 20));
  });

  it("never changes anyone's rank for an ignored or declined invitation", async () => {
    const before = await searchAll(server, viewer, "zephyr");
    const viewerSeenBefore = await Promise.all(
      others.slice(0, 5).map((o) => searchAll(server, o, "zephyr viewer")),
    );
    const [aaron, bella, carl, dup1, dup2] = others;
    ok(await act(server, viewer, "ignoreInvitation", await inviteOk(server, aaron, viewer.id)));
    ok(await act(server, viewer, "declineInvitation", await inviteOk(server, bella, viewer.id)));
    await inviteOk(server, carl, viewer.id); // left pending
    ok(await act(server, dup1, "ignoreInvitation", await inviteOk(server, viewer, dup1.id)));
    ok(await act(server, dup2, "declineInvitation", await inviteOk(server, viewer, dup2.id)));

    expect(await searchAll(server, viewer, "zephyr")).toEqual(before);
    const viewerSeenAfter = await Promise.all(
      others.slice(0, 5).map((o) => searchAll(server, o, "zephyr viewer")),
    );
    expect(viewerSeenAfter).toEqual(viewerSeenBefore);
  });

  it("is BAD_USER_INPUT for empty, blank or over-long text, bad first or after", async () => {
    for (const search of ["", "   ", "\n\t", "x".repeat(101)]) {
      const res = await membersRaw(server, viewer, search);
      expect(codeOf(res), JSON.stringify(search)).toBe("BAD_USER_INPUT");
      expect(res.data).toBeNull();
    }
    for (const first of [0, -1, 101]) {
      expect(codeOf(await membersRaw(server, viewer, "zephyr", first))).toBe("BAD_USER_INPUT");
    }
    for (const after of ["garbage", "", Buffer.from("[1,2]").toString("base64url")]) {
      expect(codeOf(await membersRaw(server, viewer, "zephyr", 2, after))).toBe("BAD_USER_INPUT");
    }
    // 100 characters (after trimming) is still fine.
    ok(await membersRaw(server, viewer, `  ${"x".repeat(100)}  `));
  });

  it("needs a token", async () => {
    const res = await membersRaw(server, null, "zephyr");
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
    expect(res.data).toBeNull();
  });
});
