import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import {
  act,
  codeOf,
  connect,
  gql,
  INVITATION_FIELDS,
  inviteOk,
  ok,
  signUp,
  type GqlResult,
  type TestMember,
} from "./helpers/http";
import {
  DAY_MS,
  normalizeIds,
  NOTIFICATIONS,
  report,
  send,
  setSettings,
  SETTINGS,
  signUpMany,
  sqlCount,
  UPDATE_SETTINGS,
} from "./helpers/manager";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe, type Sub } from "./helpers/ws";

// Rule 6 (docs/api.md) and docs/inbox.md, "Who can invite you": invitationSettings and what
// whoCanInvite and notifyOnInvitation do to a new invitation. An invitation the setting does
// not let through is no error (except a missing email): the sender sees it pending, the
// recipient finds it under FILTERED, and nothing is stored or pushed for the recipient. No
// answer tells a wrong email from a right one, and a FILTERED or reported-sender invitation
// looks exactly like a pending one to its sender.

let server: TestServer;
const clock = new ManualClock(new Date("2034-06-01T12:00:00.000Z"));

beforeAll(async () => {
  server = await startTestServer({ clock });
});

afterEach(async () => {
  await closeAll();
});

afterAll(async () => {
  await closeAll();
  await server?.stop();
});

const INVITATION = `query ($id: ID!) { invitation(id: $id) { ${INVITATION_FIELDS} recipient { email degree mutualConnectionsCount } } }`;
const SENT = `
  query ($status: InvitationStatus, $first: Int) {
    sentInvitations(status: $status, first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ${INVITATION_FIELDS} } }
    }
  }
`;
const RECEIVED = `
  query ($filter: ReceivedInvitationsFilter) {
    receivedInvitations(filter: $filter) { totalCount edges { node { id status message sender { id } } } }
  }
`;
const NOTIFICATION_ADDED = `subscription { notificationAdded { kind invitation { id } } }`;
const INVITATION_RECEIVED = `subscription { invitationReceived { id status } }`;

async function receivedIds(member: TestMember, status: string): Promise<string[]> {
  const data = ok(await gql(server, RECEIVED, { filter: { status } }, member.token));
  return data.receivedInvitations.edges.map((e: { node: { id: string } }) => e.node.id);
}

async function notificationCount(member: TestMember): Promise<number> {
  return sqlCount(
    server,
    `SELECT COUNT(*) AS "n" FROM "notification" WHERE "recipientId" = :recipientId`,
    { recipientId: member.id },
  );
}

/** Subscribes `member` to notificationAdded and invitationReceived. */
async function listen(member: TestMember): Promise<Sub[]> {
  return [
    await subscribe(server, member.token, NOTIFICATION_ADDED),
    await subscribe(server, member.token, INVITATION_RECEIVED),
  ];
}

describe("invitationSettings", () => {
  it("defaults to EVERYONE, notifications on, reminders on", async () => {
    const m = await signUp(server);
    expect(ok(await gql(server, SETTINGS, {}, m.token)).invitationSettings).toEqual({
      whoCanInvite: "EVERYONE",
      notifyOnInvitation: true,
      reminders: true,
    });
  });

  it("changes only the fields given, keeps them, and only for the viewer", async () => {
    const m = await signUp(server);
    const other = await signUp(server);
    expect(await setSettings(server, m, { whoCanInvite: "SECOND_DEGREE" })).toEqual({
      whoCanInvite: "SECOND_DEGREE",
      notifyOnInvitation: true,
      reminders: true,
    });
    expect(await setSettings(server, m, { reminders: false })).toEqual({
      whoCanInvite: "SECOND_DEGREE",
      notifyOnInvitation: true,
      reminders: false,
    });
    expect(await setSettings(server, m, {})).toEqual({
      whoCanInvite: "SECOND_DEGREE",
      notifyOnInvitation: true,
      reminders: false,
    });
    expect(
      await setSettings(server, m, { notifyOnInvitation: false, whoCanInvite: "EMAIL_REQUIRED" }),
    ).toEqual({ whoCanInvite: "EMAIL_REQUIRED", notifyOnInvitation: false, reminders: false });
    expect(ok(await gql(server, SETTINGS, {}, m.token)).invitationSettings).toEqual({
      whoCanInvite: "EMAIL_REQUIRED",
      notifyOnInvitation: false,
      reminders: false,
    });
    // Logging in again (a new token) reads the same stored settings.
    const login = ok(
      await gql(
        server,
        `mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`,
        { e: m.email, p: m.password },
      ),
    );
    expect(ok(await gql(server, SETTINGS, {}, login.logIn.token)).invitationSettings).toEqual({
      whoCanInvite: "EMAIL_REQUIRED",
      notifyOnInvitation: false,
      reminders: false,
    });
    expect(ok(await gql(server, SETTINGS, {}, other.token)).invitationSettings).toEqual({
      whoCanInvite: "EVERYONE",
      notifyOnInvitation: true,
      reminders: true,
    });
  });

  it("needs a token, and refuses an unknown whoCanInvite", async () => {
    expect(codeOf(await gql(server, SETTINGS))).toBe("UNAUTHENTICATED");
    const noToken = await gql(server, UPDATE_SETTINGS, { input: { reminders: false } });
    expect(codeOf(noToken)).toBe("UNAUTHENTICATED");
    const m = await signUp(server);
    const bad = await gql(server, UPDATE_SETTINGS, { input: { whoCanInvite: "NOBODY" } }, m.token);
    expect(bad.errors?.length).toBeGreaterThan(0);
    expect(ok(await gql(server, SETTINGS, {}, m.token)).invitationSettings.whoCanInvite).toBe(
      "EVERYONE",
    );
  });
});

describe("EMAIL_REQUIRED", () => {
  let rightSender: TestMember;
  let wrongSender: TestMember;
  let rightRecipient: TestMember;
  let wrongRecipient: TestMember;

  beforeAll(async () => {
    // Two look-alike pairs: the senders share a name, the recipients share a name.
    [rightSender, wrongSender] = await signUpMany(server, 2, () => ({ name: "Sam Sender" }));
    [rightRecipient, wrongRecipient] = await signUpMany(server, 2, () => ({
      name: "Erin Email",
    }));
    await setSettings(server, rightRecipient, { whoCanInvite: "EMAIL_REQUIRED" });
    await setSettings(server, wrongRecipient, { whoCanInvite: "EMAIL_REQUIRED" });
  });

  it("refuses a missing email with EMAIL_REQUIRED and writes nothing", async () => {
    const before = await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "invitation"`);
    const notesBefore = await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "notification"`);
    const res = await send(server, wrongSender, wrongRecipient.id, { message: "hello" });
    expect(codeOf(res)).toBe("EMAIL_REQUIRED");
    expect(res.data).toBeNull();
    expect(await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "invitation"`)).toBe(before);
    expect(await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "notification"`)).toBe(notesBefore);
    // The same answer whoever asks: it says nothing about the member beyond the setting.
    const other = await send(server, rightSender, rightRecipient.id, { message: "hello" });
    expect(normalizeIds(other, [])).toEqual(normalizeIds(res, []));
  });

  it("answers a wrong email exactly as a right one, and files it under FILTERED silently", async () => {
    const wrongSubs = await listen(wrongRecipient);
    const rightSubs = await listen(rightRecipient);
    const labels = (s: TestMember, r: TestMember, inv: string): Array<[string, string]> => [
      [s.id, "<sender>"],
      [r.id, "<recipient>"],
      [inv, "<inv>"],
    ];
    clock.advance(60_000);
    const right = await send(server, rightSender, rightRecipient.id, {
      message: "Met at the conference",
      recipientEmail: rightRecipient.email,
    });
    const wrong = await send(server, wrongSender, wrongRecipient.id, {
      message: "Met at the conference",
      recipientEmail: "someone-else@example.com",
    });
    const rightId = ok(right).sendInvitation.invitation.id;
    const wrongId = ok(wrong).sendInvitation.invitation.id;
    const rightLabels = labels(rightSender, rightRecipient, rightId);
    const wrongLabels = labels(wrongSender, wrongRecipient, wrongId);
    expect(normalizeIds(wrong, wrongLabels)).toEqual(normalizeIds(right, rightLabels));
    expect(right.data.sendInvitation).toMatchObject({
      connected: false,
      invitation: { status: "PENDING", respondedAt: null, recipient: { email: null } },
    });

    // Every later read by the sender is identical too.
    const view = async (s: TestMember, inv: string, l: Array<[string, string]>) =>
      normalizeIds(
        {
          invitation: await gql(server, INVITATION, { id: inv }, s.token),
          sent: await gql(server, SENT, {}, s.token),
          sentPending: await gql(server, SENT, { status: "PENDING" }, s.token),
          notifications: await gql(server, NOTIFICATIONS, {}, s.token),
        },
        l,
      );
    expect(await view(wrongSender, wrongId, wrongLabels)).toEqual(
      await view(rightSender, rightId, rightLabels),
    );

    // The right one reached its recipient, live and stored.
    const [rightNote, rightInv] = rightSubs;
    expect(await rightNote.next()).toEqual({
      kind: "INVITATION_RECEIVED",
      invitation: { id: rightId },
    });
    expect(await rightInv.next()).toEqual({ id: rightId, status: "PENDING" });
    expect(await receivedIds(rightRecipient, "PENDING")).toEqual([rightId]);
    expect(await receivedIds(rightRecipient, "FILTERED")).toEqual([]);
    expect(await notificationCount(rightRecipient)).toBe(1);

    // The wrong one: only in FILTERED, no notification, no event.
    for (const sub of wrongSubs) await sub.expectNone(400);
    expect(await receivedIds(wrongRecipient, "PENDING")).toEqual([]);
    expect(await receivedIds(wrongRecipient, "IGNORED")).toEqual([]);
    expect(await receivedIds(wrongRecipient, "FILTERED")).toEqual([wrongId]);
    expect(await notificationCount(wrongRecipient)).toBe(0);
    const notes = ok(await gql(server, NOTIFICATIONS, {}, wrongRecipient.token)).notifications;
    expect(notes.totalCount).toBe(0);

    // Inviting again: the same CONFLICT for both.
    const againRight = await send(server, rightSender, rightRecipient.id, {
      recipientEmail: rightRecipient.email,
    });
    const againWrong = await send(server, wrongSender, wrongRecipient.id, {
      recipientEmail: wrongRecipient.email,
    });
    expect(codeOf(againRight)).toBe("CONFLICT");
    expect(normalizeIds(againWrong, wrongLabels)).toEqual(normalizeIds(againRight, rightLabels));
  });

  it("accepts the right email in any case and with spaces around it", async () => {
    const sender = await signUp(server);
    const recipient = await signUp(server);
    await setSettings(server, recipient, { whoCanInvite: "EMAIL_REQUIRED" });
    const res = ok(
      await send(server, sender, recipient.id, {
        recipientEmail: recipient.email.toUpperCase(),
      }),
    );
    const id = res.sendInvitation.invitation.id;
    expect(await receivedIds(recipient, "PENDING")).toEqual([id]);
    expect(await notificationCount(recipient)).toBe(1);
  });

  it("lets the recipient still answer a FILTERED invitation", async () => {
    const sender = await signUp(server);
    const recipient = await signUp(server);
    await setSettings(server, recipient, { whoCanInvite: "EMAIL_REQUIRED" });
    const id = ok(await send(server, sender, recipient.id, { recipientEmail: "nope@example.com" }))
      .sendInvitation.invitation.id;
    const accepted = ok(
      await act(server, recipient, "acceptInvitation", id, "Hi"),
    ).acceptInvitation;
    expect(accepted).toMatchObject({ id, status: "ACCEPTED", responseMessage: "Hi" });
    expect(await receivedIds(recipient, "FILTERED")).toEqual([]);
  });
});

describe("SECOND_DEGREE", () => {
  it("files an invitation from a member with no shared connection under FILTERED, silently", async () => {
    const [recipient, stranger, friend, mutual] = await signUpMany(server, 4);
    await connect(server, recipient, mutual);
    await connect(server, friend, mutual);
    await setSettings(server, recipient, { whoCanInvite: "SECOND_DEGREE" });
    const subs = await listen(recipient);

    const fromStranger = ok(await send(server, stranger, recipient.id, { message: "hi" }));
    expect(fromStranger.sendInvitation).toMatchObject({
      connected: false,
      invitation: { status: "PENDING", respondedAt: null },
    });
    const strangerId = fromStranger.sendInvitation.invitation.id;
    for (const sub of subs) await sub.expectNone(400);
    expect(await receivedIds(recipient, "FILTERED")).toEqual([strangerId]);
    expect(await receivedIds(recipient, "PENDING")).toEqual([]);
    const notesBefore = await notificationCount(recipient);
    expect(
      await sqlCount(
        server,
        `SELECT COUNT(*) AS "n" FROM "notification"
          WHERE "recipientId" = :recipientId AND "kind" = 'INVITATION_RECEIVED'`,
        { recipientId: recipient.id },
      ),
    ).toBe(0);

    // A member sharing a connection gets through: pending, notified, pushed.
    const fromFriend = ok(await send(server, friend, recipient.id, { message: "hello" }));
    const friendId = fromFriend.sendInvitation.invitation.id;
    expect(await subs[0].next()).toEqual({
      kind: "INVITATION_RECEIVED",
      invitation: { id: friendId },
    });
    expect(await subs[1].next()).toEqual({ id: friendId, status: "PENDING" });
    expect(await receivedIds(recipient, "PENDING")).toEqual([friendId]);
    expect(await receivedIds(recipient, "FILTERED")).toEqual([strangerId]);
    expect(await notificationCount(recipient)).toBe(notesBefore + 1);

    // To the stranger it stays a pending invitation in every read.
    const seen = ok(await gql(server, INVITATION, { id: strangerId }, stranger.token)).invitation;
    expect(seen).toMatchObject({ status: "PENDING", respondedAt: null, responseMessage: null });
    const sent = ok(await gql(server, SENT, { status: "PENDING" }, stranger.token));
    expect(sent.sentInvitations.totalCount).toBe(1);
  });
});

describe("notifyOnInvitation: false", () => {
  it("keeps the invitation pending in the list but stores and pushes no notification", async () => {
    const [recipient, sender] = await signUpMany(server, 2);
    await setSettings(server, recipient, { notifyOnInvitation: false });
    const note = await subscribe(server, recipient.token, NOTIFICATION_ADDED);
    const id = await inviteOk(server, sender, recipient.id, "quiet please");
    await note.expectNone(400);
    expect(await receivedIds(recipient, "PENDING")).toEqual([id]);
    expect(await notificationCount(recipient)).toBe(0);
    expect(ok(await gql(server, NOTIFICATIONS, {}, recipient.token)).notifications.totalCount).toBe(
      0,
    );
    // Turned back on, the next invitation notifies again.
    await setSettings(server, recipient, { notifyOnInvitation: true });
    const other = await signUp(server);
    const id2 = await inviteOk(server, other, recipient.id);
    expect(await note.next()).toEqual({ kind: "INVITATION_RECEIVED", invitation: { id: id2 } });
    expect(await notificationCount(recipient)).toBe(1);
  });
});

describe("FILTERED and reported-sender invitations look pending to their sender", () => {
  // Three look-alike senders at the same instants: `plain` to a recipient who takes anyone,
  // `filtered` to one who asks for the email (given wrong), `reported` to one who reported
  // them before. First the reported invitation itself, then (after a withdraw and the
  // cooldown) new invitations, which the last two recipients find under FILTERED.
  interface Side {
    sender: TestMember;
    recipient: TestMember;
    first: string;
    second?: string;
  }
  let sides: Record<"plain" | "filtered" | "reported", Side>;

  const labels = (s: Side): Array<[string, string]> => [
    [s.sender.id, "<sender>"],
    [s.recipient.id, "<recipient>"],
    [s.first, "<first>"],
    ...(s.second ? ([[s.second, "<second>"]] as Array<[string, string]>) : []),
  ];

  async function view(s: Side, id: string) {
    const q = (query: string, variables: object = {}) =>
      gql(server, query, variables, s.sender.token);
    return normalizeIds(
      {
        invitation: await q(INVITATION, { id }),
        sent: await q(SENT),
        sentPending: await q(SENT, { status: "PENDING" }),
        sentWithdrawn: await q(SENT, { status: "WITHDRAWN" }),
        sentPage: await q(SENT, { first: 1 }),
        notifications: await q(NOTIFICATIONS),
        member: await q(`query ($id: ID!) { member(id: $id) { id name degree email } }`, {
          id: s.recipient.id,
        }),
      },
      labels(s),
    );
  }

  /** Runs `f` for every side at the same clock instant; returns the normalised answers. */
  async function each(f: (s: Side) => Promise<GqlResult | unknown>) {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(sides)) out[k] = normalizeIds(await f(s), labels(s));
    return out;
  }

  beforeAll(async () => {
    const senders = await signUpMany(server, 3, () => ({ name: "Pat Lookalike" }));
    const recipients = await signUpMany(server, 3, () => ({ name: "Robin Target" }));
    clock.advance(60_000);
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push(await inviteOk(server, senders[i], recipients[i].id, "hi"));
    sides = {
      plain: { sender: senders[0], recipient: recipients[0], first: ids[0] },
      filtered: { sender: senders[1], recipient: recipients[1], first: ids[1] },
      reported: { sender: senders[2], recipient: recipients[2], first: ids[2] },
    };
    await report(server, sides.reported.recipient, sides.reported.first, "I_DONT_KNOW");
  });

  it("shows the reported invitation to its sender exactly as a pending one", async () => {
    const plain = await view(sides.plain, sides.plain.first);
    expect(await view(sides.reported, sides.reported.first)).toEqual(plain);
    expect((plain as { invitation: GqlResult }).invitation.data.invitation.status).toBe("PENDING");
    const again = await each((s) => send(server, s.sender, s.recipient.id));
    expect(again.reported).toEqual(again.plain);
    expect((again.plain as GqlResult).errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });

  it("gives identical withdraw results, and identical cooldown CONFLICTs", async () => {
    clock.advance(60_000);
    const withdrawn = await each((s) => act(server, s.sender, "withdrawInvitation", s.first));
    expect(withdrawn.reported).toEqual(withdrawn.plain);
    expect(withdrawn.filtered).toEqual(withdrawn.plain);
    expect((withdrawn.plain as GqlResult).data.withdrawInvitation.status).toBe("WITHDRAWN");
    clock.advance(60_000);
    const cooldown = await each((s) => send(server, s.sender, s.recipient.id));
    expect((cooldown.plain as GqlResult).errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(cooldown.reported).toEqual(cooldown.plain);
  });

  it("shows new FILTERED invitations (wrong email, reported sender) exactly as a pending one", async () => {
    await setSettings(server, sides.filtered.recipient, { whoCanInvite: "EMAIL_REQUIRED" });
    clock.advance(22 * DAY_MS);
    const sent = await each(async (s) => {
      const res = await send(server, s.sender, s.recipient.id, {
        message: "second try",
        recipientEmail: "wrong-address@example.com",
      });
      s.second = res.data?.sendInvitation?.invitation?.id;
      return res;
    });
    const plain = sent.plain as GqlResult;
    expect(plain.data.sendInvitation.invitation.status).toBe("PENDING");
    expect(sent.filtered).toEqual(sent.plain);
    expect(sent.reported).toEqual(sent.plain);
    for (const s of Object.values(sides)) expect(s.second).toBeTruthy();

    // Stored where the recipients find them.
    expect(await receivedIds(sides.plain.recipient, "PENDING")).toEqual([sides.plain.second]);
    expect(await receivedIds(sides.filtered.recipient, "FILTERED")).toEqual([
      sides.filtered.second,
    ]);
    expect(await receivedIds(sides.reported.recipient, "FILTERED")).toEqual([
      sides.reported.second,
    ]);
    expect(await receivedIds(sides.filtered.recipient, "PENDING")).toEqual([]);
    expect(await receivedIds(sides.reported.recipient, "PENDING")).toEqual([]);
    for (const k of ["filtered", "reported"] as const) {
      expect(
        await sqlCount(
          server,
          `SELECT COUNT(*) AS "n" FROM "notification" WHERE "invitationId" = :invitationId`,
          { invitationId: sides[k].second },
        ),
        k,
      ).toBe(0);
    }

    // Every read by the senders, the re-invite CONFLICT and the withdraw: identical.
    const plainView = await view(sides.plain, sides.plain.second!);
    expect(await view(sides.filtered, sides.filtered.second!)).toEqual(plainView);
    expect(await view(sides.reported, sides.reported.second!)).toEqual(plainView);
    const plainSent = (plainView as { sent: GqlResult }).sent.data.sentInvitations;
    expect(plainSent.totalCount).toBe(2);

    const again = await each((s) => send(server, s.sender, s.recipient.id));
    expect((again.plain as GqlResult).errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(again.filtered).toEqual(again.plain);
    expect(again.reported).toEqual(again.plain);

    clock.advance(60_000);
    const withdrawn = await each((s) => act(server, s.sender, "withdrawInvitation", s.second!));
    expect((withdrawn.plain as GqlResult).data.withdrawInvitation.status).toBe("WITHDRAWN");
    expect(withdrawn.filtered).toEqual(withdrawn.plain);
    expect(withdrawn.reported).toEqual(withdrawn.plain);
    const after = await view(sides.plain, sides.plain.second!);
    expect(await view(sides.filtered, sides.filtered.second!)).toEqual(after);
    expect(await view(sides.reported, sides.reported.second!)).toEqual(after);
  });
});
