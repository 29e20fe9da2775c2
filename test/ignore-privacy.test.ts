import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import {
  act,
  gql,
  INVITATION_FIELDS,
  invite,
  inviteOk,
  ok,
  signUp,
  type GqlResult,
  type TestMember,
} from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

// Rule 1 over HTTP: to its sender an ignored invitation is PENDING in every field, list,
// count and error, exactly as one the recipient never opened. Two senders with the same
// name act at the same (manual) instants, so the only differences left in their answers are
// the ids, which `normalize` replaces with role labels.

let server: TestServer;
const clock = new ManualClock(new Date("2031-03-01T08:00:00.000Z"));

beforeAll(async () => {
  server = await startTestServer({ clock });
});

afterAll(async () => {
  await server?.stop();
});

const INVITATION = `query ($id: ID!) { invitation(id: $id) { ${INVITATION_FIELDS} recipient { email degree } } }`;
const SENT = `
  query ($status: InvitationStatus, $first: Int, $after: String) {
    sentInvitations(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ${INVITATION_FIELDS} } }
    }
  }
`;
const NOTIFICATIONS = `
  query { notifications { totalCount edges { node { kind message actor { id } } } } }
`;
const RECEIVED = `
  query ($filter: ReceivedInvitationsFilter) {
    receivedInvitations(filter: $filter) { totalCount edges { node { ${INVITATION_FIELDS} } } }
  }
`;

interface Side {
  sender: TestMember;
  before: TestMember;
  after: TestMember;
  /** Invitation to `before`, sent first. */
  invBefore: string;
  /** Invitation to the shared recipient. */
  invToRecipient: string;
  /** Invitation to `after`, sent last. */
  invAfter: string;
}

/** Replaces this side's ids (and every opaque cursor) with labels shared by both sides. */
function normalize(value: unknown, side: Side): unknown {
  let text = JSON.stringify(value);
  const labels: Array<[string, string]> = [
    [side.sender.id, "<sender>"],
    [side.before.id, "<peer-before>"],
    [side.after.id, "<peer-after>"],
    [side.invBefore, "<inv-before>"],
    [side.invToRecipient, "<inv-to-recipient>"],
    [side.invAfter, "<inv-after>"],
  ];
  for (const [id, label] of labels) text = text.split(id).join(label);
  return JSON.parse(text, (key, v) =>
    (key === "cursor" || key === "endCursor") && typeof v === "string" ? "<cursor>" : v,
  );
}

let recipient: TestMember;
let ignoredSide: Side;
let untouchedSide: Side;

async function view(side: Side) {
  const { token } = side.sender;
  const q = (query: string, variables: object = {}) => gql(server, query, variables, token);
  const sentAll = await q(SENT);
  return normalize(
    {
      invitation: await q(INVITATION, { id: side.invToRecipient }),
      sentInvitations: sentAll,
      sentPending: await q(SENT, { status: "PENDING" }),
      sentIgnored: await q(SENT, { status: "IGNORED" }),
      sentDeclined: await q(SENT, { status: "DECLINED" }),
      sentPage1: await q(SENT, { first: 1 }),
      sentPage2: await q(SENT, {
        first: 2,
        after: ok(await q(SENT, { first: 1 })).sentInvitations.pageInfo.endCursor,
      }),
      notifications: await q(NOTIFICATIONS),
      recipient: await q(`query ($id: ID!) { member(id: $id) { id name degree email } }`, {
        id: recipient.id,
      }),
    },
    side,
  );
}

beforeAll(async () => {
  recipient = await signUp(server, { name: "Rita Recipient" });
  const senders = [
    await signUp(server, { name: "Sam Sender", headline: "Same headline" }),
    await signUp(server, { name: "Sam Sender", headline: "Same headline" }),
  ];
  const befores = [
    await signUp(server, { name: "Peer Before" }),
    await signUp(server, { name: "Peer Before" }),
  ];
  const afters = [
    await signUp(server, { name: "Peer After" }),
    await signUp(server, { name: "Peer After" }),
  ];
  // Both senders act at the same instants, so every timestamp matches between them.
  const invBefore = [
    await inviteOk(server, senders[0], befores[0].id, "first"),
    await inviteOk(server, senders[1], befores[1].id, "first"),
  ];
  clock.advance(60_000);
  const invToRecipient = [
    await inviteOk(server, senders[0], recipient.id, "Hello Rita"),
    await inviteOk(server, senders[1], recipient.id, "Hello Rita"),
  ];
  clock.advance(60_000);
  const invAfter = [
    await inviteOk(server, senders[0], afters[0].id, "last"),
    await inviteOk(server, senders[1], afters[1].id, "last"),
  ];
  const sides = [0, 1].map((i): Side => ({
    sender: senders[i],
    before: befores[i],
    after: afters[i],
    invBefore: invBefore[i],
    invToRecipient: invToRecipient[i],
    invAfter: invAfter[i],
  }));
  [ignoredSide, untouchedSide] = sides;

  clock.advance(60_000);
  const ignored = ok(await act(server, recipient, "ignoreInvitation", ignoredSide.invToRecipient));
  expect(ignored.ignoreInvitation.status).toBe("IGNORED");
  clock.advance(60_000);
});

describe("rule 1: an ignored invitation looks pending to its sender", () => {
  it("gives both senders identical invitation, sentInvitations, pages, counts and notifications", async () => {
    const ignored = await view(ignoredSide);
    const untouched = await view(untouchedSide);
    expect(ignored).toEqual(untouched);

    // And what they both see is a pending invitation, newest first, three in all.
    const seen = ignored as Record<string, GqlResult>;
    expect(seen.invitation.data.invitation).toMatchObject({
      id: "<inv-to-recipient>",
      status: "PENDING",
      respondedAt: null,
      responseMessage: null,
      message: "Hello Rita",
    });
    const sentList = seen.sentInvitations.data.sentInvitations;
    expect(sentList.totalCount).toBe(3);
    expect(sentList.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([
      "<inv-after>",
      "<inv-to-recipient>",
      "<inv-before>",
    ]);
    expect(
      sentList.edges.every((e: { node: { status: string } }) => e.node.status === "PENDING"),
    ).toBe(true);
    expect(seen.sentPending.data.sentInvitations.totalCount).toBe(3);
    expect(seen.sentIgnored.data.sentInvitations).toMatchObject({ totalCount: 0, edges: [] });
    expect(
      seen.sentPage2.data.sentInvitations.edges.map((e: { node: { id: string } }) => e.node.id),
    ).toEqual(["<inv-to-recipient>", "<inv-before>"]);
    expect(seen.notifications.data.notifications.totalCount).toBe(0);
  });

  it("answers a re-invite with the identical CONFLICT", async () => {
    const fromIgnored = await invite(server, ignoredSide.sender, recipient.id, "again");
    const fromUntouched = await invite(server, untouchedSide.sender, recipient.id, "again");
    expect(fromIgnored.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(normalize(fromIgnored, ignoredSide)).toEqual(normalize(fromUntouched, untouchedSide));
  });

  it("still lists it in the recipient's IGNORED archive, and the other one as PENDING", async () => {
    const pending = ok(await gql(server, RECEIVED, {}, recipient.token)).receivedInvitations;
    expect(pending.totalCount).toBe(1);
    expect(pending.edges[0].node).toMatchObject({
      id: untouchedSide.invToRecipient,
      status: "PENDING",
    });
    const archive = ok(
      await gql(server, RECEIVED, { filter: { status: "IGNORED" } }, recipient.token),
    ).receivedInvitations;
    expect(archive.totalCount).toBe(1);
    expect(archive.edges[0].node).toMatchObject({
      id: ignoredSide.invToRecipient,
      status: "IGNORED",
      message: "Hello Rita",
      sender: { id: ignoredSide.sender.id },
    });
  });

  it("gives identical withdrawInvitation results, and identical answers afterwards", async () => {
    clock.advance(60_000);
    const fromIgnored = await act(
      server,
      ignoredSide.sender,
      "withdrawInvitation",
      ignoredSide.invToRecipient,
    );
    const fromUntouched = await act(
      server,
      untouchedSide.sender,
      "withdrawInvitation",
      untouchedSide.invToRecipient,
    );
    expect(fromIgnored.data?.withdrawInvitation?.status).toBe("WITHDRAWN");
    expect(normalize(fromIgnored, ignoredSide)).toEqual(normalize(fromUntouched, untouchedSide));

    expect(await view(ignoredSide)).toEqual(await view(untouchedSide));

    // The cooldown CONFLICT is identical too (same retryAfter: same clock).
    const again1 = await invite(server, ignoredSide.sender, recipient.id);
    const again2 = await invite(server, untouchedSide.sender, recipient.id);
    expect(again1.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(normalize(again1, ignoredSide)).toEqual(normalize(again2, untouchedSide));

    // Both are gone from the recipient's lists.
    for (const filter of [undefined, { status: "IGNORED" }]) {
      const res = ok(await gql(server, RECEIVED, { filter }, recipient.token));
      expect(res.receivedInvitations.totalCount).toBe(0);
    }
  });
});

describe("an ignored invitation can still be accepted", () => {
  it("connects both and tells the sender, as an accept of a pending one would", async () => {
    const sender = await signUp(server);
    const id = await inviteOk(server, sender, recipient.id, "Remember me?");
    ok(await act(server, recipient, "ignoreInvitation", id));
    clock.advance(3 * 24 * 60 * 60 * 1000);

    const accepted = ok(await act(server, recipient, "acceptInvitation", id, "Now I do"));
    expect(accepted.acceptInvitation).toMatchObject({
      id,
      status: "ACCEPTED",
      responseMessage: "Now I do",
    });
    const archive = ok(
      await gql(server, RECEIVED, { filter: { status: "IGNORED" } }, recipient.token),
    );
    expect(archive.receivedInvitations.totalCount).toBe(0);

    const seen = ok(await gql(server, INVITATION, { id }, sender.token)).invitation;
    expect(seen).toMatchObject({ status: "ACCEPTED", responseMessage: "Now I do" });
    expect(seen.recipient).toMatchObject({ email: recipient.email, degree: "FIRST" });
    const notes = ok(await gql(server, NOTIFICATIONS, {}, sender.token)).notifications;
    expect(notes.edges.map((e: { node: { kind: string } }) => e.node)).toEqual([
      { kind: "INVITATION_ACCEPTED", message: "Now I do", actor: { id: recipient.id } },
    ]);
  });
});
