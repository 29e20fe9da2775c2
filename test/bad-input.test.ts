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
import { startTestServer, type TestServer } from "./helpers/server";

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
  await server?.stop();
});

const TABLES: Record<string, string> = {
  member: `SELECT id, name, email, passwordHash, headline FROM member ORDER BY id`,
  invitation: `SELECT id, senderId, recipientId, message, status, respondedAt, responseMessage FROM invitation ORDER BY id`,
  connection: `SELECT memberId, otherId FROM connection ORDER BY memberId, otherId`,
  block: `SELECT blockerId, blockedId FROM block ORDER BY blockerId, blockedId`,
  report: `SELECT id, reporterId, invitationId, reason FROM report ORDER BY id`,
  notification: `SELECT id, recipientId, kind, invitationId, message, read FROM notification ORDER BY id`,
};

async function snapshot(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, sql] of Object.entries(TABLES))
    out[table] = await server.dataSource.query(sql);
  return out;
}

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
