import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { query } from "../src/db/sql";
import { InvitationRecord } from "../src/invitations/invitation.entity";
import { act, codeOf, gql, inviteOk, messageOf, ok, signUp, type TestMember } from "./helpers/http";
import {
  DAY_MS,
  invitationAs,
  notificationRowCount,
  notificationsOf,
  remindersOf,
  reportInvitation,
  runJobsCli,
  seedBacklog,
  setReminder,
  startJobsServer,
  stopJobsServers,
  storedInvitation,
  updateSettings,
} from "./helpers/jobs";
import { notificationsOf as listedNotificationsOf } from "./helpers/notifications";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe, type Sub } from "./helpers/ws";

const NOTIFICATION_ADDED = `subscription {
  notificationAdded { kind message actor { id } invitation { id status } }
}`;
const INVITATION_RECEIVED = `subscription { invitationReceived { id status } }`;
const INVITATION_ACCEPTED = `subscription { invitationAccepted { id status } }`;
const INVITATION_DECLINED = `subscription { invitationDeclined { invitation { id } message } }`;

const SENT = `query ($status: InvitationStatus) {
  sentInvitations(status: $status, first: 100) { totalCount edges { node { id status } } }
}`;
const RECEIVED = `query ($filter: ReceivedInvitationsFilter) {
  receivedInvitations(filter: $filter, first: 100) { totalCount edges { node { id status } } }
}`;

afterEach(async () => {
  await closeAll();
  await stopJobsServers();
});

/** Two new members, the first inviting the second. */
async function pair(server: TestServer, from?: TestMember) {
  const a = from ?? (await signUp(server));
  const b = await signUp(server);
  const id = await inviteOk(server, a, b.id);
  return { a, b, id };
}

/** Every live channel the sender of an invitation has: none may fire for reminders or expiry. */
async function senderSubs(server: TestServer, sender: TestMember): Promise<Sub[]> {
  return [
    await subscribe(server, sender.token, NOTIFICATION_ADDED),
    await subscribe(server, sender.token, INVITATION_RECEIVED),
    await subscribe(server, sender.token, INVITATION_ACCEPTED),
    await subscribe(server, sender.token, INVITATION_DECLINED),
  ];
}

/** How many INVITATION_REMINDER rows each invitation got, from the table itself. */
async function reminderRowsPerInvitation(server: TestServer): Promise<Map<string, number>> {
  const rows = await query<{ invitationId: string; n: number }>(
    server.dataSource,
    `SELECT "invitationId", COUNT(*) AS "n" FROM "notification"
     WHERE "kind" = 'INVITATION_REMINDER' GROUP BY "invitationId"`,
  );
  return new Map(rows.map((r) => [r.invitationId, Number(r.n)]));
}

describe("automatic reminders", () => {
  it("reminds the recipient once after 7 days pending, not before", async () => {
    const { server, clock } = await startJobsServer();
    const { a, b, id } = await pair(server);

    clock.advance(7 * DAY_MS - 1);
    expect(await server.runJobs()).toEqual({ reminders: 0, customReminders: 0, expired: 0 });
    expect(await remindersOf(server, b)).toEqual([]);

    clock.advance(1);
    expect(await server.runJobs()).toEqual({ reminders: 1, customReminders: 0, expired: 0 });
    expect(await remindersOf(server, b)).toEqual([
      {
        kind: "INVITATION_REMINDER",
        message: null,
        actor: { id: a.id },
        invitation: { id, status: "PENDING" },
      },
    ]);
    // The reminder is the recipient's alone.
    expect(await notificationsOf(server, a)).toEqual([]);
    expect(await invitationAs(server, a, id)).toMatchObject({
      status: "PENDING",
      respondedAt: null,
    });

    // Never twice: not on the next run, nor weeks later.
    expect((await server.runJobs()).reminders).toBe(0);
    clock.advance(30 * DAY_MS);
    expect((await server.runJobs()).reminders).toBe(0);
    expect(await remindersOf(server, b)).toHaveLength(1);
  });

  it("never reminds of ignored, filtered, reported, withdrawn, declined, accepted or blocked ones", async () => {
    const { server, clock } = await startJobsServer();
    const a = await signUp(server);
    const ignored = await pair(server, a);
    ok(await act(server, ignored.b, "ignoreInvitation", ignored.id));

    const filteredTo = await signUp(server);
    await updateSettings(server, filteredTo, { whoCanInvite: "SECOND_DEGREE" });
    const filteredId = await inviteOk(server, a, filteredTo.id);
    expect((await storedInvitation(server, filteredId)).status).toBe("FILTERED");

    const reported = await pair(server, a);
    expect(await reportInvitation(server, reported.b, reported.id)).toBe(true);
    const withdrawn = await pair(server, a);
    ok(await act(server, a, "withdrawInvitation", withdrawn.id));
    const declined = await pair(server, a);
    ok(await act(server, declined.b, "declineInvitation", declined.id));
    const accepted = await pair(server, a);
    ok(await act(server, accepted.b, "acceptInvitation", accepted.id));
    const blocked = await pair(server, a);
    ok(
      await gql(
        server,
        `mutation ($id: ID!) { blockMember(id: $id) }`,
        { id: a.id },
        blocked.b.token,
      ),
    );
    // One still pending, so the run demonstrably reminds where it should.
    const pending = await pair(server, a);

    clock.advance(8 * DAY_MS);
    expect((await server.runJobs()).reminders).toBe(1);
    expect([...(await reminderRowsPerInvitation(server))]).toEqual([[pending.id, 1]]);
    for (const b of [ignored.b, filteredTo, reported.b, withdrawn.b, declined.b, accepted.b]) {
      expect(await remindersOf(server, b)).toEqual([]);
    }
    expect(await remindersOf(server, pending.b)).toHaveLength(1);
  });

  it("sends none while the recipient has reminders off", async () => {
    const { server, clock } = await startJobsServer();
    const { b, id } = await pair(server);
    const other = await pair(server);
    expect(await updateSettings(server, b, { reminders: false })).toMatchObject({
      reminders: false,
    });

    clock.advance(8 * DAY_MS);
    expect((await server.runJobs()).reminders).toBe(1); // only `other`'s recipient
    expect(await remindersOf(server, b)).toEqual([]);
    expect(await remindersOf(server, other.b)).toHaveLength(1);
    expect((await storedInvitation(server, id)).remindedAt).toBeNull();

    // Nothing was marked: turned on again, the still-pending invitation gets its one reminder.
    await updateSettings(server, b, { reminders: true });
    expect((await server.runJobs()).reminders).toBe(1);
    expect(await remindersOf(server, b)).toHaveLength(1);
    expect((await server.runJobs()).reminders).toBe(0);
  });

  it("is pushed live on notificationAdded to the recipient, and nothing reaches the sender", async () => {
    const { server, clock } = await startJobsServer();
    const { a, b, id } = await pair(server);
    const recipientSub = await subscribe(server, b.token, NOTIFICATION_ADDED);
    const fromSender = await senderSubs(server, a);

    clock.advance(7 * DAY_MS);
    expect((await server.runJobs()).reminders).toBe(1);
    expect(await recipientSub.next()).toEqual({
      kind: "INVITATION_REMINDER",
      message: null,
      actor: { id: a.id },
      invitation: { id, status: "PENDING" },
    });
    await Promise.all(fromSender.map((s) => s.expectNone()));
    await recipientSub.expectNone();
  });
});

describe("setInvitationReminder", () => {
  it("reminds at the time asked for, once; setting it again moves it", async () => {
    const { server, clock } = await startJobsServer();
    const { a, b, id } = await pair(server);
    const fromSender = await senderSubs(server, a);
    const asSenderBefore = await invitationAs(server, a, id);
    const t0 = clock.now().getTime();

    const first = ok(await setReminder(server, b, id, new Date(t0 + 2 * DAY_MS)));
    expect(first.setInvitationReminder).toEqual({
      id,
      status: "PENDING",
      respondedAt: null,
      responseMessage: null,
      sender: { id: a.id },
      recipient: { id: b.id },
    });
    // One per invitation: the second call replaces the time.
    ok(await setReminder(server, b, id, new Date(t0 + 3 * DAY_MS)));
    expect((await storedInvitation(server, id)).remindAt).not.toBeNull();

    clock.set(new Date(t0 + 2 * DAY_MS));
    expect((await server.runJobs()).customReminders).toBe(0);
    clock.set(new Date(t0 + 3 * DAY_MS - 1));
    expect((await server.runJobs()).customReminders).toBe(0);
    expect(await remindersOf(server, b)).toEqual([]);

    clock.set(new Date(t0 + 3 * DAY_MS));
    expect(await server.runJobs()).toEqual({ reminders: 0, customReminders: 1, expired: 0 });
    expect(await remindersOf(server, b)).toEqual([
      {
        kind: "INVITATION_REMINDER",
        message: null,
        actor: { id: a.id },
        invitation: { id, status: "PENDING" },
      },
    ]);
    expect((await storedInvitation(server, id)).remindAt).toBeNull();
    expect((await server.runJobs()).customReminders).toBe(0);

    // The automatic reminder is separate and still comes at 7 days.
    clock.set(new Date(t0 + 7 * DAY_MS));
    expect(await server.runJobs()).toEqual({ reminders: 1, customReminders: 0, expired: 0 });
    expect(await remindersOf(server, b)).toHaveLength(2);

    // The sender saw none of it.
    expect(await invitationAs(server, a, id)).toEqual(asSenderBefore);
    expect(await notificationsOf(server, a)).toEqual([]);
    await Promise.all(fromSender.map((s) => s.expectNone()));
  });

  it("works for ignored, filtered and reported invitations, and with reminders off", async () => {
    const { server, clock } = await startJobsServer();
    const a = await signUp(server);
    const ignored = await pair(server, a);
    ok(await act(server, ignored.b, "ignoreInvitation", ignored.id));
    const reported = await pair(server, a);
    await reportInvitation(server, reported.b, reported.id);
    const filteredTo = await signUp(server);
    await updateSettings(server, filteredTo, { whoCanInvite: "SECOND_DEGREE", reminders: false });
    const filteredId = await inviteOk(server, a, filteredTo.id);
    const at = new Date(clock.now().getTime() + DAY_MS);

    const set = async (b: TestMember, id: string) =>
      ok(await setReminder(server, b, id, at)).setInvitationReminder.status;
    expect(await set(ignored.b, ignored.id)).toBe("IGNORED");
    expect(await set(reported.b, reported.id)).toBe("IGNORED");
    expect(await set(filteredTo, filteredId)).toBe("PENDING");

    clock.set(at);
    expect(await server.runJobs()).toEqual({ reminders: 0, customReminders: 3, expired: 0 });
    for (const [b, id] of [
      [ignored.b, ignored.id],
      [reported.b, reported.id],
      [filteredTo, filteredId],
    ] as const) {
      expect(await remindersOf(server, b)).toEqual([
        expect.objectContaining({
          actor: { id: a.id },
          invitation: expect.objectContaining({ id }),
        }),
      ]);
    }
    // Filtered and ignored ones still get no automatic reminder.
    clock.advance(10 * DAY_MS);
    expect((await server.runJobs()).reminders).toBe(0);
  });

  it("does not fire once the invitation was withdrawn, declined, accepted or expired", async () => {
    const { server, clock } = await startJobsServer();
    const a = await signUp(server);
    const t0 = clock.now().getTime();
    const at = new Date(t0 + 2 * DAY_MS);
    const withdrawn = await pair(server, a);
    const declined = await pair(server, a);
    const accepted = await pair(server, a);
    const expiring = await pair(server, a);
    for (const p of [withdrawn, declined, accepted]) ok(await setReminder(server, p.b, p.id, at));
    // Just before it expires at 180 days.
    ok(await setReminder(server, expiring.b, expiring.id, new Date(t0 + 180 * DAY_MS - 1000)));

    ok(await act(server, a, "withdrawInvitation", withdrawn.id));
    ok(await act(server, declined.b, "declineInvitation", declined.id));
    ok(await act(server, accepted.b, "acceptInvitation", accepted.id));
    clock.set(at);
    expect((await server.runJobs()).customReminders).toBe(0);
    for (const p of [withdrawn, declined, accepted]) {
      expect(await remindersOf(server, p.b)).toEqual([]);
      expect((await storedInvitation(server, p.id)).remindAt).toBeNull();
    }

    // The clock jumps past both its reminder time and its expiry: it expires, silently.
    const before = await remindersOf(server, expiring.b);
    clock.set(new Date(t0 + 181 * DAY_MS));
    expect(await server.runJobs()).toMatchObject({ customReminders: 0, expired: 1 });
    expect(await remindersOf(server, expiring.b)).toEqual(before);
    expect(await storedInvitation(server, expiring.id)).toMatchObject({
      status: "EXPIRED",
      remindAt: null,
    });
  });

  it("refuses a time that is not in the future or not before the expiry (BAD_USER_INPUT)", async () => {
    const { server, clock } = await startJobsServer();
    const { b, id } = await pair(server);
    const now = clock.now().getTime();
    for (const remindAt of [
      new Date(now),
      new Date(now - 1),
      new Date(now - 3 * DAY_MS),
      new Date(now + 180 * DAY_MS), // the moment it expires
      new Date(now + 400 * DAY_MS),
      "not a date",
    ]) {
      const res = await setReminder(server, b, id, remindAt);
      expect(codeOf(res), String(remindAt)).toBe("BAD_USER_INPUT");
    }
    expect((await storedInvitation(server, id)).remindAt).toBeNull();
    ok(await setReminder(server, b, id, new Date(now + 180 * DAY_MS - 1)));
  });

  it("is NOT_FOUND for ids that are not the viewer's received ones, CONFLICT once answered", async () => {
    const { server, clock } = await startJobsServer();
    const { a, b, id } = await pair(server);
    const stranger = await signUp(server);
    const at = new Date(clock.now().getTime() + DAY_MS);

    const notFound = [
      await setReminder(server, a, id, at), // the sender's own
      await setReminder(server, stranger, id, at),
      await setReminder(server, b, randomUUID(), at),
      await setReminder(server, b, "not-an-id", at),
    ];
    for (const res of notFound) expect(codeOf(res)).toBe("NOT_FOUND");
    expect(new Set(notFound.map(messageOf)).size).toBe(1);

    const unauth = await gql(
      server,
      `mutation ($id: ID!) { setInvitationReminder(id: $id, remindAt: "2040-01-01T00:00:00Z") { id } }`,
      { id },
    );
    expect(codeOf(unauth)).toBe("UNAUTHENTICATED");

    ok(await act(server, b, "declineInvitation", id));
    expect(codeOf(await setReminder(server, b, id, at))).toBe("CONFLICT");
    // Still NOT_FOUND for the sender: the answer never depends on the invitation's state.
    expect(codeOf(await setReminder(server, a, id, at))).toBe("NOT_FOUND");

    const withdrawn = await pair(server, a);
    ok(await act(server, a, "withdrawInvitation", withdrawn.id));
    expect(codeOf(await setReminder(server, withdrawn.b, withdrawn.id, at))).toBe("CONFLICT");

    // A block makes the invitation vanish for both: NOT_FOUND.
    const blocked = await pair(server, a);
    ok(
      await gql(
        server,
        `mutation ($id: ID!) { blockMember(id: $id) }`,
        { id: a.id },
        blocked.b.token,
      ),
    );
    expect(codeOf(await setReminder(server, blocked.b, blocked.id, at))).toBe("NOT_FOUND");
  });
});

describe("setInvitationReminder, then ignore or report", () => {
  /** b's INVITATION_REMINDER notifications, as b lists them. */
  const remindersOfB = async (server: TestServer, b: TestMember) =>
    (await listedNotificationsOf(server, b)).nodes.filter((n) => n.kind === "INVITATION_REMINDER");

  /** a invites b; `remindIn(ms)` is b's setInvitationReminder that far from now. */
  async function setup() {
    const { server, clock } = await startJobsServer(new Date("2031-06-01T08:00:00.000Z"));
    const { a, b, id } = await pair(server);
    const reminders = () => remindersOfB(server, b);
    const remindIn = (ms: number) =>
      setReminder(server, b, id, new Date(clock.now().getTime() + ms));
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

  it("a reminder set before reporting does not fire either", async () => {
    const { clock, server, b, id, reminders, remindIn } = await setup();
    ok(await remindIn(DAY_MS));
    await reportInvitation(server, b, id);
    clock.advance(2 * DAY_MS);
    expect((await server.runJobs()).customReminders).toBe(0);
    expect(await reminders()).toEqual([]);
  });
});

describe("expiry", () => {
  it("expires pending, ignored, filtered and reported invitations at 180 days, silently", async () => {
    const { server, clock } = await startJobsServer();
    const a = await signUp(server);
    const pending = await pair(server, a);
    const ignored = await pair(server, a);
    ok(await act(server, ignored.b, "ignoreInvitation", ignored.id));
    const reported = await pair(server, a);
    await reportInvitation(server, reported.b, reported.id);
    const filteredTo = await signUp(server);
    await updateSettings(server, filteredTo, { whoCanInvite: "SECOND_DEGREE" });
    const filteredId = await inviteOk(server, a, filteredTo.id);
    const declined = await pair(server, a);
    ok(await act(server, declined.b, "declineInvitation", declined.id, "No thanks"));
    const accepted = await pair(server, a);
    ok(await act(server, accepted.b, "acceptInvitation", accepted.id));
    const t0 = clock.now().getTime();

    // The pending one's automatic reminder goes out at 7 days, before anyone listens.
    clock.set(new Date(t0 + 8 * DAY_MS));
    expect((await server.runJobs()).reminders).toBe(1);

    const fromSender = await senderSubs(server, a);
    const recipients = [pending.b, ignored.b, reported.b, filteredTo];
    const recipientSubs: Sub[] = [];
    for (const b of recipients)
      recipientSubs.push(await subscribe(server, b.token, NOTIFICATION_ADDED));
    const rowsBefore = await notificationRowCount(server);

    clock.set(new Date(t0 + 180 * DAY_MS - 1));
    expect(await server.runJobs()).toEqual({ reminders: 0, customReminders: 0, expired: 0 });
    clock.set(new Date(t0 + 180 * DAY_MS));
    expect(await server.runJobs()).toEqual({ reminders: 0, customReminders: 0, expired: 4 });
    const expiredAt = clock.now().toISOString();

    // Silent to both sides: nothing stored, nothing pushed.
    expect(await notificationRowCount(server)).toBe(rowsBefore);
    await Promise.all([...fromSender, ...recipientSubs].map((s) => s.expectNone()));

    // To the sender all four look the same (an ignore or a report is never revealed).
    const expired = { status: "EXPIRED", respondedAt: expiredAt, responseMessage: null };
    for (const id of [pending.id, ignored.id, reported.id, filteredId]) {
      expect(await invitationAs(server, a, id)).toMatchObject(expired);
    }
    expect(await invitationAs(server, pending.b, pending.id)).toMatchObject(expired);
    expect(await invitationAs(server, ignored.b, ignored.id)).toMatchObject(expired);
    expect(await invitationAs(server, declined.b, declined.id)).toMatchObject({
      status: "DECLINED",
      responseMessage: "No thanks",
    });
    expect(await invitationAs(server, accepted.b, accepted.id)).toMatchObject({
      status: "ACCEPTED",
    });

    const sent = async (status: string) =>
      ok(await gql(server, SENT, { status }, a.token)).sentInvitations.totalCount;
    expect(await sent("PENDING")).toBe(0);
    expect(await sent("EXPIRED")).toBe(4);
    const received = async (b: TestMember, status: string) =>
      ok(await gql(server, RECEIVED, { filter: { status } }, b.token)).receivedInvitations
        .totalCount;
    expect(await received(pending.b, "PENDING")).toBe(0);
    expect(await received(ignored.b, "IGNORED")).toBe(0);
    expect(await received(filteredTo, "FILTERED")).toBe(0);

    // Idempotent: a later run changes nothing.
    clock.advance(DAY_MS);
    expect(await server.runJobs()).toEqual({ reminders: 0, customReminders: 0, expired: 0 });
    expect(await invitationAs(server, a, pending.id)).toMatchObject(expired);
  });

  it("lets the same sender invite again at once", async () => {
    const { server, clock } = await startJobsServer();
    const a = await signUp(server);
    const pending = await pair(server, a);
    const ignored = await pair(server, a);
    ok(await act(server, ignored.b, "ignoreInvitation", ignored.id));

    clock.advance(180 * DAY_MS);
    expect((await server.runJobs()).expired).toBe(2);
    // The sender invites the one who ignored theirs again: no cooldown, no conflict.
    const again = ok(
      await gql(server, SEND_AGAIN, { input: { recipientId: ignored.b.id } }, a.token),
    );
    expect(again.sendInvitation.connected).toBe(false);
    expect(again.sendInvitation.invitation.id).not.toBe(ignored.id);
    expect(again.sendInvitation.invitation.status).toBe("PENDING");
    // The other recipient invites the sender: a new invitation, not a crossing with the old one.
    const back = ok(
      await gql(server, SEND_AGAIN, { input: { recipientId: a.id } }, pending.b.token),
    );
    expect(back.sendInvitation.connected).toBe(false);
    expect(back.sendInvitation.invitation.status).toBe("PENDING");
    expect(await invitationAs(server, a, pending.id)).toMatchObject({ status: "EXPIRED" });
  });
});

const SEND_AGAIN = `mutation ($input: SendInvitationInput!) {
  sendInvitation(input: $input) { connected invitation { id status } }
}`;

describe("two runs at once", () => {
  it("in one process: each reminder once, each expiry once", async () => {
    const { server, clock } = await startJobsServer();
    const ids = await seedBacklog(server, 40, 600, clock.now());
    const t0 = clock.now().getTime();
    // Every recipient also asked for a reminder after 2 days (set in the table: the backlog's
    // members have no tokens).
    await server.dataSource
      .createQueryBuilder()
      .update(InvitationRecord)
      .set({ remindAt: new Date(t0 + 2 * DAY_MS) })
      .where("1 = 1")
      .execute();
    const onceEach = async (perInvitation: number) => {
      const counts = await reminderRowsPerInvitation(server);
      expect(new Set(counts.keys())).toEqual(new Set(ids));
      expect([...counts.values()].every((n) => n === perInvitation)).toBe(true);
    };

    clock.set(new Date(t0 + 2 * DAY_MS));
    const [c1, c2] = await Promise.all([server.runJobs(), server.runJobs()]);
    expect(c1.customReminders + c2.customReminders).toBe(600);
    await onceEach(1);

    clock.set(new Date(t0 + 8 * DAY_MS));
    const [r1, r2] = await Promise.all([server.runJobs(), server.runJobs()]);
    expect(r1.reminders + r2.reminders).toBe(600);
    expect(r1.customReminders + r2.customReminders).toBe(0);
    await onceEach(2);

    clock.set(new Date(t0 + 180 * DAY_MS));
    const [e1, e2] = await Promise.all([server.runJobs(), server.runJobs()]);
    expect(e1.expired + e2.expired).toBe(600);
    await onceEach(2);
  });

  it("`npm run jobs` in another process while the server runs its own: each reminder once", async () => {
    // The child process runs on the system clock, so this server's clock starts 30 days in
    // the past: the backlog is then 8 days old for the server and 30 days old for the child,
    // due for a reminder and far from expiry for both.
    const clock = new ManualClock(new Date(Date.now() - 30 * DAY_MS));
    const server = await startTestServer({ clock, env: { JOBS_INTERVAL_SECONDS: "0" } });
    try {
      const ids = await seedBacklog(server, 40, 600, clock.now());
      const recipient = await signUp(server);
      const sender = await signUp(server);
      const liveId = await inviteOk(server, sender, recipient.id);
      clock.advance(8 * DAY_MS);

      let serverRun: Promise<{ reminders: number }> | undefined;
      const cli = await runJobsCli(server.sqlitePath, () => {
        serverRun = server.runJobs();
      });
      expect(cli.code, cli.stderr).toBe(0);
      expect(serverRun).toBeDefined();
      const fromServer = await serverRun!;
      expect(cli.report!.reminders + fromServer.reminders).toBe(601);
      expect(cli.report!.expired).toBe(0);

      const perInvitation = await reminderRowsPerInvitation(server);
      expect(new Set(perInvitation.keys())).toEqual(new Set([...ids, liveId]));
      expect([...perInvitation.values()].every((n) => n === 1)).toBe(true);
      // The reminder is in the recipient's notifications whichever process sent it.
      expect(await remindersOf(server, recipient)).toHaveLength(1);

      // Run again, in both: nothing left to do.
      const again = await runJobsCli(server.sqlitePath);
      expect(again.code, again.stderr).toBe(0);
      expect(again.report).toEqual({ reminders: 0, customReminders: 0, expired: 0 });
      expect(await server.runJobs()).toEqual({ reminders: 0, customReminders: 0, expired: 0 });
    } finally {
      await server.stop();
    }
  });
});
