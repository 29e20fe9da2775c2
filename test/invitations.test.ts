import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import {
  act,
  codeOf,
  connect,
  gql,
  INVITATION_FIELDS,
  invite,
  inviteOk,
  messageOf,
  ok,
  signUp,
  type TestMember,
} from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

const DAY_MS = 24 * 60 * 60 * 1000;
const COOLDOWN_DAYS = 21;

let server: TestServer;
const clock = new ManualClock(new Date("2030-01-01T09:00:00.000Z"));

beforeAll(async () => {
  server = await startTestServer({ clock });
});

afterAll(async () => {
  await server?.stop();
});

type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface List {
  totalCount: number;
  nodes: Node[];
}

const INVITATION = `query ($id: ID!) { invitation(id: $id) { ${INVITATION_FIELDS} } }`;
const RECEIVED = `
  query ($filter: ReceivedInvitationsFilter) {
    receivedInvitations(filter: $filter, first: 100) {
      totalCount edges { node { ${INVITATION_FIELDS} } }
    }
  }
`;
const SENT = `
  query ($status: InvitationStatus) {
    sentInvitations(status: $status, first: 100) {
      totalCount edges { node { ${INVITATION_FIELDS} } }
    }
  }
`;
const NOTIFICATIONS = `
  query {
    notifications(first: 100) {
      totalCount
      edges { node { id kind message read actor { id name } invitation { id status } } }
    }
  }
`;
const CONNECTIONS = `
  query { connections(first: 100) { totalCount edges { node { id name degree } } } }
`;
const MEMBER = `query ($id: ID!) { member(id: $id) { id name degree email } }`;

function list(connection: { totalCount: number; edges: Array<{ node: Node }> }): List {
  return { totalCount: connection.totalCount, nodes: connection.edges.map((e) => e.node) };
}

async function invitationAs(m: TestMember, id: string): Promise<Node | null> {
  return ok(await gql(server, INVITATION, { id }, m.token)).invitation;
}

async function received(m: TestMember, status?: "PENDING" | "IGNORED" | "FILTERED"): Promise<List> {
  const filter = status ? { status } : undefined;
  return list(ok(await gql(server, RECEIVED, { filter }, m.token)).receivedInvitations);
}

async function sent(m: TestMember, status?: string): Promise<List> {
  return list(ok(await gql(server, SENT, { status }, m.token)).sentInvitations);
}

async function notifications(m: TestMember): Promise<List> {
  return list(ok(await gql(server, NOTIFICATIONS, {}, m.token)).notifications);
}

async function connections(m: TestMember): Promise<List> {
  return list(ok(await gql(server, CONNECTIONS, {}, m.token)).connections);
}

async function memberAs(viewer: TestMember, id: string): Promise<Node | null> {
  return ok(await gql(server, MEMBER, { id }, viewer.token)).member;
}

function ids(l: List): string[] {
  return l.nodes.map((n) => n.id);
}

async function report(m: TestMember, id: string, reason: "I_DONT_KNOW" | "SPAM") {
  return gql(
    server,
    `mutation ($id: ID!, $reason: ReportReason!) { reportInvitation(id: $id, reason: $reason) }`,
    { id, reason },
    m.token,
  );
}

async function mutateMember(
  m: TestMember,
  field: "blockMember" | "unblockMember" | "removeConnection",
  id: string,
) {
  const arg = field === "removeConnection" ? "memberId" : "id";
  return gql(server, `mutation ($id: ID!) { ${field}(${arg}: $id) }`, { id }, m.token);
}

async function members(n: number): Promise<TestMember[]> {
  const out: TestMember[] = [];
  for (let i = 0; i < n; i++) out.push(await signUp(server));
  return out;
}

describe("send and accept", () => {
  it("delivers a note to the recipient and connects both sides on accept with a greeting", async () => {
    const [a, b] = await members(2);
    const sentRes = ok(
      await invite(server, a, b.id, "Hi B, we met at the conference."),
    ).sendInvitation;
    expect(sentRes.connected).toBe(false);
    const inv = sentRes.invitation;
    expect(inv).toMatchObject({
      status: "PENDING",
      message: "Hi B, we met at the conference.",
      respondedAt: null,
      responseMessage: null,
      sender: { id: a.id, name: a.name },
      recipient: { id: b.id, name: b.name },
    });
    expect(new Date(inv.sentAt).toISOString()).toBe(clock.now().toISOString());

    // The recipient sees it, pending, with the note, and was notified.
    const inbox = await received(b);
    expect(inbox.totalCount).toBe(1);
    expect(inbox.nodes[0]).toEqual(inv);
    const bNotes = await notifications(b);
    expect(bNotes.totalCount).toBe(1);
    expect(bNotes.nodes[0]).toMatchObject({
      kind: "INVITATION_RECEIVED",
      read: false,
      actor: { id: a.id },
      invitation: { id: inv.id, status: "PENDING" },
    });
    // The sender sees it in the sent list.
    expect(await sent(a)).toEqual({ totalCount: 1, nodes: [inv] });

    clock.advance(60_000);
    const accepted = ok(await act(server, b, "acceptInvitation", inv.id, "Welcome aboard!"));
    expect(accepted.acceptInvitation).toMatchObject({
      id: inv.id,
      status: "ACCEPTED",
      responseMessage: "Welcome aboard!",
      message: "Hi B, we met at the conference.",
    });
    expect(new Date(accepted.acceptInvitation.respondedAt).toISOString()).toBe(
      clock.now().toISOString(),
    );

    // Connected both ways, first degree.
    expect(ids(await connections(a))).toEqual([b.id]);
    expect(ids(await connections(b))).toEqual([a.id]);
    expect((await connections(a)).nodes[0].degree).toBe("FIRST");
    expect(await memberAs(a, b.id)).toMatchObject({ degree: "FIRST", email: b.email });
    expect(await memberAs(b, a.id)).toMatchObject({ degree: "FIRST", email: a.email });

    // The sender is told, with the greeting, and sees the invitation accepted.
    const aNotes = await notifications(a);
    expect(aNotes.totalCount).toBe(1);
    expect(aNotes.nodes[0]).toMatchObject({
      kind: "INVITATION_ACCEPTED",
      message: "Welcome aboard!",
      read: false,
      actor: { id: b.id },
      invitation: { id: inv.id, status: "ACCEPTED" },
    });
    expect(await invitationAs(a, inv.id)).toMatchObject({
      status: "ACCEPTED",
      responseMessage: "Welcome aboard!",
    });
    expect((await sent(a)).nodes[0]).toMatchObject({ id: inv.id, status: "ACCEPTED" });

    // It left the recipient's pending list.
    expect(await received(b)).toEqual({ totalCount: 0, nodes: [] });

    // Connected members cannot invite each other (rule 5), in either direction.
    expect(codeOf(await invite(server, a, b.id))).toBe("CONFLICT");
    expect(codeOf(await invite(server, b, a.id))).toBe("CONFLICT");
  });

  it("accepts without a greeting", async () => {
    const [a, b] = await members(2);
    const id = await inviteOk(server, a, b.id);
    const res = ok(await act(server, b, "acceptInvitation", id)).acceptInvitation;
    expect(res).toMatchObject({ status: "ACCEPTED", message: null, responseMessage: null });
    expect(ids(await connections(a))).toEqual([b.id]);
  });
});

describe("decline", () => {
  it("tells the sender, with the message, in the invitation, the sent list and notifications", async () => {
    const [a, b] = await members(2);
    const id = await inviteOk(server, a, b.id, "Hello");
    clock.advance(1000);
    const declined = ok(
      await act(server, b, "declineInvitation", id, "Sorry, I only connect with people I know."),
    );
    expect(declined.declineInvitation).toMatchObject({
      id,
      status: "DECLINED",
      responseMessage: "Sorry, I only connect with people I know.",
    });
    expect(declined.declineInvitation.respondedAt).not.toBeNull();

    const seen = await invitationAs(a, id);
    expect(seen).toMatchObject({
      status: "DECLINED",
      message: "Hello",
      responseMessage: "Sorry, I only connect with people I know.",
    });
    expect(new Date(seen!.respondedAt).toISOString()).toBe(clock.now().toISOString());

    const all = await sent(a);
    expect(all.totalCount).toBe(1);
    expect(all.nodes[0]).toEqual(seen);
    expect(await sent(a, "DECLINED")).toEqual({ totalCount: 1, nodes: [seen] });
    expect((await sent(a, "PENDING")).totalCount).toBe(0);

    const aNotes = await notifications(a);
    expect(aNotes.totalCount).toBe(1);
    expect(aNotes.nodes[0]).toMatchObject({
      kind: "INVITATION_DECLINED",
      message: "Sorry, I only connect with people I know.",
      actor: { id: b.id },
      invitation: { id, status: "DECLINED" },
    });

    // Not connected; gone from the recipient's lists; cannot be accepted any more.
    expect((await connections(a)).totalCount).toBe(0);
    expect((await received(b)).totalCount).toBe(0);
    expect((await received(b, "IGNORED")).totalCount).toBe(0);
    expect(codeOf(await act(server, b, "acceptInvitation", id))).toBe("CONFLICT");
    expect(codeOf(await act(server, a, "withdrawInvitation", id))).toBe("CONFLICT");
  });
});

describe("withdraw", () => {
  it("retracts the recipient's INVITATION_RECEIVED notification and the pending invitation", async () => {
    const [a, b] = await members(2);
    const id = await inviteOk(server, a, b.id, "Hi");
    expect((await notifications(b)).nodes.map((n) => n.kind)).toEqual(["INVITATION_RECEIVED"]);

    const res = ok(await act(server, a, "withdrawInvitation", id)).withdrawInvitation;
    expect(res).toMatchObject({ id, status: "WITHDRAWN" });
    expect(await invitationAs(a, id)).toMatchObject({ status: "WITHDRAWN" });

    expect(await notifications(b)).toEqual({ totalCount: 0, nodes: [] });
    expect((await received(b)).totalCount).toBe(0);
    expect(codeOf(await act(server, b, "acceptInvitation", id))).toBe("CONFLICT");
    // Nothing reaches the sender either.
    expect((await notifications(a)).totalCount).toBe(0);
  });

  it("withdraws an ignored invitation just like a pending one", async () => {
    const [a, b] = await members(2);
    const id = await inviteOk(server, a, b.id);
    ok(await act(server, b, "ignoreInvitation", id));
    const res = ok(await act(server, a, "withdrawInvitation", id)).withdrawInvitation;
    expect(res).toMatchObject({ id, status: "WITHDRAWN" });
    expect((await received(b, "IGNORED")).totalCount).toBe(0);
    expect((await notifications(b)).totalCount).toBe(0);
  });
});

describe("ignore", () => {
  it("moves the invitation to the recipient's IGNORED list, is idempotent, and tells the sender nothing", async () => {
    const [a, b] = await members(2);
    const id = await inviteOk(server, a, b.id, "note");
    const first = ok(await act(server, b, "ignoreInvitation", id)).ignoreInvitation;
    expect(first).toMatchObject({ id, status: "IGNORED", respondedAt: null });
    const again = ok(await act(server, b, "ignoreInvitation", id)).ignoreInvitation;
    expect(again).toEqual(first);

    expect((await received(b)).totalCount).toBe(0);
    expect(ids(await received(b, "IGNORED"))).toEqual([id]);
    expect(await invitationAs(a, id)).toMatchObject({ status: "PENDING", respondedAt: null });
    expect((await notifications(a)).totalCount).toBe(0);
  });
});

describe("report", () => {
  for (const reason of ["I_DONT_KNOW", "SPAM"] as const) {
    it(`${reason}: ignores silently, then the sender's later invitation lands FILTERED`, async () => {
      const [a, b] = await members(2);
      const first = await inviteOk(server, a, b.id, "Buy my course");
      expect(ok(await report(b, first, reason)).reportInvitation).toBe(true);

      // The recipient finds it among the ignored ones.
      expect((await received(b)).totalCount).toBe(0);
      const archive = await received(b, "IGNORED");
      expect(ids(archive)).toEqual([first]);
      expect(archive.nodes[0].status).toBe("IGNORED");
      expect(await invitationAs(b, first)).toMatchObject({ status: "IGNORED" });

      // The sender sees nothing but a pending invitation.
      expect(await invitationAs(a, first)).toMatchObject({
        status: "PENDING",
        respondedAt: null,
        responseMessage: null,
      });
      expect((await sent(a, "PENDING")).nodes.map((n) => n.id)).toEqual([first]);
      expect((await notifications(a)).totalCount).toBe(0);

      // Withdraw, wait out the cooldown, invite again: it is filtered, silently.
      ok(await act(server, a, "withdrawInvitation", first));
      clock.advance((COOLDOWN_DAYS + 1) * DAY_MS);
      const again = ok(await invite(server, a, b.id, "Second try")).sendInvitation;
      expect(again.connected).toBe(false);
      expect(again.invitation).toMatchObject({ status: "PENDING", respondedAt: null });
      const second = again.invitation.id;
      expect(await invitationAs(a, second)).toMatchObject({ status: "PENDING" });
      expect(ids(await sent(a, "PENDING"))).toEqual([second]);

      expect(await notifications(b)).toEqual({ totalCount: 0, nodes: [] });
      expect((await received(b)).totalCount).toBe(0);
      const filtered = await received(b, "FILTERED");
      expect(ids(filtered)).toEqual([second]);
      expect(filtered.nodes[0]).toMatchObject({ message: "Second try", sender: { id: a.id } });

      // The recipient can still connect: inviting back crosses over the filtered one (rule 4).
      const cross = ok(await invite(server, b, a.id, "OK then")).sendInvitation;
      expect(cross.connected).toBe(true);
      expect(cross.invitation).toMatchObject({ id: second, status: "ACCEPTED" });
      expect(ids(await connections(a))).toEqual([b.id]);
    });
  }

  it("is NOT_FOUND for the sender reporting their own invitation", async () => {
    const [a, b] = await members(2);
    const id = await inviteOk(server, a, b.id);
    expect(codeOf(await report(a, id, "SPAM"))).toBe("NOT_FOUND");
    expect(await invitationAs(b, id)).toMatchObject({ status: "PENDING" });
  });
});

describe("block and unblock (rule 3)", () => {
  it("makes the blocker vanish for the blocked and the invitation vanish for both", async () => {
    const [a, b] = await members(2);
    const id = await inviteOk(server, a, b.id, "Hi");

    expect(ok(await mutateMember(b, "blockMember", a.id)).blockMember).toBe(true);

    expect(await memberAs(a, b.id)).toBeNull();
    expect(await memberAs(b, a.id)).toBeNull();

    expect(await invitationAs(a, id)).toBeNull();
    expect(await invitationAs(b, id)).toBeNull();
    expect(await sent(a)).toEqual({ totalCount: 0, nodes: [] });
    for (const status of ["PENDING", "IGNORED", "FILTERED"] as const) {
      expect(await received(b, status)).toEqual({ totalCount: 0, nodes: [] });
    }
    // The INVITATION_RECEIVED notification whose actor is blocked is hidden.
    expect(await notifications(b)).toEqual({ totalCount: 0, nodes: [] });

    // No action reaches it any more.
    expect(codeOf(await act(server, a, "withdrawInvitation", id))).toBe("NOT_FOUND");
    expect(codeOf(await act(server, b, "acceptInvitation", id))).toBe("NOT_FOUND");
    expect(codeOf(await act(server, b, "ignoreInvitation", id))).toBe("NOT_FOUND");

    // To the blocked member, the blocker answers exactly like an id that never existed.
    const toBlocker = await invite(server, a, b.id, "Please");
    const toNobody = await invite(server, a, randomUUID(), "Please");
    expect(codeOf(toBlocker)).toBe("NOT_FOUND");
    expect(codeOf(toNobody)).toBe("NOT_FOUND");
    expect(messageOf(toBlocker)).toBe(messageOf(toNobody));
    expect(toBlocker.data).toEqual(toNobody.data);
    // Blocking back the one who blocked you is NOT_FOUND too.
    expect(codeOf(await mutateMember(a, "blockMember", b.id))).toBe("NOT_FOUND");

    const blocked = ok(await gql(server, `query { blockedMembers { id } }`, {}, b.token));
    expect(blocked.blockedMembers).toEqual([{ id: a.id }]);

    // Unblock: true once, then false; both exist for each other again.
    expect(ok(await mutateMember(b, "unblockMember", a.id)).unblockMember).toBe(true);
    expect(ok(await mutateMember(b, "unblockMember", a.id)).unblockMember).toBe(false);
    expect(await memberAs(a, b.id)).toMatchObject({ id: b.id });
    expect(await memberAs(b, a.id)).toMatchObject({ id: a.id });
    expect(
      ok(await gql(server, `query { blockedMembers { id } }`, {}, b.token)).blockedMembers,
    ).toEqual([]);
    // The invitation closed by the block does not come back.
    expect((await received(b)).totalCount).toBe(0);
    expect((await sent(a, "PENDING")).totalCount).toBe(0);
  });

  it("ends the connection, for good, on either side's block", async () => {
    const [a, b] = await members(2);
    await connect(server, a, b);
    expect(ids(await connections(b))).toEqual([a.id]);

    ok(await mutateMember(a, "blockMember", b.id));
    expect(await connections(a)).toEqual({ totalCount: 0, nodes: [] });
    expect(await connections(b)).toEqual({ totalCount: 0, nodes: [] });
    expect(await memberAs(b, a.id)).toBeNull();
    // The pair's invitations and the notifications about each other are hidden on both sides.
    expect((await sent(a)).totalCount).toBe(0);
    expect((await notifications(a)).totalCount).toBe(0);
    expect((await notifications(b)).totalCount).toBe(0);

    ok(await mutateMember(a, "unblockMember", b.id));
    expect(await connections(a)).toEqual({ totalCount: 0, nodes: [] });
    expect((await memberAs(a, b.id))?.degree).toBe("THIRD_PLUS");
    expect((await memberAs(a, b.id))?.email).toBeNull();
  });

  it("answers blocking yourself with BAD_USER_INPUT", async () => {
    const [a] = await members(1);
    expect(codeOf(await mutateMember(a, "blockMember", a.id))).toBe("BAD_USER_INPUT");
  });
});

describe("removeConnection", () => {
  it("ends a connection for both; false when not connected; a new invitation is possible", async () => {
    const [a, b] = await members(2);
    await connect(server, a, b);
    expect(ok(await mutateMember(b, "removeConnection", a.id)).removeConnection).toBe(true);
    expect(ok(await mutateMember(b, "removeConnection", a.id)).removeConnection).toBe(false);
    expect(ok(await mutateMember(a, "removeConnection", b.id)).removeConnection).toBe(false);
    expect((await connections(a)).totalCount).toBe(0);
    expect((await connections(b)).totalCount).toBe(0);
    expect(await memberAs(a, b.id)).toMatchObject({ degree: "THIRD_PLUS", email: null });

    const again = ok(await invite(server, a, b.id, "Again?")).sendInvitation;
    expect(again).toMatchObject({ connected: false, invitation: { status: "PENDING" } });
  });

  it("later fields of the same operation no longer show the ex-connection's email or FIRST degree", async () => {
    const [a, x] = await members(2);
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
    const [a, x] = await members(2);
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

describe("crossing invitations (rule 4)", () => {
  for (const state of ["pending", "ignored"] as const) {
    it(`accepts the ${state} invitation when its recipient invites back`, async () => {
      const [a, b] = await members(2);
      const id = await inviteOk(server, a, b.id, "Hi B");
      if (state === "ignored") ok(await act(server, b, "ignoreInvitation", id));
      clock.advance(5000);

      const res = ok(await invite(server, b, a.id, "Hi A, happy to connect")).sendInvitation;
      expect(res.connected).toBe(true);
      expect(res.invitation).toMatchObject({
        id,
        status: "ACCEPTED",
        message: "Hi B",
        responseMessage: "Hi A, happy to connect",
        sender: { id: a.id },
        recipient: { id: b.id },
      });

      // Exactly as if B had pressed Accept.
      expect(ids(await connections(a))).toEqual([b.id]);
      expect(ids(await connections(b))).toEqual([a.id]);
      expect(await invitationAs(a, id)).toMatchObject({
        status: "ACCEPTED",
        responseMessage: "Hi A, happy to connect",
      });
      const aNotes = await notifications(a);
      expect(aNotes.nodes).toHaveLength(1);
      expect(aNotes.nodes[0]).toMatchObject({
        kind: "INVITATION_ACCEPTED",
        message: "Hi A, happy to connect",
        actor: { id: b.id },
        invitation: { id },
      });
      // No second invitation exists: B has sent nothing, A received nothing.
      expect((await sent(b)).totalCount).toBe(0);
      expect((await received(a)).totalCount).toBe(0);
      expect((await notifications(a)).nodes.map((n) => n.kind)).toEqual(["INVITATION_ACCEPTED"]);
      expect((await received(b, "IGNORED")).totalCount).toBe(0);
    });
  }
});

describe("one open invitation per pair, and cooldowns (rule 5)", () => {
  it("answers a re-invite with the same CONFLICT whether the first is pending or ignored", async () => {
    const [a, b] = await members(2);
    const id = await inviteOk(server, a, b.id, "first");
    const whilePending = await invite(server, a, b.id, "second");
    expect(codeOf(whilePending)).toBe("CONFLICT");

    ok(await act(server, b, "ignoreInvitation", id));
    const whileIgnored = await invite(server, a, b.id, "second");
    expect(codeOf(whileIgnored)).toBe("CONFLICT");
    expect(whileIgnored).toEqual(whilePending);

    // Still just the one invitation, still pending to the sender.
    expect(await sent(a)).toMatchObject({ totalCount: 1, nodes: [{ id, status: "PENDING" }] });
  });

  it("makes the sender wait the cooldown after a decline or a withdraw", async () => {
    const [a, b, c, d] = await members(4);
    const declined = await inviteOk(server, a, b.id);
    ok(await act(server, b, "declineInvitation", declined, "no"));
    const withdrawn = await inviteOk(server, c, d.id);
    ok(await act(server, c, "withdrawInvitation", withdrawn));

    for (const [from, to] of [
      [a, b],
      [c, d],
    ] as const) {
      const res = await invite(server, from, to.id);
      expect(codeOf(res)).toBe("CONFLICT");
      const retryAfter = res.errors![0].extensions.retryAfter;
      expect(typeof retryAfter).toBe("number");
      expect(retryAfter).toBeGreaterThan((COOLDOWN_DAYS - 1) * 86_400);
      expect(retryAfter).toBeLessThanOrEqual(COOLDOWN_DAYS * 86_400);
    }

    clock.advance((COOLDOWN_DAYS - 1) * DAY_MS);
    for (const [from, to] of [
      [a, b],
      [c, d],
    ] as const) {
      const res = await invite(server, from, to.id);
      expect(codeOf(res)).toBe("CONFLICT");
      expect(res.errors![0].extensions.retryAfter).toBeLessThanOrEqual(86_400);
      expect(res.errors![0].extensions.retryAfter).toBeGreaterThan(0);
    }

    clock.advance(DAY_MS + 1000);
    for (const [from, to] of [
      [a, b],
      [c, d],
    ] as const) {
      const res = ok(await invite(server, from, to.id, "after the cooldown")).sendInvitation;
      expect(res).toMatchObject({ connected: false, invitation: { status: "PENDING" } });
      expect(ids(await received(to))).toEqual([res.invitation.id]);
    }
  });
});
