import { randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { query, toInt } from "../src/db/sql";
import { act, codeOf, connect, gql, inviteOk, messageOf, ok, signUp } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";
import { connectRaw } from "./helpers/ws";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

const SIGN_UP = `
  mutation ($input: SignUpInput!) {
    signUp(input: $input) { token member { id name email headline employer industry school } }
  }
`;
const LOG_IN = `
  mutation ($email: String!, $password: String!) {
    logIn(email: $email, password: $password) { token member { id name } }
  }
`;
const VIEWER = `query { viewer { id name email degree } }`;
const MEMBER = `
  query ($id: ID!) {
    member(id: $id) { id name email degree connections { totalCount edges { node { id } } } }
  }
`;

async function memberCount(): Promise<number> {
  const [row] = await query<{ n: unknown }>(
    server.dataSource,
    `SELECT COUNT(*) AS "n" FROM "member"`,
  );
  return toInt(row.n);
}

function uniqueEmail(): string {
  return `someone-${randomUUID().slice(0, 8)}@example.com`;
}

describe("signUp and logIn", () => {
  it("signs up, returns a token that works on viewer, and logs in again", async () => {
    const email = uniqueEmail();
    const input = {
      name: "Ada Lovelace",
      email,
      password: "analytical engine",
      headline: "Programmer",
      employer: "Babbage & Co",
      industry: "Computing",
      school: "Home",
    };
    const res = await gql(server, SIGN_UP, { input });
    const { signUp: payload } = ok(res);
    expect(payload.token).toEqual(expect.any(String));
    expect(payload.member).toMatchObject({
      name: "Ada Lovelace",
      headline: "Programmer",
      employer: "Babbage & Co",
      industry: "Computing",
      school: "Home",
    });

    const viewer = ok(await gql(server, VIEWER, {}, payload.token)).viewer;
    expect(viewer).toEqual({ id: payload.member.id, name: "Ada Lovelace", email, degree: "SELF" });

    const login = ok(await gql(server, LOG_IN, { email, password: "analytical engine" })).logIn;
    expect(login.member).toEqual({ id: payload.member.id, name: "Ada Lovelace" });
    const again = ok(await gql(server, VIEWER, {}, login.token)).viewer;
    expect(again.id).toBe(payload.member.id);
  });

  it("rejects a duplicate sign-up with CONFLICT, whatever the email's case", async () => {
    const first = await signUp(server, { email: uniqueEmail() });
    const before = await memberCount();

    const same = await gql(server, SIGN_UP, {
      input: { name: "Copy", email: first.email, password: "another password" },
    });
    expect(codeOf(same)).toBe("CONFLICT");

    const upper = await gql(server, SIGN_UP, {
      input: { name: "Copy", email: first.email.toUpperCase(), password: "another password" },
    });
    expect(codeOf(upper)).toBe("CONFLICT");
    expect(await memberCount()).toBe(before);
  });

  it("answers a wrong password and an unknown email with the same UNAUTHENTICATED error", async () => {
    const member = await signUp(server);
    const wrongPassword = await gql(server, LOG_IN, {
      email: member.email,
      password: "not the password",
    });
    const unknownEmail = await gql(server, LOG_IN, {
      email: uniqueEmail(),
      password: "not the password",
    });
    expect(codeOf(wrongPassword)).toBe("UNAUTHENTICATED");
    expect(codeOf(unknownEmail)).toBe("UNAUTHENTICATED");
    expect(messageOf(wrongPassword)).toBe(messageOf(unknownEmail));
    expect(wrongPassword.data).toEqual(unknownEmail.data);
  });

  const invalid: Array<[string, Record<string, string>]> = [
    ["a malformed email", { email: "not-an-email" }],
    ["an email without a domain", { email: "someone@" }],
    ["an empty name", { name: "" }],
    ["a name of only spaces", { name: "   " }],
    ["a 101-character name", { name: "x".repeat(101) }],
    ["a 7-character password", { password: "1234567" }],
  ];
  for (const [what, override] of invalid) {
    it(`rejects ${what} with BAD_USER_INPUT and writes nothing`, async () => {
      const before = await memberCount();
      const input = {
        name: "Valid Name",
        email: uniqueEmail(),
        password: "long enough",
        ...override,
      };
      const res = await gql(server, SIGN_UP, { input });
      expect(res.status).toBeLessThan(500);
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(await memberCount()).toBe(before);
    });
  }

  it("accepts the boundaries: a 100-character name and an 8-character password", async () => {
    const res = await gql(server, SIGN_UP, {
      input: { name: "y".repeat(100), email: uniqueEmail(), password: "12345678" },
    });
    expect(ok(res).signUp.member.name).toBe("y".repeat(100));
  });
});

describe("who holds a token, from memory", () => {
  it("a member's writes do not make their next request look them up again", async () => {
    const [a, b] = [await signUp(server), await signUp(server)];
    // Uncached (a response cache hit would run no statement at all).
    const viewer = async (member: { token: string }) => {
      const before = server.queryCount();
      const res = await fetch(server.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "cache-control": "no-cache",
          authorization: `Bearer ${member.token}`,
        },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      });
      expect(res.status).toBe(200);
      return server.queryCount() - before;
    };
    await viewer(b);
    const quiet = await viewer(b);
    // The invitation changes b's reads (and their response cache version), not who b is.
    const id = await inviteOk(server, a, b.id);
    expect(await viewer(b)).toBe(quiet);
    ok(await act(server, b, "declineInvitation", id));
    expect(await viewer(b)).toBe(quiet);
  });
});

describe("authentication is required", () => {
  const someId = randomUUID();
  // The core queries and mutations; signUp, logIn and viewer answer without a token.
  const operations: Array<[string, string, object]> = [
    ["member", `query ($id: ID!) { member(id: $id) { id } }`, { id: someId }],
    ["invitation", `query ($id: ID!) { invitation(id: $id) { id } }`, { id: someId }],
    ["receivedInvitations", `query { receivedInvitations { totalCount } }`, {}],
    ["sentInvitations", `query { sentInvitations { totalCount } }`, {}],
    ["connections", `query { connections { totalCount } }`, {}],
    ["notifications", `query { notifications { totalCount } }`, {}],
    ["blockedMembers", `query { blockedMembers { id } }`, {}],
    [
      "sendInvitation",
      `mutation ($id: ID!) { sendInvitation(input: { recipientId: $id }) { connected } }`,
      { id: someId },
    ],
    [
      "acceptInvitation",
      `mutation ($id: ID!) { acceptInvitation(id: $id) { id } }`,
      { id: someId },
    ],
    [
      "ignoreInvitation",
      `mutation ($id: ID!) { ignoreInvitation(id: $id) { id } }`,
      { id: someId },
    ],
    [
      "declineInvitation",
      `mutation ($id: ID!) { declineInvitation(id: $id) { id } }`,
      { id: someId },
    ],
    [
      "withdrawInvitation",
      `mutation ($id: ID!) { withdrawInvitation(id: $id) { id } }`,
      { id: someId },
    ],
    [
      "reportInvitation",
      `mutation ($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`,
      { id: someId },
    ],
    ["blockMember", `mutation ($id: ID!) { blockMember(id: $id) }`, { id: someId }],
    ["unblockMember", `mutation ($id: ID!) { unblockMember(id: $id) }`, { id: someId }],
    ["removeConnection", `mutation ($id: ID!) { removeConnection(memberId: $id) }`, { id: someId }],
    [
      "markNotificationsRead",
      `mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`,
      { ids: [someId] },
    ],
  ];

  it("gives viewer null without a token, and no error", async () => {
    const res = await gql(server, VIEWER);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ viewer: null });
  });

  for (const [name, query, variables] of operations) {
    it(`answers ${name} without a token with UNAUTHENTICATED`, async () => {
      const res = await gql(server, query, variables);
      expect(res.status).toBeLessThan(500);
      expect(codeOf(res)).toBe("UNAUTHENTICATED");
    });
  }

  it("changes nothing when a mutation is refused for want of a token", async () => {
    const a = await signUp(server);
    const b = await signUp(server);
    const id = await inviteOk(server, a, b.id, "hello");
    const res = await gql(server, `mutation ($id: ID!) { acceptInvitation(id: $id) { id } }`, {
      id,
    });
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
    const seen = ok(
      await gql(server, `query ($id: ID!) { invitation(id: $id) { status } }`, { id }, a.token),
    );
    expect(seen.invitation.status).toBe("PENDING");
  });

  const garbage = ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"];
  for (const token of garbage) {
    it(`answers a garbage Bearer token (${token.slice(0, 12)}) with UNAUTHENTICATED, even on viewer`, async () => {
      const viewer = await gql(server, VIEWER, {}, token);
      expect(viewer.status).toBeLessThan(500);
      expect(codeOf(viewer)).toBe("UNAUTHENTICATED");
      const list = await gql(server, `query { receivedInvitations { totalCount } }`, {}, token);
      expect(codeOf(list)).toBe("UNAUTHENTICATED");
    });
  }

  it("answers a token signed with another secret with UNAUTHENTICATED", async () => {
    // A well-formed HS256 JWT for a real member id, signed with the wrong secret.
    const member = await signUp(server);
    const [header, payload] = member.token.split(".");
    const forged = `${header}.${payload}.${Buffer.from("wrong signature").toString("base64url")}`;
    const res = await gql(server, VIEWER, {}, forged);
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
  });

  it("refuses a correctly signed token without exp, over HTTP and WebSocket", async () => {
    // The server never issues one; accepted, it would never expire.
    const member = await signUp(server);
    const forever = jwt.sign({}, "test-secret", { subject: member.id, algorithm: "HS256" });
    const control = jwt.sign({}, "test-secret", {
      subject: member.id,
      algorithm: "HS256",
      expiresIn: "1h",
    });
    expect(ok(await gql(server, VIEWER, {}, control)).viewer.id).toBe(member.id);
    const res = await gql(server, VIEWER, {}, forever);
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
    expect(res.status).toBe(401);
    expect(await connectRaw(server, { authorization: `Bearer ${forever}` })).toBe(4403);
  });
});

describe("rule 9: email and connections are for self and first-degree connections", () => {
  it("opens with a connection, stays closed to others, and closes again after removeConnection", async () => {
    const a = await signUp(server);
    const b = await signUp(server);
    const c = await signUp(server);

    // Before any connection: only the member themself sees their email.
    const self = ok(await gql(server, MEMBER, { id: a.id }, a.token)).member;
    expect(self.email).toBe(a.email);
    expect(self.degree).toBe("SELF");
    expect(self.connections).toEqual({ totalCount: 0, edges: [] });
    const stranger = ok(await gql(server, MEMBER, { id: a.id }, b.token)).member;
    expect(stranger).toMatchObject({ id: a.id, email: null, connections: null });
    expect(stranger.degree).toBe("THIRD_PLUS");

    // A pending invitation opens nothing.
    const invitationId = await inviteOk(server, a, b.id, "let's connect");
    expect(ok(await gql(server, MEMBER, { id: a.id }, b.token)).member.email).toBeNull();
    expect(ok(await gql(server, MEMBER, { id: b.id }, a.token)).member.email).toBeNull();

    ok(await act(server, b, "acceptInvitation", invitationId));
    const bSeenByA = ok(await gql(server, MEMBER, { id: b.id }, a.token)).member;
    expect(bSeenByA).toMatchObject({ email: b.email, degree: "FIRST" });
    expect(bSeenByA.connections.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([
      a.id,
    ]);
    const aSeenByB = ok(await gql(server, MEMBER, { id: a.id }, b.token)).member;
    expect(aSeenByB).toMatchObject({ email: a.email, degree: "FIRST" });

    // C is connected to B only: A is second degree to C and stays closed.
    await connect(server, c, b);
    const aSeenByC = ok(await gql(server, MEMBER, { id: a.id }, c.token)).member;
    expect(aSeenByC).toMatchObject({ email: null, connections: null, degree: "SECOND" });
    const cSeenByA = ok(await gql(server, MEMBER, { id: c.id }, a.token)).member;
    expect(cSeenByA).toMatchObject({ email: null, connections: null, degree: "SECOND" });

    // Ending the connection closes both profiles at once.
    const removed = await gql(
      server,
      `mutation ($id: ID!) { removeConnection(memberId: $id) }`,
      { id: b.id },
      a.token,
    );
    expect(ok(removed).removeConnection).toBe(true);
    const bAfter = ok(await gql(server, MEMBER, { id: b.id }, a.token)).member;
    expect(bAfter).toMatchObject({ email: null, connections: null });
    expect(bAfter.degree).not.toBe("FIRST");
    const aAfter = ok(await gql(server, MEMBER, { id: a.id }, b.token)).member;
    expect(aAfter).toMatchObject({ email: null, connections: null });
    expect(aAfter.degree).not.toBe("FIRST");

    // B and C remain connected and still see each other's email.
    const cSeenByB = ok(await gql(server, MEMBER, { id: c.id }, b.token)).member;
    expect(cSeenByB.email).toBe(c.email);
  });
});
