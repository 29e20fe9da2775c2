import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { query } from "../src/db/sql";
import { act, codeOf, gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { MARK_READ, notificationsOf } from "./helpers/notifications";
import { startTestServer, type TestServer } from "./helpers/server";

let server: TestServer;
const clock = new ManualClock(new Date("2032-05-01T10:00:00.000Z"));

const SENDERS = 25;

/** The recipient of SENDERS invitations, one per second, senders[0] first. */
let recipient: TestMember;
let senders: TestMember[];
let invitationIds: string[]; // in sending order
/** Sends one invitation to each of `targets` (for sentInvitations). */
let prolific: TestMember;
let targets: TestMember[];
let sentIds: string[]; // in sending order
/** Connected to each of `friends`. */
let hub: TestMember;
let friends: TestMember[];

beforeAll(async () => {
  server = await startTestServer({ clock });
  recipient = await signUp(server, { name: "Rae Recipient" });
  senders = [];
  invitationIds = [];
  for (let i = 0; i < SENDERS; i++) {
    const s = await signUp(server, {
      name: `Sender ${String(i).padStart(2, "0")}`,
      headline: `Headline ${i}`,
      employer: `Employer ${i}`,
    });
    senders.push(s);
    invitationIds.push(await inviteOk(server, s, recipient.id, `Note ${i}`));
    clock.advance(1000);
  }

  prolific = await signUp(server, { name: "Pat Prolific" });
  targets = [];
  sentIds = [];
  for (let i = 0; i < 23; i++) {
    const t = await signUp(server, { name: `Target ${i}` });
    targets.push(t);
    sentIds.push(await inviteOk(server, prolific, t.id));
    clock.advance(1000);
  }

  hub = await signUp(server, { name: "Hub" });
  friends = [];
  for (let i = 0; i < 12; i++) {
    const f = await signUp(server, { name: `Friend ${i}` });
    friends.push(f);
    const id = await inviteOk(server, f, hub.id);
    ok(await act(server, hub, "acceptInvitation", id));
    clock.advance(1000);
  }
});

afterAll(async () => {
  await server?.stop();
});

interface Page {
  totalCount: number;
  ids: string[];
  hasNextPage: boolean;
  endCursor: string | null;
  cursors: string[];
}

type ListName = "receivedInvitations" | "sentInvitations" | "connections" | "notifications";

const LIST_QUERIES: Record<ListName, string> = {
  receivedInvitations: `
    query ($first: Int, $after: String, $orderBy: InvitationOrder) {
      list: receivedInvitations(first: $first, after: $after, orderBy: $orderBy) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } }
      }
    }`,
  sentInvitations: `
    query ($first: Int, $after: String) {
      list: sentInvitations(first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } }
      }
    }`,
  connections: `
    query ($first: Int, $after: String) {
      list: connections(first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } }
      }
    }`,
  notifications: `
    query ($first: Int, $after: String, $unreadOnly: Boolean) {
      list: notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } }
      }
    }`,
};

async function page(
  name: ListName,
  viewer: TestMember,
  variables: Record<string, unknown> = {},
): Promise<Page> {
  const { list } = ok(await gql(server, LIST_QUERIES[name], variables, viewer.token));
  return {
    totalCount: list.totalCount,
    ids: list.edges.map((e: { node: { id: string } }) => e.node.id),
    cursors: list.edges.map((e: { cursor: string }) => e.cursor),
    hasNextPage: list.pageInfo.hasNextPage,
    endCursor: list.pageInfo.endCursor,
  };
}

/** Walks a whole list `size` items at a time; returns the ids and the page sizes seen. */
async function walk(
  name: ListName,
  viewer: TestMember,
  size: number,
  extra: Record<string, unknown> = {},
): Promise<{ ids: string[]; sizes: number[]; totals: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  const totals: number[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const p = await page(name, viewer, { ...extra, first: size, after });
    ids.push(...p.ids);
    sizes.push(p.ids.length);
    totals.push(p.totalCount);
    expect(p.endCursor).toBe(p.cursors.at(-1) ?? p.endCursor);
    if (!p.hasNextPage) return { ids, sizes, totals };
    after = p.endCursor;
  }
  throw new Error("pagination never ended");
}

describe("receivedInvitations", () => {
  it("defaults to the 20 newest pending ones, with totalCount and hasNextPage", async () => {
    const p = await page("receivedInvitations", recipient);
    expect(p.totalCount).toBe(SENDERS);
    expect(p.ids).toEqual([...invitationIds].reverse().slice(0, 20));
    expect(p.hasNextPage).toBe(true);
    expect(p.endCursor).toBe(p.cursors[19]);
  });

  it("pages with first + after without skipping or repeating, newest first", async () => {
    const { ids, sizes, totals } = await walk("receivedInvitations", recipient, 7);
    expect(sizes).toEqual([7, 7, 7, 4]);
    expect(totals).toEqual([SENDERS, SENDERS, SENDERS, SENDERS]);
    expect(ids).toEqual([...invitationIds].reverse());
  });

  it("orders OLDEST first when asked, and pages the same way", async () => {
    const { ids, sizes } = await walk("receivedInvitations", recipient, 10, {
      orderBy: "OLDEST",
    });
    expect(sizes).toEqual([10, 10, 5]);
    expect(ids).toEqual(invitationIds);
  });

  it("returns the sender's fields on every node", async () => {
    const res = ok(
      await gql(
        server,
        `query { receivedInvitations(first: 3) { edges { node { message sender { id name headline employer } } } } }`,
        {},
        recipient.token,
      ),
    );
    expect(res.receivedInvitations.edges.map((e: { node: unknown }) => e.node)).toEqual(
      [24, 23, 22].map((i) => ({
        message: `Note ${i}`,
        sender: {
          id: senders[i].id,
          name: `Sender ${i}`,
          headline: `Headline ${i}`,
          employer: `Employer ${i}`,
        },
      })),
    );
  });
});

describe("sentInvitations and connections", () => {
  it("pages sentInvitations newest first over several pages", async () => {
    const first = await page("sentInvitations", prolific);
    expect(first.totalCount).toBe(23);
    expect(first.ids).toHaveLength(20);
    expect(first.hasNextPage).toBe(true);
    const { ids, sizes } = await walk("sentInvitations", prolific, 5);
    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    expect(ids).toEqual([...sentIds].reverse());
  });

  it("pages connections with totalCount, each friend exactly once", async () => {
    const first = await page("connections", hub);
    expect(first.totalCount).toBe(12);
    expect(first.hasNextPage).toBe(false);
    const { ids, sizes } = await walk("connections", hub, 5);
    expect(sizes).toEqual([5, 5, 2]);
    expect(new Set(ids).size).toBe(12);
    expect([...ids].sort()).toEqual(friends.map((f) => f.id).sort());
    // Each friend has exactly the hub.
    const theirs = await page("connections", friends[0]);
    expect(theirs).toMatchObject({ totalCount: 1, ids: [hub.id], hasNextPage: false });
  });
});

describe("notifications", () => {
  it("pages the recipient's notifications and marks some read", async () => {
    const first = await page("notifications", recipient);
    expect(first.totalCount).toBe(SENDERS);
    expect(first.ids).toHaveLength(20);
    const { ids, sizes } = await walk("notifications", recipient, 6);
    expect(sizes).toEqual([6, 6, 6, 6, 1]);
    expect(new Set(ids).size).toBe(SENDERS);
    expect(ids.slice(0, 20)).toEqual(first.ids);

    const READ = `query { notifications(first: 100) { edges { node { id read } } } }`;
    const before = ok(await gql(server, READ, {}, recipient.token)).notifications.edges;
    expect(before.every((e: { node: { read: boolean } }) => !e.node.read)).toBe(true);

    const chosen = ids.slice(2, 5);
    const marked = ok(
      await gql(
        server,
        `mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`,
        { ids: chosen },
        recipient.token,
      ),
    );
    expect(marked.markNotificationsRead).toBe(3);

    const after = ok(await gql(server, READ, {}, recipient.token)).notifications.edges;
    for (const { node } of after as Array<{ node: { id: string; read: boolean } }>) {
      expect(node.read).toBe(chosen.includes(node.id));
    }
    const unread = await page("notifications", recipient, { unreadOnly: true, first: 100 });
    expect(unread.totalCount).toBe(SENDERS - 3);
    expect(unread.ids.some((id) => chosen.includes(id))).toBe(false);
  });

  it("does not mark someone else's notifications read", async () => {
    const mine = await page("notifications", recipient, { first: 1 });
    const res = await gql(
      server,
      `mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`,
      { ids: mine.ids },
      prolific.token,
    );
    // Either nothing counted or NOT_FOUND; never a success that touches another's data.
    if (res.errors) expect(codeOf(res)).toBe("NOT_FOUND");
    else expect(res.data.markNotificationsRead).toBe(0);
    const READ = `query { notifications(first: 1) { edges { node { id read } } } }`;
    const still = ok(await gql(server, READ, {}, recipient.token)).notifications.edges[0].node;
    expect(still).toEqual({ id: mine.ids[0], read: false });
  });

  it.each([
    ["the recipient blocked the actor", "recipient"],
    ["the actor blocked the recipient", "actor"],
  ])("marks nothing read for a notification hidden because %s", async (_label, blocker) => {
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
    const [row] = await query<{ read: unknown }>(
      server.dataSource,
      `SELECT "read" FROM "notification" WHERE "id" = :id`,
      { id: hidden.id },
    );
    expect(Number(row.read)).toBe(0);
    // Mixed with a visible one, only the visible one counts.
    expect(ok(await gql(server, MARK_READ, { ids: [hidden.id, visible.id] }, b.token))).toEqual({
      markNotificationsRead: 1,
    });
  });
});

describe("bad paging arguments", () => {
  const lists: ListName[] = [
    "receivedInvitations",
    "sentInvitations",
    "connections",
    "notifications",
  ];
  for (const name of lists) {
    for (const first of [0, 101, -1]) {
      it(`${name}(first: ${first}) is BAD_USER_INPUT`, async () => {
        const res = await gql(server, LIST_QUERIES[name], { first }, recipient.token);
        expect(res.status).toBeLessThan(500);
        expect(codeOf(res)).toBe("BAD_USER_INPUT");
      });
    }
    for (const after of ["not-a-cursor", "Zm9v", "WyJ4Il0"]) {
      it(`${name}(after: ${JSON.stringify(after)}) is BAD_USER_INPUT`, async () => {
        const res = await gql(server, LIST_QUERIES[name], { after }, recipient.token);
        expect(res.status).toBeLessThan(500);
        expect(codeOf(res)).toBe("BAD_USER_INPUT");
      });
    }
    it(`${name}(first: 100) is fine`, async () => {
      const res = await gql(server, LIST_QUERIES[name], { first: 100 }, recipient.token);
      expect(res.errors).toBeUndefined();
    });
  }
});

describe("a page costs a constant number of SQL statements", () => {
  async function statementsFor(query: string, first: number): Promise<number> {
    const before = server.queryCount();
    const res = await gql(server, query, { first }, recipient.token);
    const after = server.queryCount();
    expect(res.errors).toBeUndefined();
    expect(res.data.receivedInvitations.edges).toHaveLength(first);
    return after - before;
  }

  it("with the senders' own fields", async () => {
    const query = `
      query ($first: Int) {
        receivedInvitations(first: $first) {
          totalCount
          edges { node { id message sentAt status sender { id name headline employer industry school } recipient { id name } } }
        }
      }`;
    const two = await statementsFor(query, 2);
    const twenty = await statementsFor(query, 20);
    expect(twenty).toBe(two);
  });

  it("with the senders' degree and mutual connections too", async () => {
    const query = `
      query ($first: Int) {
        receivedInvitations(first: $first) {
          totalCount
          edges { node { id sender { id name degree mutualConnectionsCount } } }
        }
      }`;
    const two = await statementsFor(query, 2);
    const twenty = await statementsFor(query, 20);
    expect(twenty).toBe(two);
  });
});

describe("lists read only the columns an operation selects", () => {
  it("a member read by a list serves every other selection of the same operation", async () => {
    const [me, sender] = await Promise.all([
      signUp(server),
      signUp(server, { headline: "Builds things", employer: "Acme", school: "Tech U" }),
    ]);
    const id = await inviteOk(server, sender, me.id, "Hi");
    // The list selects the sender's name only; the same member is read again below with
    // more fields (through the request's loader, which the list filled).
    const both = ok(
      await gql(
        server,
        `query ($id: ID!) {
          receivedInvitations(first: 5) { edges { node { id sender { name } } } }
          member(id: $id) { name headline employer school mutualConnectionsCount degree }
          invitation(id: "${id}") { message respondedAt responseMessage sentAt status }
        }`,
        { id: sender.id },
        me.token,
      ),
    );
    const alone = ok(
      await gql(
        server,
        `query ($id: ID!) {
          member(id: $id) { name headline employer school mutualConnectionsCount degree }
          invitation(id: "${id}") { message respondedAt responseMessage sentAt status }
        }`,
        { id: sender.id },
        me.token,
      ),
    );
    expect(both.member).toEqual(alone.member);
    expect(both.member).toMatchObject({ headline: "Builds things", employer: "Acme" });
    expect(both.invitation).toEqual(alone.invitation);
    expect(both.receivedInvitations.edges[0].node).toEqual({ id, sender: { name: sender.name } });
    // A fragment's fields count too.
    const viaFragment = ok(
      await gql(
        server,
        `query { receivedInvitations(first: 5) { edges { node { ...Inv } } } }
         fragment Inv on Invitation { message sender { headline school } }`,
        {},
        me.token,
      ),
    );
    expect(viaFragment.receivedInvitations.edges[0].node).toEqual({
      message: "Hi",
      sender: { headline: "Builds things", school: "Tech U" },
    });
  });
});
