import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { act, gql, INVITATION_FIELDS, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { ON_POSTGRES, startTestServer, type TestServer } from "./helpers/server";

// Stop the server, start a new one on the same SQLite file: everything is still there.

let first: TestServer;
let second: TestServer | undefined;
let a: TestMember;
let b: TestMember;
let c: TestMember;
let pendingId: string;
let acceptedId: string;
let declinedId: string;

beforeAll(async () => {
  first = await startTestServer();
  a = await signUp(first, { name: "Ann Durable", headline: "Stays" });
  b = await signUp(first, { name: "Ben Durable" });
  c = await signUp(first, { name: "Cat Durable" });
  pendingId = await inviteOk(first, a, b.id, "Still here after a restart?");
  acceptedId = await inviteOk(first, c, a.id, "Connect?");
  ok(await act(first, a, "acceptInvitation", acceptedId, "Gladly"));
  declinedId = await inviteOk(first, b, c.id);
  ok(await act(first, c, "declineInvitation", declinedId, "No thanks"));
  await first.stop();
  second = await startTestServer({ sqlitePath: first.sqlitePath });
});

afterAll(async () => {
  await second?.stop();
});

const NOTIFICATIONS = `
  query { notifications { totalCount edges { node { kind message actor { id } invitation { id } } } } }
`;

describe("a restart on the same SQLite file", () => {
  it("keeps members: old tokens and passwords still work", async () => {
    const viewer = ok(
      await gql(second!, `query { viewer { id name headline email } }`, {}, a.token),
    );
    expect(viewer.viewer).toEqual({
      id: a.id,
      name: "Ann Durable",
      headline: "Stays",
      email: a.email,
    });
    const login = ok(
      await gql(
        second!,
        `mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { member { id } } }`,
        { e: b.email, p: b.password },
      ),
    );
    expect(login.logIn.member.id).toBe(b.id);
  });

  it("keeps invitations in every state, from both sides", async () => {
    const q = `query ($id: ID!) { invitation(id: $id) { ${INVITATION_FIELDS} } }`;
    const pending = ok(await gql(second!, q, { id: pendingId }, b.token)).invitation;
    expect(pending).toMatchObject({
      status: "PENDING",
      message: "Still here after a restart?",
      sender: { id: a.id },
    });
    const accepted = ok(await gql(second!, q, { id: acceptedId }, c.token)).invitation;
    expect(accepted).toMatchObject({ status: "ACCEPTED", responseMessage: "Gladly" });
    const declined = ok(await gql(second!, q, { id: declinedId }, b.token)).invitation;
    expect(declined).toMatchObject({ status: "DECLINED", responseMessage: "No thanks" });

    const inbox = ok(
      await gql(
        second!,
        `query { receivedInvitations { totalCount edges { node { id } } } }`,
        {},
        b.token,
      ),
    );
    expect(inbox.receivedInvitations).toEqual({
      totalCount: 1,
      edges: [{ node: { id: pendingId } }],
    });
  });

  it("keeps connections", async () => {
    const res = ok(
      await gql(second!, `query { connections { totalCount edges { node { id } } } }`, {}, a.token),
    );
    expect(res.connections).toEqual({ totalCount: 1, edges: [{ node: { id: c.id } }] });
  });

  it("keeps notifications", async () => {
    const forB = ok(await gql(second!, NOTIFICATIONS, {}, b.token)).notifications;
    expect(forB.totalCount).toBe(2);
    const byKind = new Map(
      forB.edges.map((e: { node: { kind: string } }) => [e.node.kind, e.node] as const),
    );
    expect(byKind.get("INVITATION_DECLINED")).toEqual({
      kind: "INVITATION_DECLINED",
      message: "No thanks",
      actor: { id: c.id },
      invitation: { id: declinedId },
    });
    expect(byKind.get("INVITATION_RECEIVED")).toMatchObject({
      actor: { id: a.id },
      invitation: { id: pendingId },
    });
    // C was told A accepted (with the greeting), and received B's invitation.
    const forC = ok(await gql(second!, NOTIFICATIONS, {}, c.token)).notifications;
    expect(forC.totalCount).toBe(2);
    const cKinds = new Map(
      forC.edges.map((e: { node: { kind: string } }) => [e.node.kind, e.node] as const),
    );
    expect(cKinds.get("INVITATION_ACCEPTED")).toEqual({
      kind: "INVITATION_ACCEPTED",
      message: "Gladly",
      actor: { id: a.id },
      invitation: { id: acceptedId },
    });
    expect(cKinds.get("INVITATION_RECEIVED")).toMatchObject({
      actor: { id: b.id },
      invitation: { id: declinedId },
    });
  });

  it("keeps working: a new invitation after the restart", async () => {
    const d = await signUp(second!);
    const id = await inviteOk(second!, d, a.id, "After the restart");
    const res = ok(
      await gql(second!, `query ($id: ID!) { invitation(id: $id) { status } }`, { id }, a.token),
    );
    expect(res.invitation.status).toBe("PENDING");
  });
});

describe("the SQLite settings", () => {
  it.skipIf(ON_POSTGRES)("uses WAL, foreign keys and a busy timeout (SQLite)", async () => {
    const [journal] = await second!.dataSource.query(`PRAGMA journal_mode`);
    expect(String(journal.journal_mode).toLowerCase()).toBe("wal");
    const [fk] = await second!.dataSource.query(`PRAGMA foreign_keys`);
    expect(Number(fk.foreign_keys)).toBe(1);
    const [busy] = await second!.dataSource.query(`PRAGMA busy_timeout`);
    expect(Number(Object.values(busy)[0])).toBeGreaterThan(0);
  });
});

describe("concurrent writes", () => {
  it("serializes many mutations fired at once: all succeed, none lost", async () => {
    const hub = await signUp(second!);
    const others: TestMember[] = [];
    for (let i = 0; i < 15; i++) others.push(await signUp(second!));
    const results = await Promise.all(
      others.map((o, i) => inviteOk(second!, o, hub.id, `hi ${i}`)),
    );
    expect(new Set(results).size).toBe(15);
    const accepted = await Promise.all(
      results.map((id) => act(second!, hub, "acceptInvitation", id)),
    );
    for (const res of accepted) expect(ok(res).acceptInvitation.status).toBe("ACCEPTED");
    const conns = ok(
      await gql(second!, `query { connections(first: 100) { totalCount } }`, {}, hub.token),
    );
    expect(conns.connections.totalCount).toBe(15);
    const notes = ok(
      await gql(second!, `query { notifications(first: 100) { totalCount } }`, {}, hub.token),
    );
    expect(notes.notifications.totalCount).toBe(15);
  });
});
