// Invitation policies and the pause (contract rule 11, docs/inbox.md "Invitation policies"):
// per category of sender, DELIVER, FILTER (the FILTERED list) or DISCARD (no list, no count,
// no notification; expires as usual); a pause sets new invitations aside. The sender sees
// PENDING in every case; the privacy differential (test/privacy-differential.test.ts) compares
// everything the sender can observe across the choices.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { deliveryFor, type Policy, type Recipient } from "../src/invitations/gate";
import { act, codeOf, connect, gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { DAY_MS, NOTIFICATIONS } from "./helpers/manager";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe } from "./helpers/ws";

let server: TestServer;
const clock = new ManualClock(new Date("2035-01-10T09:00:00.000Z"));

beforeAll(async () => {
  server = await startTestServer({ clock, env: { NEW_ACCOUNT_DAYS: "30" } });
});
afterEach(() => closeAll());
afterAll(async () => {
  await closeAll();
  await server?.stop();
});

const SETTINGS = `query { invitationSettings { policy { newAccounts noMutualConnections restrictedSenders outsideNetwork } pausedUntil } }`;
const UPDATE = `
  mutation ($input: InvitationSettingsInput!) {
    updateInvitationSettings(input: $input) {
      policy { newAccounts noMutualConnections restrictedSenders outsideNetwork }
      pausedUntil
    }
  }
`;
const RECEIVED = `
  query ($status: ReceivedStatus) {
    receivedInvitations(filter: { status: $status }) { totalCount edges { node { id } } }
  }
`;
const SENT = `query { sentInvitations { totalCount edges { node { id status } } } }`;
const INVITATION = `query ($id: ID!) { invitation(id: $id) { id status } }`;

async function setPolicy(member: TestMember, input: object): Promise<void> {
  ok(await gql(server, UPDATE, { input }, member.token));
}

/** Where an invitation is for its recipient: the list it is in, or null. */
async function whereFor(recipient: TestMember, id: string): Promise<string | null> {
  for (const status of ["PENDING", "IGNORED", "FILTERED"]) {
    const page = ok(await gql(server, RECEIVED, { status }, recipient.token));
    if (page.receivedInvitations.edges.some((e: { node: { id: string } }) => e.node.id === id)) {
      return status;
    }
  }
  return null;
}

async function receivedCounts(recipient: TestMember): Promise<number[]> {
  const counts: number[] = [];
  for (const status of ["PENDING", "IGNORED", "FILTERED"]) {
    counts.push(
      ok(await gql(server, RECEIVED, { status }, recipient.token)).receivedInvitations.totalCount,
    );
  }
  return counts;
}

async function sentStatus(sender: TestMember, id: string): Promise<string> {
  const sent = ok(await gql(server, SENT, {}, sender.token)).sentInvitations;
  return sent.edges.find((e: { node: { id: string } }) => e.node.id === id).node.status;
}

/** A member whose account is older than NEW_ACCOUNT_DAYS (signed up, then the clock moves). */
async function veterans(n: number): Promise<TestMember[]> {
  const members: TestMember[] = [];
  for (let i = 0; i < n; i++) members.push(await signUp(server, { name: `Veteran ${i}` }));
  clock.advance(31 * DAY_MS);
  return members;
}

describe("invitation policies", () => {
  it("start as DELIVER but restricted senders (FILTER), with no pause", async () => {
    const m = await signUp(server);
    expect(ok(await gql(server, SETTINGS, {}, m.token)).invitationSettings).toEqual({
      policy: {
        newAccounts: "DELIVER",
        noMutualConnections: "DELIVER",
        restrictedSenders: "FILTER",
        outsideNetwork: "DELIVER",
      },
      pausedUntil: null,
    });
    await setPolicy(m, { policy: { newAccounts: "FILTER" } });
    await setPolicy(m, { policy: { outsideNetwork: "DISCARD" } });
    const after = ok(await gql(server, SETTINGS, {}, m.token)).invitationSettings.policy;
    expect(after).toEqual({
      newAccounts: "FILTER",
      noMutualConnections: "DELIVER",
      restrictedSenders: "FILTER",
      outsideNetwork: "DISCARD",
    });
  });

  it("DISCARD: in no list or count, no notification or event; pending to the sender", async () => {
    const [rita, sam] = await veterans(2);
    await setPolicy(rita, { policy: { noMutualConnections: "DISCARD" } });
    const events = await subscribe(
      server,
      rita.token,
      `subscription { invitationReceived { id } }`,
    );
    const id = await inviteOk(server, sam, rita.id, "Hello");
    expect(await sentStatus(sam, id)).toBe("PENDING");
    expect(await whereFor(rita, id)).toBeNull();
    expect(await receivedCounts(rita)).toEqual([0, 0, 0]);
    expect(ok(await gql(server, NOTIFICATIONS, {}, rita.token)).notifications.totalCount).toBe(0);
    await events.expectNone(200);
    // The recipient cannot reach it: null by id, as for any id not theirs; NOT_FOUND to act.
    expect(ok(await gql(server, INVITATION, { id }, rita.token)).invitation).toBeNull();
    for (const action of ["acceptInvitation", "ignoreInvitation", "declineInvitation"] as const) {
      expect([action, codeOf(await act(server, rita, action, id))]).toEqual([action, "NOT_FOUND"]);
    }
    // The sender still has it: a second send is CONFLICT as for any open invitation.
    expect(
      codeOf(
        await gql(
          server,
          `mutation ($id: ID!) { sendInvitation(input: { recipientId: $id }) { connected } }`,
          { id: rita.id },
          sam.token,
        ),
      ),
    ).toBe("CONFLICT");
  });

  it("DISCARD: a crossing invitation from the recipient connects the pair, as for any open one", async () => {
    const [rita, sam] = await veterans(2);
    await setPolicy(rita, { policy: { outsideNetwork: "DISCARD" } });
    const id = await inviteOk(server, sam, rita.id);
    const cross = ok(
      await gql(
        server,
        `mutation ($id: ID!) { sendInvitation(input: { recipientId: $id }) { connected } }`,
        { id: sam.id },
        rita.token,
      ),
    );
    expect(cross.sendInvitation.connected).toBe(true);
    expect(await sentStatus(sam, id)).toBe("ACCEPTED");
  });

  it("DISCARD: expires as usual, and the sender may withdraw it", async () => {
    const [rita, sam, tom] = await veterans(3);
    await setPolicy(rita, { policy: { noMutualConnections: "DISCARD" } });
    const kept = await inviteOk(server, sam, rita.id);
    const withdrawn = await inviteOk(server, tom, rita.id);
    expect(
      ok(await act(server, tom, "withdrawInvitation", withdrawn)).withdrawInvitation.status,
    ).toBe("WITHDRAWN");
    clock.advance(181 * DAY_MS);
    await server.runJobs();
    expect(ok(await gql(server, INVITATION, { id: kept }, sam.token)).invitation.status).toBe(
      "EXPIRED",
    );
  });

  it("FILTER for new accounts: a sender younger than NEW_ACCOUNT_DAYS lands in FILTERED", async () => {
    const [rita] = await veterans(1);
    await setPolicy(rita, { policy: { newAccounts: "FILTER" } });
    const newcomer = await signUp(server);
    const early = await inviteOk(server, newcomer, rita.id);
    expect(await whereFor(rita, early)).toBe("FILTERED");
    ok(await act(server, newcomer, "withdrawInvitation", early));
    clock.advance(31 * DAY_MS);
    // A week after a withdraw the cooldown still runs; another member shows the change.
    const other = await signUp(server);
    clock.advance(31 * DAY_MS);
    const later = await inviteOk(server, other, rita.id);
    expect(await whereFor(rita, later)).toBe("PENDING");
  });

  it("a mutual connection takes a sender out of the no-mutual and outside-network categories", async () => {
    const [rita, sam, friend] = await veterans(3);
    await setPolicy(rita, {
      policy: { noMutualConnections: "DISCARD", outsideNetwork: "DISCARD" },
    });
    await connect(server, rita, friend);
    await connect(server, sam, friend);
    const id = await inviteOk(server, sam, rita.id);
    expect(await whereFor(rita, id)).toBe("PENDING");
  });

  it("the strictest action of the categories that apply wins", async () => {
    const [rita] = await veterans(1);
    await setPolicy(rita, { policy: { newAccounts: "DISCARD", noMutualConnections: "FILTER" } });
    const newcomer = await signUp(server);
    const id = await inviteOk(server, newcomer, rita.id);
    expect(await whereFor(rita, id)).toBeNull();
    expect(await sentStatus(newcomer, id)).toBe("PENDING");
  });
});

describe("pausedUntil", () => {
  it("sets new invitations aside until then, silently; deliveries resume after", async () => {
    const [rita, sam, tom] = await veterans(3);
    const until = new Date(clock.now().getTime() + 3 * DAY_MS);
    const set = ok(
      await gql(server, UPDATE, { input: { pausedUntil: until.toISOString() } }, rita.token),
    );
    expect(set.updateInvitationSettings.pausedUntil).toBe(until.toISOString());
    const notifications = await subscribe(
      server,
      rita.token,
      `subscription { notificationAdded { id } }`,
    );
    const paused = await inviteOk(server, sam, rita.id);
    expect(await sentStatus(sam, paused)).toBe("PENDING");
    expect(await whereFor(rita, paused)).toBe("FILTERED");
    await notifications.expectNone(200);
    clock.advance(3 * DAY_MS + 1000);
    const after = await inviteOk(server, tom, rita.id);
    expect(await whereFor(rita, after)).toBe("PENDING");
    await notifications.next();
  });

  it("is cleared with null, and refuses a time past or more than 365 days ahead", async () => {
    const m = await signUp(server);
    const now = clock.now().getTime();
    const bad = async (at: number) =>
      codeOf(
        await gql(server, UPDATE, { input: { pausedUntil: new Date(at).toISOString() } }, m.token),
      );
    expect(await bad(now - 1000)).toBe("BAD_USER_INPUT");
    expect(await bad(now + 366 * DAY_MS)).toBe("BAD_USER_INPUT");
    ok(
      await gql(
        server,
        UPDATE,
        { input: { pausedUntil: new Date(now + DAY_MS).toISOString() } },
        m.token,
      ),
    );
    // Omitted: unchanged; null: cleared.
    const kept = ok(await gql(server, UPDATE, { input: { reminders: false } }, m.token));
    expect(kept.updateInvitationSettings.pausedUntil).not.toBeNull();
    const cleared = ok(await gql(server, UPDATE, { input: { pausedUntil: null } }, m.token));
    expect(cleared.updateInvitationSettings.pausedUntil).toBeNull();
  });
});

describe("the gate (pure)", () => {
  const policy = (p: Partial<Policy> = {}): Policy => ({
    newAccounts: "DELIVER",
    noMutualConnections: "DELIVER",
    restrictedSenders: "FILTER",
    outsideNetwork: "DELIVER",
    ...p,
  });
  const recipient = (r: Partial<Recipient> = {}): Recipient => ({
    id: "r",
    email: "r@example.com",
    whoCanInvite: "EVERYONE",
    reported: false,
    mutualCount: 1,
    policy: policy(),
    pausedUntil: null,
    ...r,
  });
  const now = new Date("2035-01-01T00:00:00Z");
  const plain = { newAccount: false, restricted: false };

  it("weighs every category and takes the strictest action", () => {
    expect(deliveryFor(recipient(), null, plain, now)).toBe("PENDING");
    expect(deliveryFor(recipient(), null, { ...plain, restricted: true }, now)).toBe("FILTERED");
    const discardRestricted = recipient({ policy: policy({ restrictedSenders: "DISCARD" }) });
    expect(deliveryFor(discardRestricted, null, { ...plain, restricted: true }, now)).toBe(
      "DISCARDED",
    );
    const deliverRestricted = recipient({ policy: policy({ restrictedSenders: "DELIVER" }) });
    expect(deliveryFor(deliverRestricted, null, { ...plain, restricted: true }, now)).toBe(
      "PENDING",
    );
    const noMutual = recipient({ mutualCount: 0, policy: policy({ outsideNetwork: "FILTER" }) });
    expect(deliveryFor(noMutual, null, plain, now)).toBe("FILTERED");
    const newcomers = recipient({ policy: policy({ newAccounts: "DISCARD" }) });
    expect(deliveryFor(newcomers, null, { ...plain, newAccount: true }, now)).toBe("DISCARDED");
    // A report of this sender sets aside at least (a DISCARD policy still wins).
    expect(deliveryFor(recipient({ reported: true }), null, plain, now)).toBe("FILTERED");
    const reportedAndNew = recipient({
      reported: true,
      policy: policy({ newAccounts: "DISCARD" }),
    });
    expect(deliveryFor(reportedAndNew, null, { ...plain, newAccount: true }, now)).toBe(
      "DISCARDED",
    );
  });

  it("pauses until pausedUntil, and EMAIL_REQUIRED without an email is still the one error", () => {
    const paused = recipient({ pausedUntil: new Date(now.getTime() + 1) });
    expect(deliveryFor(paused, null, plain, now)).toBe("FILTERED");
    const over = recipient({ pausedUntil: new Date(now.getTime()) });
    expect(deliveryFor(over, null, plain, now)).toBe("PENDING");
    const strict = recipient({ whoCanInvite: "EMAIL_REQUIRED", pausedUntil: paused.pausedUntil });
    expect(() => deliveryFor(strict, null, plain, now)).toThrow(/email/i);
    expect(deliveryFor(strict, "R@example.com", plain, now)).toBe("FILTERED");
  });
});
