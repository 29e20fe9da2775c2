/**
 * deleteAccount and accountExport (docs/api.md, "Your account"): what a deletion removes and
 * keeps, that the member's tokens die at once on HTTP and WebSocket (on another instance too),
 * the weekly cap after a send to a member who blocked the sender or deleted their account, and
 * the export's shape. The privacy of both (a deleted member = a blocker = never existed; the
 * export hides what the lists hide) is proved differentially in privacy-differential.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { query } from "../src/db/sql";
import { AccountExportDocument, DeleteAccountDocument } from "./generated/graphql";
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
  type TestMember,
} from "./helpers/http";
import { NOTIFICATION_ADDED, notificationsOf } from "./helpers/notifications";
import { searchPage } from "./helpers/people";
import { ON_POSTGRES, startTestServer, type TestServer } from "./helpers/server";
import { closeAll, connectRaw, subscribe } from "./helpers/ws";

// The typed documents of test/operations/account.graphql (npm run codegen).
const DELETE = DeleteAccountDocument;
const EXPORT = AccountExportDocument;
const VIEWER = `query { viewer { id } }`;

function deleteAccount(server: TestServer, member: TestMember, password = member.password) {
  return gql(server, DELETE, { password }, member.token);
}

async function logIn(server: TestServer, member: TestMember): Promise<string> {
  const q = `mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`;
  return ok(await gql(server, q, { e: member.email, p: member.password })).logIn.token;
}

const servers: TestServer[] = [];
async function newServer(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer({ env });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await closeAll();
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe("deleteAccount", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await newServer();
  });

  it("refuses a wrong password with UNAUTHENTICATED and deletes nothing", async () => {
    const member = await signUp(server);
    const res = await deleteAccount(server, member, "not the password");
    expect(res.status).toBe(200);
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
    expect(messageOf(res)).toBe("Wrong password.");
    expect(ok(await gql(server, VIEWER, {}, member.token)).viewer.id).toBe(member.id);
  });

  it("needs a token", async () => {
    const res = await gql(server, DELETE, { password: "whatever it is" });
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
  });

  it("refuses every token of the member at once (401), and frees the email", async () => {
    const member = await signUp(server);
    const other = await logIn(server, member);
    // Both tokens known to the server before.
    ok(await gql(server, VIEWER, {}, member.token));
    ok(await gql(server, VIEWER, {}, other));
    expect(ok(await deleteAccount(server, member)).deleteAccount).toBe(true);
    for (const token of [member.token, other]) {
      const res = await gql(server, VIEWER, {}, token);
      expect(res.status).toBe(401);
      expect(codeOf(res)).toBe("UNAUTHENTICATED");
      expect(res.data).toBeNull();
    }
    const again = await gql(server, DELETE, { password: member.password }, other);
    expect(again.status).toBe(401);
    // Logging in answers as for an email never registered; signing up again works.
    const login = `mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`;
    const res = await gql(server, login, { e: member.email, p: member.password });
    expect([codeOf(res), messageOf(res)]).toEqual(["UNAUTHENTICATED", "Wrong email or password."]);
    const reborn = await signUp(server, { email: member.email, name: member.name });
    expect(reborn.id).not.toBe(member.id);
  });

  it("removes every row of the member; others keep only the numbers of their notifications", async () => {
    const [gone, ada, bob, cy] = [
      await signUp(server, { name: "Gone Member" }),
      await signUp(server),
      await signUp(server),
      await signUp(server),
    ];
    await connect(server, ada, gone); // ada: INVITATION_ACCEPTED by gone
    const declined = await inviteOk(server, bob, gone.id);
    ok(await act(server, gone, "declineInvitation", declined, "No")); // bob: INVITATION_DECLINED
    await inviteOk(server, gone, cy.id, "Hi"); // cy: INVITATION_RECEIVED
    ok(
      await gql(server, `mutation ($id: ID!) { blockMember(id: $id) }`, { id: bob.id }, gone.token),
    );
    const report = `mutation ($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`;
    const fromCy = await inviteOk(server, cy, ada.id);
    ok(await gql(server, report, { id: fromCy }, ada.token)); // unrelated: stays
    const seqsBefore = await seqs(server, [ada, bob, cy]);

    expect(ok(await deleteAccount(server, gone)).deleteAccount).toBe(true);

    const rows = await query<{ t: string; n: unknown }>(
      server.dataSource,
      `SELECT 'member' AS "t", COUNT(*) AS "n" FROM "member" WHERE "id" = :id
       UNION ALL SELECT 'invitation', COUNT(*) FROM "invitation" WHERE "senderId" = :id OR "recipientId" = :id
       UNION ALL SELECT 'connection', COUNT(*) FROM "connection" WHERE "memberId" = :id OR "otherId" = :id
       UNION ALL SELECT 'block', COUNT(*) FROM "block" WHERE "blockerId" = :id OR "blockedId" = :id
       UNION ALL SELECT 'report', COUNT(*) FROM "report" WHERE "reporterId" = :id OR "senderId" = :id
       UNION ALL SELECT 'notification', COUNT(*) FROM "notification" WHERE "recipientId" = :id OR "actorId" = :id`,
      { id: gone.id },
    );
    expect(Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]))).toEqual({
      member: 0,
      invitation: 0,
      connection: 0,
      block: 0,
      report: 0,
      notification: 0,
    });
    // Their notifications about the member are gone from every list and count...
    for (const m of [ada, bob, cy]) {
      const { totalCount, nodes } = await notificationsOf(server, m);
      expect(nodes.filter((n) => n.actor?.id === gone.id)).toEqual([]);
      expect(totalCount).toBe(nodes.length);
    }
    expect((await notificationsOf(server, bob)).totalCount).toBe(0);
    // ... but their numbers stay taken: nothing else of theirs changed.
    expect(await seqs(server, [ada, bob, cy])).toEqual(seqsBefore);
    const erased = await query<{ kind: string; actorId: unknown; message: unknown }>(
      server.dataSource,
      `SELECT "kind", "actorId", "message" FROM "notification" WHERE "recipientId" IN (:...ids)
        AND "kind" = 'ERASED'`,
      { ids: [ada.id, bob.id, cy.id] },
    );
    expect(erased).toHaveLength(3);
    expect(erased.every((n) => n.actorId === null && n.message === null)).toBe(true);
    // The report among the others stays.
    const [left] = await query<{ n: unknown }>(
      server.dataSource,
      `SELECT COUNT(*) AS "n" FROM "report" WHERE "reporterId" = :id`,
      { id: ada.id },
    );
    expect(Number(left.n)).toBe(1);
  });

  it("relies on foreign keys that all cascade, on this engine", async () => {
    // Every table referring to a member, or to a row that goes with one, loses those rows
    // with the member: a new table with a foreign key must cascade too.
    const keys = ON_POSTGRES
      ? await query<{ t: string; ref: string; cascade: boolean }>(
          server.dataSource,
          `SELECT conrelid::regclass::text AS "t", confrelid::regclass::text AS "ref",
             confdeltype = 'c' AS "cascade" FROM pg_constraint WHERE contype = 'f'`,
        )
      : (
          await Promise.all(
            (
              await query<{ name: string }>(
                server.dataSource,
                `SELECT "name" FROM sqlite_master WHERE "type" = 'table'`,
              )
            ).map(async ({ name }) =>
              (
                await query<{ table: string; on_delete: string }>(
                  server.dataSource,
                  `SELECT * FROM pragma_foreign_key_list('${name}')`,
                )
              ).map((k) => ({ t: name, ref: k.table, cascade: k.on_delete === "CASCADE" })),
            ),
          )
        ).flat();
    const strip = (name: string) => name.replace(/"/g, "");
    const refs = keys.map((k) => `${strip(k.t)} -> ${strip(k.ref)}`);
    expect(refs).toEqual(
      expect.arrayContaining([
        "block -> member",
        "connection -> member",
        "invitation -> member",
        "notification -> member",
        "notification -> invitation",
        "report -> member",
        "report -> invitation",
      ]),
    );
    expect(keys.filter((k) => !k.cascade)).toEqual([]);
  });

  it("a client resuming after a notification about the member misses nothing after it", async () => {
    const [gone, ada, witness] = [await signUp(server), await signUp(server), await signUp(server)];
    const id = await inviteOk(server, ada, gone.id);
    ok(await act(server, gone, "acceptInvitation", id, "Hello"));
    // Ada's client holds the cursor of the acceptance, her newest notification.
    const [latest] = (await notificationsOf(server, ada)).nodes;
    expect(latest.actor?.id).toBe(gone.id);
    ok(await deleteAccount(server, gone));
    const later = await inviteOk(server, ada, witness.id);
    ok(await act(server, witness, "declineInvitation", later, "Sorry"));
    const sub = await subscribe(server, ada.token, NOTIFICATION_ADDED, { after: latest.cursor });
    const replayed = await sub.next();
    expect(replayed).toMatchObject({ kind: "INVITATION_DECLINED", invitation: { id: later } });
    await sub.expectNone(200);
  });

  it("ends the member's connections: the counts others share move, at once", async () => {
    const [gone, ada, bob, cy] = [
      await signUp(server, { name: "Mutual Gone" }),
      await signUp(server),
      await signUp(server),
      await signUp(server),
    ];
    await connect(server, ada, gone);
    await connect(server, bob, gone);
    await connect(server, cy, ada);
    const open = await inviteOk(server, ada, bob.id);
    const mutual = `query ($id: ID!) {
      member(id: $id) { mutualConnectionsCount degree }
      receivedInvitations(filter: { relations: [MUTUAL_CONNECTIONS] }) { totalCount edges { node { id } } }
    }`;
    // Read (and cached) before.
    const before = ok(await gql(server, mutual, { id: ada.id }, bob.token));
    expect(before.member).toEqual({ mutualConnectionsCount: 1, degree: "SECOND" });
    expect(before.receivedInvitations.edges).toEqual([{ node: { id: open } }]);
    const seen = `query ($id: ID!) { member(id: $id) { id } connections { totalCount } }`;
    expect(ok(await gql(server, seen, { id: gone.id }, cy.token)).member).toEqual({ id: gone.id });

    ok(await deleteAccount(server, gone));

    const after = ok(await gql(server, mutual, { id: ada.id }, bob.token));
    expect(after.member).toEqual({ mutualConnectionsCount: 0, degree: "THIRD_PLUS" });
    expect(after.receivedInvitations).toEqual({ totalCount: 0, edges: [] });
    // A neighbour's neighbour (cy, connected to ada) reads the change too.
    expect(ok(await gql(server, seen, { id: gone.id }, cy.token)).member).toBeNull();
    const ada2 = ok(await gql(server, `{ connections { totalCount } }`, {}, ada.token));
    expect(ada2.connections.totalCount).toBe(1);
  });

  it("leaves search and suggestions of everyone at once, cached answers included", async () => {
    const [gone, stranger] = [
      await signUp(server, { name: "Zelda Vanishing", employer: "Vanish Co" }),
      await signUp(server, { employer: "Vanish Co" }),
    ];
    const suggested = `{ suggestedMembers { member { id } } }`;
    expect((await searchPage(server, stranger, "Zelda Vanishing")).totalCount).toBe(1);
    expect(ok(await gql(server, suggested, {}, stranger.token)).suggestedMembers).toEqual([
      { member: { id: gone.id } },
    ]);
    ok(await deleteAccount(server, gone));
    expect((await searchPage(server, stranger, "Zelda Vanishing")).totalCount).toBe(0);
    expect(ok(await gql(server, suggested, {}, stranger.token)).suggestedMembers).toEqual([]);
    expect(codeOf(await invite(server, stranger, gone.id))).toBe("NOT_FOUND");
  });
});

describe("a deletion racing what others do around the member", () => {
  it("answers each of them cleanly and leaves every stored count right", async () => {
    const server = await newServer();
    for (let round = 0; round < 4; round++) {
      const gone = await signUp(server);
      const m: TestMember[] = [];
      for (let i = 0; i < 6; i++) m.push(await signUp(server));
      for (const other of [m[0], m[1], m[2], m[4], m[5]]) await connect(server, other, gone);
      const toM3 = await inviteOk(server, gone, m[3].id);
      const among = await inviteOk(server, m[4], m[5].id); // the member is their mutual
      const results = await Promise.all([
        deleteAccount(server, gone),
        invite(server, m[0], gone.id),
        gql(
          server,
          `mutation ($id: ID!) { removeConnection(memberId: $id) }`,
          { id: gone.id },
          m[1].token,
        ),
        gql(server, `mutation ($id: ID!) { blockMember(id: $id) }`, { id: gone.id }, m[2].token),
        act(server, m[3], "acceptInvitation", toM3),
        act(server, m[5], "ignoreInvitation", among),
        invite(server, m[0], m[5].id),
      ]);
      expect(ok(results[0]).deleteAccount).toBe(true);
      for (const res of results.slice(1)) {
        expect([undefined, "NOT_FOUND", "CONFLICT"]).toContain(codeOf(res));
      }
      // Every open invitation's stored mutual count equals a recount from the connections.
      const wrong = await query<Record<string, unknown>>(
        server.dataSource,
        `SELECT i."id" FROM "invitation" i WHERE i."status" IN ('PENDING', 'IGNORED', 'FILTERED',
           'REPORTED') AND i."mutualCount" <> (SELECT COUNT(*) FROM "connection" c1
             INNER JOIN "connection" c2 ON c2."otherId" = c1."otherId"
            WHERE c1."memberId" = i."senderId" AND c2."memberId" = i."recipientId")`,
      );
      expect(wrong).toEqual([]);
      const [left] = await query<{ n: unknown }>(
        server.dataSource,
        `SELECT (SELECT COUNT(*) FROM "connection" WHERE "memberId" = :id OR "otherId" = :id)
           + (SELECT COUNT(*) FROM "invitation" WHERE "senderId" = :id OR "recipientId" = :id)
           + (SELECT COUNT(*) FROM "block" WHERE "blockerId" = :id OR "blockedId" = :id) AS "n"`,
        { id: gone.id },
      );
      expect(Number(left.n)).toBe(0);
    }
  }, 60_000);
});

describe("password attempts at deleteAccount (LOGIN_MAX_PER_IP=3)", () => {
  it("count as log-ins of the address, aliases each: 429 past the limit, nothing deleted", async () => {
    const server = await newServer({ LOGIN_MAX_PER_IP: "3" });
    const member = await signUp(server);
    const aliased = `mutation ($p: String!) {
      a: deleteAccount(password: $p) b: deleteAccount(password: $p)
    }`;
    // Boolean! fails the whole mutation at the first wrong password; both aliases counted.
    const twice = await gql(server, aliased, { p: "wrong one" }, member.token);
    expect(twice.errors?.map((e) => e.extensions.code)).toEqual(["UNAUTHENTICATED"]);
    expect(codeOf(await deleteAccount(server, member, "wrong two"))).toBe("UNAUTHENTICATED");
    const refused = await deleteAccount(server, member);
    expect(refused.status).toBe(429);
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(messageOf(refused)).toBe("Too many password attempts; try again later.");
    expect(ok(await gql(server, VIEWER, {}, member.token)).viewer.id).toBe(member.id);
  });
});

describe("a deleted member's sockets", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await newServer();
  });

  it("close with 4403 at once, and the token opens none again", async () => {
    const member = await signUp(server);
    const sub = await subscribe(server, member.token, NOTIFICATION_ADDED);
    ok(await deleteAccount(server, member));
    await expect(sub.next(5_000)).rejects.toThrow(/socket closed 4403/);
    expect(await connectRaw(server, { authorization: `Bearer ${member.token}` })).toBe(4403);
  });
});

describe("another instance on the same data", () => {
  // Two servers on one database: on PostgreSQL they share Redis (the versions and the
  // pubsub), on SQLite one file (the other's commits move the epoch).
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await newServer();
    second = await startTestServer({ sqlitePath: first.sqlitePath });
    servers.push(second);
  });

  it("refuses the token at once over HTTP, though it knew the member", async () => {
    const member = await signUp(first);
    expect(ok(await gql(second, VIEWER, {}, member.token)).viewer.id).toBe(member.id);
    ok(await gql(second, VIEWER, {}, member.token));
    ok(await deleteAccount(first, member));
    expect((await gql(second, VIEWER, {}, member.token)).status).toBe(401);
  });

  it.runIf(ON_POSTGRES)("closes the member's socket there with 4403", async () => {
    const member = await signUp(first);
    const sub = await subscribe(second, member.token, NOTIFICATION_ADDED);
    ok(await deleteAccount(first, member));
    await expect(sub.next(5_000)).rejects.toThrow(/socket closed 4403/);
  });
});

describe("the weekly cap after a send (WEEKLY_INVITATION_LIMIT=2)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await newServer({ WEEKLY_INVITATION_LIMIT: "2" });
  });

  const block = (by: TestMember, id: string) =>
    gql(server, `mutation ($id: ID!) { blockMember(id: $id) }`, { id }, by.token).then(ok);

  it("no longer counts a send to a member who blocked the sender or deleted their account", async () => {
    const sender = await signUp(server);
    const [a, b, c, d] = [
      await signUp(server),
      await signUp(server),
      await signUp(server),
      await signUp(server),
    ];
    await inviteOk(server, sender, a.id);
    await inviteOk(server, sender, b.id);
    expect(codeOf(await invite(server, sender, c.id))).toBe("RATE_LIMITED");
    await block(a, sender.id);
    await inviteOk(server, sender, c.id);
    expect(codeOf(await invite(server, sender, d.id))).toBe("RATE_LIMITED");
    ok(await deleteAccount(server, b));
    await inviteOk(server, sender, d.id);
  });

  it("still counts a send whose recipient the sender blocked", async () => {
    const sender = await signUp(server);
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    await inviteOk(server, sender, a.id);
    await inviteOk(server, sender, b.id);
    await block(sender, a.id);
    await gql(server, `mutation ($id: ID!) { unblockMember(id: $id) }`, { id: a.id }, sender.token);
    expect(codeOf(await invite(server, sender, c.id))).toBe("RATE_LIMITED");
    expect(codeOf(await invite(server, sender, a.id))).toBe("RATE_LIMITED");
  });
});

describe("accountExport", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await newServer();
  });

  it("is the viewer's data as they see it", async () => {
    const [me, friend, sender, ignored, blocked, blocker] = [
      await signUp(server, { name: "Export Me", headline: "Exporter", employer: "Acme" }),
      await signUp(server, { name: "Export Friend" }),
      await signUp(server, { name: "Export Sender" }),
      await signUp(server, { name: "Export Ignored" }),
      await signUp(server, { name: "Export Blocked" }),
      await signUp(server, { name: "Export Blocker" }),
    ];
    await connect(server, me, friend);
    const toIgnored = await inviteOk(server, me, ignored.id, "Please");
    ok(await act(server, ignored, "ignoreInvitation", toIgnored));
    const fromSender = await inviteOk(server, sender, me.id, "Hello me");
    ok(await act(server, me, "ignoreInvitation", fromSender));
    const blockQ = `mutation ($id: ID!) { blockMember(id: $id) }`;
    ok(await gql(server, blockQ, { id: blocked.id }, me.token));
    await inviteOk(server, me, blocker.id);
    ok(await gql(server, blockQ, { id: me.id }, blocker.token));
    const settings = `mutation { updateInvitationSettings(input: { reminders: false }) { reminders } }`;
    ok(await gql(server, settings, {}, me.token));

    const doc = ok(await gql(server, EXPORT, {}, me.token)).accountExport;
    expect(Object.keys(doc).sort()).toEqual([
      "blockedMembers",
      "connections",
      "invitationsReceived",
      "invitationsSent",
      "notifications",
      "profile",
      "settings",
    ]);
    expect(doc.profile).toMatchObject({
      id: me.id,
      name: "Export Me",
      email: me.email,
      headline: "Exporter",
      employer: "Acme",
    });
    expect(Date.parse(doc.profile.createdAt)).not.toBeNaN();
    // The same as invitationSettings.
    const mine = `{ invitationSettings { whoCanInvite notifyOnInvitation reminders pausedUntil
      policy { newAccounts noMutualConnections restrictedSenders outsideNetwork } } }`;
    const settingsNow = ok(await gql(server, mine, {}, me.token)).invitationSettings;
    expect(doc.settings).toEqual(settingsNow);
    expect(doc.settings).toMatchObject({ whoCanInvite: "EVERYONE", reminders: false });
    // Ignored by its recipient: PENDING to me, as in sentInvitations. The blocker's: gone.
    expect(doc.invitationsSent.map((i: { recipient: { id: string } }) => i.recipient.id)).toEqual([
      ignored.id,
      friend.id,
    ]);
    expect(doc.invitationsSent[0]).toMatchObject({
      id: toIgnored,
      status: "PENDING",
      message: "Please",
      respondedAt: null,
      responseMessage: null,
    });
    expect(doc.invitationsSent[1]).toMatchObject({ status: "ACCEPTED" });
    // What I did with one I received is mine to see.
    expect(doc.invitationsReceived).toEqual([
      expect.objectContaining({
        id: fromSender,
        sender: { id: sender.id, name: "Export Sender" },
        status: "IGNORED",
        list: "IGNORED",
        remindAt: null,
      }),
    ]);
    expect(doc.connections).toEqual([
      expect.objectContaining({ id: friend.id, name: "Export Friend", email: friend.email }),
    ]);
    expect(doc.notifications.map((n: { kind: string }) => n.kind)).toEqual([
      "INVITATION_RECEIVED",
      "INVITATION_ACCEPTED",
    ]);
    expect(doc.blockedMembers).toEqual([
      { id: blocked.id, name: "Export Blocked", blockedAt: expect.any(String) },
    ]);
    expect(JSON.stringify(doc)).not.toContain(blocker.id);
    expect(JSON.stringify(doc)).not.toContain("passwordHash");
  });

  it("needs a token", async () => {
    expect(codeOf(await gql(server, EXPORT))).toBe("UNAUTHENTICATED");
  });
});

/** Each member's highest notification number. */
async function seqs(server: TestServer, members: TestMember[]): Promise<number[]> {
  const out: number[] = [];
  for (const m of members) {
    const [row] = await query<{ max: unknown }>(
      server.dataSource,
      `SELECT MAX("seq") AS "max" FROM "notification" WHERE "recipientId" = :id`,
      { id: m.id },
    );
    out.push(Number(row?.max ?? 0));
  }
  return out;
}
