/**
 * Reads see committed rows only. On SQLite the writer keeps its transaction open on
 * the writing connection across awaits; reads run on a second connection (`openReads`), so a
 * query answered meanwhile shows neither a transaction half applied nor one that will be
 * rolled back. On PostgreSQL each transaction has its own pooled connection already.
 *
 * Each test holds a real transaction open on the server's writer, part way through its
 * writes, and asks over HTTP what a client would.
 */
import { Changes, written as declared } from "../src/db/changes";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execute } from "../src/db/sql";
import { pairKeyOf } from "../src/invitations/invitation.entity";
import { gql, ok, signUp, type TestMember } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

const INVITATION = `query ($id: ID!) { invitation(id: $id) { id status message } }`;
const INBOX = `{ receivedInvitations(first: 20) { totalCount edges { node { id } } } }`;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** A gate the held transaction waits on. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/**
 * Starts a transaction that stores a pending invitation from `sender` to `recipient`, then
 * waits at `held` (its row written, not committed) and throws if `fail` is set. Resolves
 * `written` once the row is in.
 */
function holdInvitation(
  sender: TestMember,
  recipient: TestMember,
  held: Promise<void>,
  fail = false,
) {
  const id = randomUUID();
  const written = gate();
  const done = server.writer.transaction(async (em) => {
    await execute(
      em,
      `INSERT INTO "invitation" ("id", "senderId", "recipientId", "pairKey", "message",
         "status", "sentAt", "respondedAt", "responseMessage", "remindedAt", "remindAt")
       VALUES (:id, :senderId, :recipientId, :pairKey, :message, 'PENDING', :sentAt,
         NULL, NULL, NULL, NULL)`,
      {
        id,
        senderId: sender.id,
        recipientId: recipient.id,
        pairKey: pairKeyOf(sender.id, recipient.id),
        message: "Held open",
        sentAt: new Date(),
      },
    );
    written.open();
    await held;
    if (fail) throw new Error("the rules said no, after the write");
    return declared(undefined, Changes.of(sender.id, recipient.id));
  });
  return { id, written: written.opened, done };
}

describe("reads see committed rows only", () => {
  it("an invitation written by an open transaction shows nowhere until its commit", async () => {
    const [sender, recipient] = await Promise.all([signUp(server), signUp(server)]);
    const held = gate();
    const tx = holdInvitation(sender, recipient, held.opened);
    await tx.written;

    try {
      // Over HTTP, while the transaction is open on the server (the write lock held).
      const seenBySender = ok(await gql(server, INVITATION, { id: tx.id }, sender.token));
      expect(seenBySender.invitation).toBeNull();
      const inbox = ok(await gql(server, INBOX, {}, recipient.token));
      expect(inbox.receivedInvitations).toEqual({ totalCount: 0, edges: [] });
    } finally {
      // Never leave the queue blocked for the other tests.
      held.open();
    }
    await tx.done;
    const after = ok(await gql(server, INVITATION, { id: tx.id }, sender.token));
    expect(after.invitation).toEqual({ id: tx.id, status: "PENDING", message: "Held open" });
    const inboxAfter = ok(await gql(server, INBOX, {}, recipient.token));
    expect(inboxAfter.receivedInvitations).toEqual({
      totalCount: 1,
      edges: [{ node: { id: tx.id } }],
    });
  });

  it("one rolled back after its write is never seen, not even while it was open", async () => {
    const [sender, recipient] = await Promise.all([signUp(server), signUp(server)]);
    const held = gate();
    const tx = holdInvitation(sender, recipient, held.opened, true);
    await tx.written;

    try {
      const during = ok(await gql(server, INBOX, {}, recipient.token));
      expect(during.receivedInvitations.totalCount).toBe(0);
    } finally {
      held.open();
    }
    await expect(tx.done).rejects.toThrow("the rules said no");
    for (const member of [sender, recipient]) {
      const seen = ok(await gql(server, INVITATION, { id: tx.id }, member.token));
      expect(seen.invitation).toBeNull();
    }
    const after = ok(await gql(server, INBOX, {}, recipient.token));
    expect(after.receivedInvitations.totalCount).toBe(0);
  });
});
