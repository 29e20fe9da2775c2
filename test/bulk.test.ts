import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { query } from "../src/db/sql";
import { act, codeOf, gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { BLOCK, NOTIFICATIONS, send, setSettings, signUpMany, sqlCount } from "./helpers/manager";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe, type Sub } from "./helpers/ws";

// acceptInvitations / ignoreInvitations (docs/inbox.md, "Bulk actions") act on many ids in
// one transaction and say which succeeded; an id that is not the viewer's fails alone
// (NOT_FOUND), one in a state that forbids the action fails alone (CONFLICT), never the whole
// batch.

let server: TestServer;
const clock = new ManualClock(new Date("2035-09-01T08:00:00.000Z"));

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

const BULK_FIELDS = `succeeded { id status respondedAt responseMessage sender { id } recipient { id } } failed { id code message }`;
const ACCEPT_MANY = `mutation ($ids: [ID!]!) { acceptInvitations(ids: $ids) { ${BULK_FIELDS} } }`;
const IGNORE_MANY = `mutation ($ids: [ID!]!) { ignoreInvitations(ids: $ids) { ${BULK_FIELDS} } }`;
const INVITATION = `query ($id: ID!) { invitation(id: $id) { id status respondedAt responseMessage } }`;
const RECEIVED = `
  query ($filter: ReceivedInvitationsFilter) {
    receivedInvitations(filter: $filter, first: 100) { totalCount edges { node { id status } } }
  }
`;

interface Bulk {
  succeeded: Array<{ id: string; status: string; sender: { id: string } }>;
  failed: Array<{ id: string; code: string; message: string }>;
}

const byId = <T extends { id: string }>(list: T[]) =>
  [...list].sort((a, b) => (a.id < b.id ? -1 : 1));

async function degree(viewer: TestMember, other: TestMember): Promise<string> {
  const data = ok(
    await gql(
      server,
      `query ($id: ID!) { member(id: $id) { degree } }`,
      { id: other.id },
      viewer.token,
    ),
  );
  return data.member.degree;
}

async function storedStatus(id: string): Promise<string | undefined> {
  const rows = await query<{ status: string }>(
    server.dataSource,
    `SELECT "status" FROM "invitation" WHERE "id" = :id`,
    { id },
  );
  return rows[0]?.status;
}

async function receivedIds(member: TestMember, status: string): Promise<string[]> {
  const data = ok(await gql(server, RECEIVED, { filter: { status } }, member.token));
  return data.receivedInvitations.edges.map((e: { node: { id: string } }) => e.node.id);
}

/** Subscriptions a sender would see any news of their invitation on. */
async function senderSubs(member: TestMember): Promise<Sub[]> {
  return [
    await subscribe(server, member.token, `subscription { notificationAdded { kind } }`),
    await subscribe(server, member.token, `subscription { invitationAccepted { id status } }`),
    await subscribe(
      server,
      member.token,
      `subscription { invitationDeclined { invitation { id } message } }`,
    ),
  ];
}

describe("acceptInvitations", () => {
  it("accepts the viewer's own, reports the rest one by one, in one call", async () => {
    const viewer = await signUp(server, { name: "Bulk Viewer" });
    const senders = await signUpMany(server, 5, (i) => ({ name: `Bulk Sender ${i}` }));
    const [stranger, strangerSender, withdrawer, target, blocked] = await signUpMany(server, 5);

    const pending = [
      await inviteOk(server, senders[0], viewer.id, "one"),
      await inviteOk(server, senders[1], viewer.id, "two"),
    ];
    const ignored = await inviteOk(server, senders[2], viewer.id);
    ok(await act(server, viewer, "ignoreInvitation", ignored));
    await setSettings(server, viewer, { whoCanInvite: "SECOND_DEGREE" });
    const filtered = ok(await send(server, senders[3], viewer.id)).sendInvitation.invitation.id;
    await setSettings(server, viewer, { whoCanInvite: "EVERYONE" });
    expect(await receivedIds(viewer, "FILTERED")).toEqual([filtered]);
    const alreadyAccepted = await inviteOk(server, senders[4], viewer.id);
    ok(await act(server, viewer, "acceptInvitation", alreadyAccepted));
    const someoneElses = await inviteOk(server, strangerSender, stranger.id);
    const withdrawn = await inviteOk(server, withdrawer, viewer.id);
    ok(await act(server, withdrawer, "withdrawInvitation", withdrawn));
    const ownSent = await inviteOk(server, viewer, target.id);
    const hidden = await inviteOk(server, blocked, viewer.id);
    ok(await gql(server, BLOCK, { id: blocked.id }, viewer.token));
    const unknown = randomUUID();

    const subs = await senderSubs(senders[0]);
    clock.advance(60_000);
    const ids = [
      pending[0],
      someoneElses,
      pending[1],
      unknown,
      pending[0], // a duplicate counts once
      withdrawn,
      ignored,
      "not-a-uuid",
      filtered,
      alreadyAccepted,
      ownSent,
      hidden,
    ];
    const res = ok(await gql(server, ACCEPT_MANY, { ids }, viewer.token)).acceptInvitations as Bulk;

    const ok4 = [pending[0], pending[1], ignored, filtered];
    expect(byId(res.succeeded).map((s) => s.id)).toEqual([...ok4].sort());
    for (const s of res.succeeded) {
      expect(s).toMatchObject({
        status: "ACCEPTED",
        respondedAt: clock.now().toISOString(),
        recipient: { id: viewer.id },
      });
    }
    const failed = Object.fromEntries(res.failed.map((f) => [f.id, f]));
    expect(Object.keys(failed).sort()).toEqual(
      [someoneElses, unknown, withdrawn, "not-a-uuid", alreadyAccepted, ownSent, hidden].sort(),
    );
    expect(res.failed).toHaveLength(7);
    for (const id of [someoneElses, unknown, "not-a-uuid", ownSent, hidden]) {
      expect(failed[id].code, id).toBe("NOT_FOUND");
    }
    // Not yours, blocked away, or never existed: one and the same answer (no oracle).
    expect(
      new Set([someoneElses, unknown, ownSent, hidden].map((id) => failed[id].message)).size,
    ).toBe(1);
    expect(failed[withdrawn].code).toBe("CONFLICT");
    expect(failed[alreadyAccepted].code).toBe("CONFLICT");

    // Connected with each sender whose invitation was accepted; not with the others.
    for (const i of [0, 1, 2, 3]) expect(await degree(viewer, senders[i])).toBe("FIRST");
    expect(await degree(viewer, withdrawer)).not.toBe("FIRST");
    expect(await degree(viewer, target)).not.toBe("FIRST");
    expect(await storedStatus(someoneElses)).toBe("PENDING");
    expect(await storedStatus(ownSent)).toBe("PENDING");
    expect(await storedStatus(withdrawn)).toBe("WITHDRAWN");
    expect(await storedStatus(hidden)).toBe("CLOSED_BY_BLOCK");
    expect(await receivedIds(viewer, "PENDING")).toEqual([]);
    expect(await receivedIds(viewer, "IGNORED")).toEqual([]);
    expect(await receivedIds(viewer, "FILTERED")).toEqual([]);

    // Each sender is told once, stored and live, as for acceptInvitation.
    for (const [i, id] of ok4.entries()) {
      const notes = ok(await gql(server, NOTIFICATIONS, {}, senders[i].token)).notifications;
      const accepted = notes.edges.filter(
        (e: { node: { kind: string } }) => e.node.kind === "INVITATION_ACCEPTED",
      );
      expect(
        accepted.map((e: { node: unknown }) => e.node),
        `sender ${i}`,
      ).toEqual([
        {
          kind: "INVITATION_ACCEPTED",
          message: null,
          actor: { id: viewer.id },
          invitation: { id },
        },
      ]);
      const seen = ok(await gql(server, INVITATION, { id }, senders[i].token)).invitation;
      expect(seen.status).toBe("ACCEPTED");
    }
    const [note, acceptedSub, declinedSub] = subs;
    expect(await note.next()).toEqual({ kind: "INVITATION_ACCEPTED" });
    expect(await acceptedSub.next()).toEqual({ id: pending[0], status: "ACCEPTED" });
    // Only once, though its id was given twice.
    await note.expectNone(300);
    await acceptedSub.expectNone(0);
    await declinedSub.expectNone(0);
    expect(
      await sqlCount(
        server,
        `SELECT COUNT(*) AS "n" FROM "connection" WHERE "memberId" = :memberId AND "otherId" = :otherId`,
        { memberId: viewer.id, otherId: senders[0].id },
      ),
    ).toBe(1);
  });

  it("answers a batch of only failures with all of them, changing nothing", async () => {
    const viewer = await signUp(server);
    const ids = [randomUUID(), randomUUID()];
    const before = await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "connection"`);
    const res = ok(await gql(server, ACCEPT_MANY, { ids }, viewer.token)).acceptInvitations;
    expect(res.succeeded).toEqual([]);
    expect(res.failed.map((f: { code: string }) => f.code)).toEqual(["NOT_FOUND", "NOT_FOUND"]);
    expect(await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "connection"`)).toBe(before);
  });
});

describe("ignoreInvitations", () => {
  it("ignores the viewer's own silently, reports the rest one by one", async () => {
    const viewer = await signUp(server, { name: "Ignoring Viewer" });
    const senders = await signUpMany(server, 3, (i) => ({ name: `Ignored Sender ${i}` }));
    const [stranger, strangerSender, withdrawer, accepter] = await signUpMany(server, 4);
    const ids = [
      await inviteOk(server, senders[0], viewer.id, "a"),
      await inviteOk(server, senders[1], viewer.id, "b"),
      await inviteOk(server, senders[2], viewer.id, "c"),
    ];
    ok(await act(server, viewer, "ignoreInvitation", ids[2])); // ignoring again succeeds
    const someoneElses = await inviteOk(server, strangerSender, stranger.id);
    const withdrawn = await inviteOk(server, withdrawer, viewer.id);
    ok(await act(server, withdrawer, "withdrawInvitation", withdrawn));
    const accepted = await inviteOk(server, accepter, viewer.id);
    ok(await act(server, viewer, "acceptInvitation", accepted));
    const unknown = randomUUID();

    const subs: Sub[] = [];
    for (const s of [...senders, strangerSender]) subs.push(...(await senderSubs(s)));
    const notesBefore = await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "notification"`);

    const res = ok(
      await gql(
        server,
        IGNORE_MANY,
        { ids: [ids[0], ids[1], ids[0], someoneElses, unknown, withdrawn, accepted, ids[2]] },
        viewer.token,
      ),
    ).ignoreInvitations as Bulk;
    expect(byId(res.succeeded).map((s) => s.id)).toEqual([...ids].sort());
    for (const s of res.succeeded) expect(s.status).toBe("IGNORED");
    const failed = Object.fromEntries(res.failed.map((f) => [f.id, f.code]));
    expect(failed).toEqual({
      [someoneElses]: "NOT_FOUND",
      [unknown]: "NOT_FOUND",
      [withdrawn]: "CONFLICT",
      [accepted]: "CONFLICT",
    });
    expect(res.failed).toHaveLength(4);

    // Silent: nothing stored, nothing pushed to anyone.
    for (const sub of subs) await sub.expectNone(subs.indexOf(sub) === 0 ? 400 : 0);
    expect(await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "notification"`)).toBe(notesBefore);

    // The recipient's archive has them; the senders still see them pending.
    expect((await receivedIds(viewer, "IGNORED")).sort()).toEqual([...ids].sort());
    expect(await receivedIds(viewer, "PENDING")).toEqual([]);
    for (const [i, id] of ids.entries()) {
      const seen = ok(await gql(server, INVITATION, { id }, senders[i].token)).invitation;
      expect(seen).toEqual({ id, status: "PENDING", respondedAt: null, responseMessage: null });
    }
    expect(await storedStatus(someoneElses)).toBe("PENDING");

    // Still answerable from the archive, in bulk too.
    const back = ok(await gql(server, ACCEPT_MANY, { ids: [ids[0]] }, viewer.token))
      .acceptInvitations as Bulk;
    expect(back.succeeded.map((s) => s.status)).toEqual(["ACCEPTED"]);
    expect(back.failed).toEqual([]);
  });
});

describe("bulk input checks", () => {
  let viewer: TestMember;

  beforeAll(async () => {
    viewer = await signUp(server);
  });

  for (const [name, query] of [
    ["acceptInvitations", ACCEPT_MANY],
    ["ignoreInvitations", IGNORE_MANY],
  ] as const) {
    it(`${name}: an empty list or more than 100 ids is BAD_USER_INPUT; 100 are fine`, async () => {
      const before = await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "invitation"`);
      expect(codeOf(await gql(server, query, { ids: [] }, viewer.token))).toBe("BAD_USER_INPUT");
      const many = Array.from({ length: 101 }, () => randomUUID());
      const tooMany = await gql(server, query, { ids: many }, viewer.token);
      expect(codeOf(tooMany)).toBe("BAD_USER_INPUT");
      expect(tooMany.data).toBeNull();

      const hundred = ok(await gql(server, query, { ids: many.slice(0, 100) }, viewer.token))[name];
      expect(hundred.succeeded).toEqual([]);
      expect(hundred.failed).toHaveLength(100);
      // Duplicates count once: 101 entries naming 100 ids are 100 ids.
      const withDup = [...many.slice(0, 100), many[0]];
      const dup = ok(await gql(server, query, { ids: withDup }, viewer.token))[name];
      expect(dup.failed).toHaveLength(100);
      expect(await sqlCount(server, `SELECT COUNT(*) AS "n" FROM "invitation"`)).toBe(before);

      expect(codeOf(await gql(server, query, { ids: [randomUUID()] }))).toBe("UNAUTHENTICATED");
    });
  }
});
