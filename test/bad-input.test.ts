import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  act,
  codeOf,
  connect,
  gql,
  invite,
  inviteOk,
  messageOf,
  ok,
  signUp,
  type GqlResult,
  type InvitationAction,
  type TestMember,
} from "./helpers/http";
import { snapshotTables } from "./helpers/db";
import { NOTIFICATION_ADDED } from "./helpers/notifications";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, wsErrors, wsOnce } from "./helpers/ws";

// Bad input gets a clear error, never a 500, and changes nothing: each case compares a
// snapshot of every table before and after.

let server: TestServer;
let a: TestMember; // sent `pending` to b
let b: TestMember;
let c: TestMember; // a stranger to that invitation; connected to d
let d: TestMember;
let pending: string;

beforeAll(async () => {
  server = await startTestServer();
  [a, b, c, d] = [
    await signUp(server),
    await signUp(server),
    await signUp(server),
    await signUp(server),
  ];
  pending = await inviteOk(server, a, b.id, "a note");
  await connect(server, c, d);
});

afterAll(async () => {
  await closeAll();
  await server?.stop();
});

/** Every row of every table, to show that a refused request wrote nothing. */
const snapshot = () => snapshotTables(server);

/** Runs `op`, expects `code` (and no 500), and that the database did not change. */
async function expectRefused(code: string, op: () => Promise<GqlResult>): Promise<GqlResult> {
  const before = await snapshot();
  const res = await op();
  expect(res.status).toBeLessThan(500);
  expect(codeOf(res), JSON.stringify(res.errors)).toBe(code);
  expect(await snapshot()).toEqual(before);
  return res;
}

const INVITATION_ACTIONS: InvitationAction[] = [
  "acceptInvitation",
  "ignoreInvitation",
  "declineInvitation",
  "withdrawInvitation",
];

function report(m: TestMember, id: string) {
  return gql(
    server,
    `mutation ($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`,
    { id },
    m.token,
  );
}

function memberMutation(m: TestMember, field: string, arg: string, id: string) {
  return gql(server, `mutation ($id: ID!) { ${field}(${arg}: $id) }`, { id }, m.token);
}

describe("unknown ids are NOT_FOUND", () => {
  for (const id of [randomUUID(), "not-a-uuid", ""]) {
    const label = JSON.stringify(id);
    for (const action of INVITATION_ACTIONS) {
      it(`${action}(${label})`, async () => {
        await expectRefused("NOT_FOUND", () => act(server, b, action, id));
      });
    }
    it(`reportInvitation(${label})`, async () => {
      await expectRefused("NOT_FOUND", () => report(b, id));
    });
    it(`sendInvitation(recipientId: ${label})`, async () => {
      await expectRefused("NOT_FOUND", () => invite(server, a, id, "hi"));
    });
    for (const [field, arg] of [
      ["blockMember", "id"],
      ["unblockMember", "id"],
      ["removeConnection", "memberId"],
    ]) {
      it(`${field}(${label})`, async () => {
        await expectRefused("NOT_FOUND", () => memberMutation(a, field, arg, id));
      });
    }
    it(`invitation(${label}) and member(${label}) are null`, async () => {
      const res = await gql(
        server,
        `query ($id: ID!) { invitation(id: $id) { id } member(id: $id) { id } }`,
        { id },
        a.token,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ invitation: null, member: null });
    });
  }
});

describe("someone else's invitation is NOT_FOUND, never FORBIDDEN", () => {
  for (const action of INVITATION_ACTIONS) {
    it(`${action} by a stranger, with the message of an unknown id`, async () => {
      const res = await expectRefused("NOT_FOUND", () => act(server, c, action, pending));
      const unknown = await act(server, c, action, randomUUID());
      expect(messageOf(res)).toBe(messageOf(unknown));
    });
  }

  it("reportInvitation by a stranger", async () => {
    await expectRefused("NOT_FOUND", () => report(c, pending));
  });

  it("the stranger cannot see it either", async () => {
    const res = await gql(
      server,
      `query ($id: ID!) { invitation(id: $id) { id } }`,
      { id: pending },
      c.token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.invitation).toBeNull();
  });

  for (const action of ["acceptInvitation", "ignoreInvitation", "declineInvitation"] as const) {
    it(`${action} by the sender of the invitation`, async () => {
      await expectRefused("NOT_FOUND", () => act(server, a, action, pending));
    });
  }

  it("reportInvitation by the sender of the invitation", async () => {
    await expectRefused("NOT_FOUND", () => report(a, pending));
  });

  it("withdrawInvitation by the recipient of the invitation", async () => {
    await expectRefused("NOT_FOUND", () => act(server, b, "withdrawInvitation", pending));
  });
});

describe("invalid values are BAD_USER_INPUT", () => {
  it("inviting yourself", async () => {
    await expectRefused("BAD_USER_INPUT", () => invite(server, a, a.id, "me"));
  });

  it("a note of 301 characters (to someone new)", async () => {
    await expectRefused("BAD_USER_INPUT", () => invite(server, c, b.id, "n".repeat(301)));
  });

  it("a decline message of 501 characters", async () => {
    await expectRefused("BAD_USER_INPUT", () =>
      act(server, b, "declineInvitation", pending, "m".repeat(501)),
    );
  });

  it("an acceptance greeting of 501 characters", async () => {
    await expectRefused("BAD_USER_INPUT", () =>
      act(server, b, "acceptInvitation", pending, "g".repeat(501)),
    );
  });

  it("blocking yourself", async () => {
    await expectRefused("BAD_USER_INPUT", () => memberMutation(a, "blockMember", "id", a.id));
  });

  it("an unknown report reason is refused by the schema, not a 500", async () => {
    const before = await snapshot();
    const res = await gql(
      server,
      `mutation ($id: ID!, $reason: ReportReason!) { reportInvitation(id: $id, reason: $reason) }`,
      { id: pending, reason: "BORED" },
      b.token,
    );
    expect(res.status).toBeLessThan(500);
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(codeOf(res)).not.toBe("INTERNAL_SERVER_ERROR");
    expect(await snapshot()).toEqual(before);
  });

  it("a syntax error is refused, not a 500", async () => {
    const res = await gql(server, `query { viewer { id `, {}, a.token);
    expect(res.status).toBeLessThan(500);
    expect(codeOf(res)).toBe("GRAPHQL_PARSE_FAILED");
  });
});

// NUL in any string argument is BAD_USER_INPUT with HTTP 400, and writes nothing.
describe("U+0000 in a string argument", () => {
  // Members of their own: the viewer has an invitation from the inviter (something to
  // search) and tries to invite the invitee.
  let viewer: TestMember;
  let inviter: TestMember;
  let invitee: TestMember;

  beforeAll(async () => {
    [viewer, inviter, invitee] = [await signUp(server), await signUp(server), await signUp(server)];
    await inviteOk(server, inviter, viewer.id, "hello");
  });

  const CASES: [string, string, () => Record<string, unknown>, () => string | undefined][] = [
    [
      "members(search:)",
      `query ($s: String!) { members(search: $s) { totalCount } }`,
      () => ({ s: "Mem\u0000ber" }),
      () => viewer.token,
    ],
    [
      "sendInvitation message",
      `mutation ($input: SendInvitationInput!) { sendInvitation(input: $input) { connected } }`,
      () => ({ input: { recipientId: invitee.id, message: "hi\u0000there" } }),
      () => viewer.token,
    ],
    [
      "signUp name",
      `mutation ($input: SignUpInput!) { signUp(input: $input) { token } }`,
      () => ({
        input: { name: "Nul\u0000Name", email: "nul-name@example.com", password: "long enough pw" },
      }),
      () => undefined,
    ],
    [
      "logIn email",
      `mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`,
      () => ({ e: `${viewer.email}\u0000`, p: viewer.password }),
      () => undefined,
    ],
    [
      "receivedInvitations(filter: {search:})",
      `query ($s: String) { receivedInvitations(filter: { search: $s }) { totalCount } }`,
      () => ({ s: "Mem\u0000" }),
      () => viewer.token,
    ],
  ];

  it.each(CASES)("%s, as a variable", async (_name, query, vars, token) => {
    const before = await snapshot();
    const res = await gql(server, query, vars(), token());
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(await snapshot()).toEqual(before);
  });

  // The same arguments written inline, with the GraphQL string escape \u0000 in the document:
  // the request body holds no NUL character, the parsed argument does.
  const INLINE: [string, string, () => string | undefined][] = [
    [
      "members(search:)",
      `query { members(search: "Mem\\u0000ber") { totalCount } }`,
      () => viewer.token,
    ],
    [
      "sendInvitation message",
      `mutation { sendInvitation(input: { recipientId: "%ID%", message: "hi\\u0000there" }) { connected } }`,
      () => viewer.token,
    ],
    [
      "signUp name",
      `mutation { signUp(input: { name: "Nul\\u0000Name", email: "nul-inline@example.com", password: "long enough pw" }) { token } }`,
      () => undefined,
    ],
    [
      "logIn email",
      `mutation { logIn(email: "%EMAIL%\\u0000", password: "%PASSWORD%") { token } }`,
      () => undefined,
    ],
    [
      "receivedInvitations(filter: {search:})",
      `query { receivedInvitations(filter: { search: "Mem\\u0000" }) { totalCount } }`,
      () => viewer.token,
    ],
  ];

  it.each(INLINE)("%s, as a GraphQL string escape in the document", async (_name, q, token) => {
    const query = q
      .replace("%ID%", invitee.id)
      .replace("%EMAIL%", viewer.email)
      .replace("%PASSWORD%", viewer.password);
    const before = await snapshot();
    const res = await gql(server, query, {}, token());
    expect(codeOf(res), JSON.stringify(res)).toBe("BAD_USER_INPUT");
    expect(res.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it("over WebSocket: notificationAdded(after:) with a NUL is BAD_USER_INPUT", async () => {
    const o = await wsOnce(server, viewer.token, NOTIFICATION_ADDED, { after: "x\u0000" });
    expect(wsErrors(o).map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});

// Lengths are checked as the columns count them: 100 "❤️" (200 UTF-16 units) is too long.
describe("signUp field lengths with variation selectors", () => {
  const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { member { id name school } } }`;
  const hearts = (n: number) => "❤️".repeat(n);

  it.each(["name", "school"])("%s of 100 ❤️ is BAD_USER_INPUT, not a 500", async (field) => {
    expect(hearts(100)).toHaveLength(200);
    const before = await snapshot();
    const input: Record<string, string> = {
      name: "Heart Person",
      email: `hearts-${field}@example.com`,
      password: "long enough pw",
      [field]: hearts(100),
    };
    const res = await gql(server, SIGN_UP, { input });
    expect(res.status).not.toBe(500);
    expect(codeOf(res), JSON.stringify(res.errors)).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0]?.extensions?.field ?? field).toBe(field);
    expect(await snapshot()).toEqual(before);
  });

  it("50 ❤️ (100 UTF-16 units) still fits and reads back unchanged (control)", async () => {
    const input = {
      name: hearts(50),
      school: hearts(50),
      email: "hearts-ok@example.com",
      password: "long enough pw",
    };
    const data = ok(await gql(server, SIGN_UP, { input }));
    expect(data.signUp.member).toMatchObject({ name: hearts(50), school: hearts(50) });
  });
});

describe("limits at the boundary are accepted", () => {
  // Run last in this file: these do change the database, on purpose.
  it("a note of exactly 300 characters and a decline message of exactly 500", async () => {
    const e = await signUp(server);
    const res = ok(await invite(server, e, a.id, "n".repeat(300))).sendInvitation;
    expect(res.invitation.message).toBe("n".repeat(300));
    const declined = ok(
      await act(server, a, "declineInvitation", res.invitation.id, "m".repeat(500)),
    );
    expect(declined.declineInvitation.responseMessage).toBe("m".repeat(500));
  });

  it("the invitation refused above is still pending, untouched", async () => {
    const res = await gql(
      server,
      `query ($id: ID!) { invitation(id: $id) { status message responseMessage respondedAt } }`,
      { id: pending },
      b.token,
    );
    expect(ok(res).invitation).toEqual({
      status: "PENDING",
      message: "a note",
      responseMessage: null,
      respondedAt: null,
    });
  });
});
