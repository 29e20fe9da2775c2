/**
 * A member who blocked the viewer, and one who deleted their account, must look exactly like an
 * id that never existed, in time too: for each operation the viewer can aim at them, the server
 * runs the same statements in the same order in the three cases (docs/security.md, "Privacy:
 * no oracles"). Statement texts are compared, not their bound values.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

let server: TestServer;
let viewer: TestMember;
let blocker: TestMember;
let deleted: TestMember;
/** The viewer's invitations to the blocker (closed by the block) and to the deleted member. */
let toBlocker: string;
let toDeleted: string;
beforeAll(async () => {
  server = await startTestServer();
  [viewer, blocker, deleted] = [await signUp(server), await signUp(server), await signUp(server)];
  toBlocker = await inviteOk(server, viewer, blocker.id);
  toDeleted = await inviteOk(server, viewer, deleted.id);
  await gql(
    server,
    `mutation ($id: ID!) { blockMember(id: $id) }`,
    { id: viewer.id },
    blocker.token,
  );
  const remove = `mutation ($p: String!) { deleteAccount(password: $p) }`;
  expect(ok(await gql(server, remove, { p: deleted.password }, deleted.token))).toEqual({
    deleteAccount: true,
  });
  // The viewer's token is known to the server from here on (its first use looks the member up).
  await gql(server, `{ viewer { id } }`, {}, viewer.token);
});
afterAll(async () => {
  await server?.stop();
});

/** The statements one request runs (as `as`, the viewer by default), whitespace folded. */
async function statementsOf(
  query: string,
  variables: object,
  as: TestMember = viewer,
): Promise<string[]> {
  const counter = server.app.counter;
  const logQuery = counter.logQuery;
  const seen: string[] = [];
  counter.logQuery = function (this: typeof counter, sql, parameters, runner) {
    // Not the Authenticator's lookup of who holds the token: it depends on that member's own
    // history in this process (when it was last looked up), not on where the send lands.
    if (!/^SELECT 1 AS "row_exists"/.test(sql.trim())) seen.push(sql.replace(/\s+/g, " ").trim());
    return logQuery.call(this, sql, parameters, runner);
  };
  try {
    await fetch(server.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${as.token}`,
        "cache-control": "no-cache",
      },
      body: JSON.stringify({ query, variables }),
    });
  } finally {
    counter.logQuery = logQuery;
  }
  return seen;
}

const OPERATIONS: Record<string, string> = {
  member: `query ($id: ID!) { member(id: $id) { id name degree mutualConnectionsCount } }`,
  sendInvitation: `mutation ($id: ID!) { sendInvitation(input: { recipientId: $id, message: "Hi" }) { connected } }`,
  blockMember: `mutation ($id: ID!) { blockMember(id: $id) }`,
  removeConnection: `mutation ($id: ID!) { removeConnection(memberId: $id) }`,
  invitation: `query ($id: ID!) { invitation(id: $id) { id status } }`,
};

describe("a blocker, a deleted member and an id that never existed cost the same statements", () => {
  for (const [name, query] of Object.entries(OPERATIONS)) {
    it(name, async () => {
      const asBlocker = await statementsOf(query, { id: blocker.id });
      const asDeleted = await statementsOf(query, { id: deleted.id });
      const asNobody = await statementsOf(query, { id: randomUUID() });
      expect(asBlocker.length).toBeGreaterThan(0);
      expect(asBlocker).toEqual(asNobody);
      expect(asDeleted).toEqual(asNobody);
    });
  }

  it("invitation, by the id of one the viewer sent them", async () => {
    const query = OPERATIONS.invitation;
    const asBlocker = await statementsOf(query, { id: toBlocker });
    const asDeleted = await statementsOf(query, { id: toDeleted });
    const asNobody = await statementsOf(query, { id: randomUUID() });
    expect(asBlocker.length).toBeGreaterThan(0);
    expect(asBlocker).toEqual(asNobody);
    expect(asDeleted).toEqual(asNobody);
  });
});

describe("a send costs the same statements wherever it lands", () => {
  // What the recipient chose (settings, policy, pause), whether they reported the sender, and
  // whether the sender is restricted, decide where an invitation lands and whether the
  // recipient is told; none of it may change the work of the sender's request (rules 6, 11, 12).
  const settings = `mutation ($input: InvitationSettingsInput!) { updateInvitationSettings(input: $input) { reminders } }`;
  const worlds: Record<string, object | null> = {
    delivered: null,
    "notifications off": { notifyOnInvitation: false },
    "second degree only": { whoCanInvite: "SECOND_DEGREE" },
    "no mutual: FILTER": { policy: { noMutualConnections: "FILTER" } },
    "no mutual: DISCARD": { policy: { noMutualConnections: "DISCARD" } },
    paused: { pausedUntil: new Date(Date.now() + 86_400_000).toISOString() },
  };

  it("to a recipient in each setting", async () => {
    const logs: Record<string, string[]> = {};
    for (const [name, input] of Object.entries(worlds)) {
      const [sender, recipient] = [await signUp(server), await signUp(server)];
      if (input) ok(await gql(server, settings, { input }, recipient.token));
      logs[name] = await statementsOf(OPERATIONS.sendInvitation, { id: recipient.id }, sender);
    }
    for (const name of Object.keys(worlds)) expect(logs[name]).toEqual(logs.delivered);
  });

  it("from a sender whom the recipient reported, and from one restricted by reports", async () => {
    const report = `mutation ($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`;
    const [plain, reported, target] = [
      await signUp(server),
      await signUp(server),
      await signUp(server),
    ];
    ok(
      await gql(server, report, { id: await inviteOk(server, reported, target.id) }, target.token),
    );
    const [a, b] = [await signUp(server), await signUp(server)];
    const asPlain = await statementsOf(OPERATIONS.sendInvitation, { id: a.id }, plain);
    const asReported = await statementsOf(OPERATIONS.sendInvitation, { id: b.id }, reported);
    expect(asReported).toEqual(asPlain);
  });
});
