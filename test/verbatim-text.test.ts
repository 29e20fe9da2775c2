import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { query } from "../src/db/sql";
import { snapshotTables } from "./helpers/db";
import { act, gql, invite, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { send } from "./helpers/refusals";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe } from "./helpers/ws";

// Notes, decline messages and greetings full of control characters, HTML, SQL and scripts are
// text like any other: stored byte for byte, returned exactly as given in every answer, list,
// notification and event, and served as JSON, never as something a browser would render.

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await closeAll();
  await server?.stop();
});

describe("notes and messages are stored and returned exactly as given", () => {
  const PAYLOADS: [string, string][] = [
    ["a script tag", `<script>alert("x")</script>`],
    ["an HTML handler and entities", `<img src=x onerror="alert(1)"> &amp; &lt;b&gt; &#x3C;`],
    ["line breaks and tabs inside", "line one\nline two\r\nline three\tafter a tab"],
    [
      "C0 and C1 control characters",
      "bell\u0007 esc\u001b[31mred\u001b[0m del\u007f c1\u0085\u009f end",
    ],
    ["invisible and bidi characters", "zero\u200bwidth \u202eoverride\u202c \u2028\u2029 end"],
    ["astral characters and joiners", "wave 👋🏽 family 👨‍👩‍👧 math 𝔘𝔫𝔦"],
    ["SQL and template syntax", `'; DROP TABLE invitation; -- " \\ /* */ {{7*7}} \${7*7} %s %n`],
    ["right-to-left and CJK text", "قبول 接受 Принять"],
  ];

  let hubs: { decliner: TestMember; accepter: TestMember };

  beforeAll(async () => {
    hubs = { decliner: await signUp(server), accepter: await signUp(server) };
  });

  const INVITATION = `query ($id: ID!) { invitation(id: $id) { message responseMessage } }`;
  const NOTES = `query { notifications(first: 100) { edges { node { kind message invitation { id } } } } }`;
  /** The message of `member`'s notification of `kind` about invitation `id`. */
  const noteMessage = async (member: TestMember, kind: string, id: string) => {
    const edges = ok(await gql(server, NOTES, {}, member.token)).notifications.edges;
    return edges.find(
      (e: { node: { kind: string; invitation: { id: string } } }) =>
        e.node.kind === kind && e.node.invitation.id === id,
    )?.node.message;
  };

  it.each(PAYLOADS)("%s", async (_label, text) => {
    const sender = await signUp(server);
    const { decliner, accepter } = hubs;

    // As a note: the answer, both parties' reads, the recipient's list and notification.
    const sent = ok(await invite(server, sender, decliner.id, text)).sendInvitation.invitation;
    expect(sent.message).toBe(text);
    for (const viewer of [sender, decliner]) {
      const inv = ok(await gql(server, INVITATION, { id: sent.id }, viewer.token)).invitation;
      expect(inv.message).toBe(text);
    }
    expect(await noteMessage(decliner, "INVITATION_RECEIVED", sent.id)).toBe(text);

    // As a decline message, also pushed live to the sender.
    const declined = await subscribe(
      server,
      sender.token,
      `subscription { invitationDeclined { message invitation { id responseMessage } } }`,
    );
    const answer = ok(await act(server, decliner, "declineInvitation", sent.id, text));
    expect(answer.declineInvitation.responseMessage).toBe(text);
    expect(await declined.next()).toEqual({
      message: text,
      invitation: { id: sent.id, responseMessage: text },
    });
    await declined.close();
    const seen = ok(await gql(server, INVITATION, { id: sent.id }, sender.token)).invitation;
    expect(seen.responseMessage).toBe(text);
    expect(await noteMessage(sender, "INVITATION_DECLINED", sent.id)).toBe(text);

    // As an acceptance greeting.
    const other = await inviteOk(server, sender, accepter.id, text);
    const accepted = ok(await act(server, accepter, "acceptInvitation", other, text));
    expect(accepted.acceptInvitation.responseMessage).toBe(text);
    expect(await noteMessage(sender, "INVITATION_ACCEPTED", other)).toBe(text);

    // And in the database, byte for byte.
    const rows = await query<{ message: string; responseMessage: string }>(
      server.dataSource,
      `SELECT "message", "responseMessage" FROM "invitation" WHERE "id" IN (:...ids)`,
      { ids: [sent.id, other] },
    );
    expect(rows).toEqual([
      { message: text, responseMessage: text },
      { message: text, responseMessage: text },
    ]);

    // Served as JSON, never as something a browser would render.
    const raw = await send(server, {
      headers: { "content-type": "application/json", authorization: `Bearer ${sender.token}` },
      body: JSON.stringify({ query: INVITATION, variables: { id: sent.id } }),
    });
    expect(raw.contentType).toMatch(/^application\/(graphql-response\+)?json/);
    expect(raw.json.data.invitation.message).toBe(text);
  });

  // A lone UTF-16 surrogate is valid JSON ("\ud800") but no database stores it as text: a
  // note holding one must be refused (BAD_USER_INPUT), or else read back unchanged, never
  // echoed in the answer and then read back as U+FFFD.
  it("a lone surrogate in a note is refused or returned unchanged", async () => {
    const sender = await signUp(server);
    const text = "lone \ud800 surrogate";
    const before = await snapshotTables(server);
    const res = await invite(server, sender, hubs.accepter.id, text);
    if (res.errors?.length) {
      expect(res.errors[0].extensions.code).toBe("BAD_USER_INPUT");
      expect(await snapshotTables(server)).toEqual(before);
      return;
    }
    const id = res.data.sendInvitation.invitation.id;
    const inv = ok(await gql(server, INVITATION, { id }, hubs.accepter.token)).invitation;
    expect(inv.message).toBe(text);
  });
});
