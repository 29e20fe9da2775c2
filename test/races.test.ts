import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { query } from "../src/db/sql";
import {
  act,
  codeOf,
  gql,
  invite,
  inviteOk,
  ok,
  signUp,
  type GqlResult,
  type TestMember,
} from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

// 1,000 operations fired at once over real HTTP at one server, on 50 invitations: accept,
// decline, withdraw, ignore and the crossing invite (the recipient inviting the sender), four
// of each per invitation, in a shuffled order. Whatever order the server ends up applying
// them in, the outcome must be one that some sequential order could have produced: one
// terminal winner per invitation, every other request a CONFLICT, one connection (two rows)
// per accepted pair, one notification per event. Checked from every side: each answer, the
// stored rows, and what each member reads through the API afterwards.

const SENDERS = 10;
const RECIPIENTS = 10;
/** Each sender invites this many of the recipients: SENDERS * PER_SENDER invitations. */
const PER_SENDER = 5;
/** Requests of each kind per invitation: 5 kinds * EACH * 50 invitations = 1,000. */
const EACH = 4;

type Kind = "accept" | "decline" | "withdraw" | "ignore" | "cross";
const KINDS: Kind[] = ["accept", "decline", "withdraw", "ignore", "cross"];

interface Inv {
  n: number;
  id: string;
  sender: TestMember;
  recipient: TestMember;
  /** Ignored by its recipient before the storm: every action must work from IGNORED too. */
  preIgnored: boolean;
}

interface Op {
  inv: Inv;
  kind: Kind;
  /** The greeting, decline message or crossing note: unique, to trace which request won. */
  message: string | null;
  res?: GqlResult;
}

/** The stored status a winning request of each kind leaves. */
const FINAL: Record<Exclude<Kind, "ignore">, string> = {
  accept: "ACCEPTED",
  cross: "ACCEPTED",
  decline: "DECLINED",
  withdraw: "WITHDRAWN",
};

let server: TestServer;
let senders: TestMember[];
let recipients: TestMember[];
let invitations: Inv[];
let ops: Op[];

beforeAll(async () => {
  // Twenty members sign up from this one address.
  server = await startTestServer({ env: { SIGNUP_MAX_PER_IP: "1000000" } });
  senders = [];
  recipients = [];
  for (let i = 0; i < SENDERS; i++) senders.push(await signUp(server, { name: `Sender ${i}` }));
  for (let j = 0; j < RECIPIENTS; j++) {
    recipients.push(await signUp(server, { name: `Recipient ${j}` }));
  }
  // Each sender invites PER_SENDER recipients and each recipient gets as many invitations, so
  // the requests of different invitations contend for the same members too.
  invitations = [];
  for (let i = 0; i < SENDERS; i++) {
    for (let k = 0; k < PER_SENDER; k++) {
      const n = invitations.length;
      const sender = senders[i];
      const recipient = recipients[(i + k) % RECIPIENTS];
      const id = await inviteOk(server, sender, recipient.id, `note ${n}`);
      invitations.push({ n, id, sender, recipient, preIgnored: n % 3 === 0 });
    }
  }
  for (const inv of invitations.filter((x) => x.preIgnored)) {
    ok(await act(server, inv.recipient, "ignoreInvitation", inv.id));
  }

  ops = [];
  for (const inv of invitations) {
    for (const kind of KINDS) {
      for (let k = 0; k < EACH; k++) {
        const message = kind === "withdraw" || kind === "ignore" ? null : `${kind} ${inv.n}.${k}`;
        ops.push({ inv, kind, message });
      }
    }
  }
  shuffle(ops, 20260406);
  expect(ops).toHaveLength(1000);

  // All at once: nothing awaits between the requests.
  const answers = await Promise.all(ops.map((op) => run(op)));
  answers.forEach((res, i) => (ops[i].res = res));
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function run(op: Op): Promise<GqlResult> {
  const { inv } = op;
  const answer = (() => {
    switch (op.kind) {
      case "accept":
        return act(server, inv.recipient, "acceptInvitation", inv.id, op.message!);
      case "decline":
        return act(server, inv.recipient, "declineInvitation", inv.id, op.message!);
      case "withdraw":
        return act(server, inv.sender, "withdrawInvitation", inv.id);
      case "ignore":
        return act(server, inv.recipient, "ignoreInvitation", inv.id);
      case "cross":
        return invite(server, inv.recipient, inv.sender.id, op.message!);
    }
  })();
  // A transport failure or a non-JSON answer (a 500 page) is kept as an outcome to report.
  return answer.catch((err: unknown) => ({
    status: 0,
    data: null,
    errors: [{ message: String(err), extensions: { code: "NO_ANSWER" } }],
  }));
}

/** Deterministic Fisher-Yates (mulberry32), so a failing order can be replayed. */
function shuffle<T>(items: T[], seed: number): void {
  let s = seed;
  const random = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

const won = (op: Op) => !op.res!.errors?.length;
const opsOf = (inv: Inv) => ops.filter((op) => op.inv === inv);
/** The crossing invites that found the invitation closed and opened a new one the other way. */
const openedNew = (op: Op) =>
  op.kind === "cross" && won(op) && op.res!.data.sendInvitation.connected === false;
/** The one request that closed the invitation (accept, decline, withdraw, crossing invite). */
const terminalWinners = (inv: Inv) =>
  opsOf(inv).filter((op) => op.kind !== "ignore" && won(op) && !openedNew(op));
const winnerOf = (inv: Inv) => terminalWinners(inv)[0];
const finalStatus = (inv: Inv) => FINAL[winnerOf(inv).kind as Exclude<Kind, "ignore">];
const pairKey = (x: string, y: string) => [x, y].sort().join("|");

describe("1,000 concurrent operations on 50 invitations", () => {
  it("every request is answered: the winners with their result, the losers with CONFLICT", () => {
    const problems: string[] = [];
    for (const op of ops) {
      const res = op.res!;
      const label = `${op.kind} on #${op.inv.n} (${op.message ?? "-"})`;
      if (res.status >= 500 || res.status === 0) problems.push(`${label}: HTTP ${res.status}`);
      if (!won(op)) {
        // The loser saw a state that forbids its action: the contract's code for that.
        if (res.errors!.length !== 1 || codeOf(res) !== "CONFLICT" || !res.errors![0].message) {
          problems.push(`${label}: ${JSON.stringify(res.errors)}`);
        }
        continue;
      }
      const field = Object.keys(res.data)[0];
      const got = field === "sendInvitation" ? res.data[field].invitation : res.data[field];
      const expected = {
        accept: { id: op.inv.id, status: "ACCEPTED", responseMessage: op.message },
        decline: { id: op.inv.id, status: "DECLINED", responseMessage: op.message },
        withdraw: { id: op.inv.id, status: "WITHDRAWN", responseMessage: null },
        ignore: { id: op.inv.id, status: "IGNORED", responseMessage: null },
        cross: openedNew(op)
          ? { status: "PENDING", message: op.message, sender: { id: op.inv.recipient.id } }
          : { id: op.inv.id, status: "ACCEPTED", responseMessage: op.message },
      }[op.kind];
      try {
        expect(got).toMatchObject(expected);
      } catch {
        problems.push(`${label}: answered ${JSON.stringify(got)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("each invitation has exactly one terminal winner, and the rest is consistent with it", () => {
    const problems: string[] = [];
    for (const inv of invitations) {
      const winners = terminalWinners(inv);
      if (winners.length !== 1) {
        problems.push(`#${inv.n}: ${winners.length} winners (${winners.map((w) => w.kind)})`);
        continue;
      }
      // The crossing invites all came after the invitation closed (had one come before, it
      // would have been the winner): after a decline or a withdraw the first of them opens a
      // new invitation the other way and the rest find it open; after an accept, all find the
      // pair connected.
      const opened = opsOf(inv).filter(openedNew).length;
      const expected = finalStatus(inv) === "ACCEPTED" ? 0 : 1;
      if (opened !== expected) {
        problems.push(`#${inv.n} ${finalStatus(inv)}: ${opened} new invitations the other way`);
      }
    }
    expect(problems).toEqual([]);
    // The race was real: every kind of terminal request won somewhere.
    const kinds = new Set(invitations.map((inv) => winnerOf(inv).kind));
    expect([...kinds].sort()).toEqual(["accept", "cross", "decline", "withdraw"]);
  });

  it("the stored invitations: the winner's state and message; one open invitation per pair", async () => {
    const rows = await query<{
      id: string;
      senderId: string;
      recipientId: string;
      status: string;
      message: string | null;
      responseMessage: string | null;
      respondedAt: unknown;
    }>(
      server.dataSource,
      `SELECT "id", "senderId", "recipientId", "status", "message", "responseMessage", "respondedAt"
        FROM "invitation"`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const inv of invitations) {
      const winner = winnerOf(inv);
      expect(byId.get(inv.id), `#${inv.n}`).toMatchObject({
        senderId: inv.sender.id,
        recipientId: inv.recipient.id,
        status: finalStatus(inv),
        message: `note ${inv.n}`,
        responseMessage: winner.kind === "withdraw" ? null : winner.message,
      });
      expect(byId.get(inv.id)!.respondedAt, `#${inv.n}`).not.toBeNull();
    }
    // Beyond the 50: exactly the invitations the crossing invites said they opened.
    const opened = ops.filter(openedNew).map((op) => ({
      id: op.res!.data.sendInvitation.invitation.id,
      senderId: op.inv.recipient.id,
      recipientId: op.inv.sender.id,
      status: "PENDING",
      message: op.message,
      responseMessage: null,
      respondedAt: null,
    }));
    const others = rows.filter((r) => !invitations.some((inv) => inv.id === r.id));
    const byIdSort = (x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id);
    expect(others.sort(byIdSort)).toEqual(opened.sort(byIdSort));

    const open = new Map<string, number>();
    for (const r of rows.filter((r) => ["PENDING", "IGNORED", "FILTERED"].includes(r.status))) {
      const key = pairKey(r.senderId, r.recipientId);
      open.set(key, (open.get(key) ?? 0) + 1);
    }
    expect([...open.values()].filter((n) => n > 1)).toEqual([]);
  });

  it("the stored connections: two rows, one each way, for each accepted pair and no other", async () => {
    const rows = await query<{ memberId: string; otherId: string }>(
      server.dataSource,
      `SELECT "memberId", "otherId" FROM "connection"`,
    );
    const stored = rows.map((r) => `${r.memberId}>${r.otherId}`).sort();
    const expected = invitations
      .filter((inv) => finalStatus(inv) === "ACCEPTED")
      .flatMap((inv) => [
        `${inv.sender.id}>${inv.recipient.id}`,
        `${inv.recipient.id}>${inv.sender.id}`,
      ])
      .sort();
    expect(stored).toEqual(expected);
  });

  it("the stored notifications: one per event, numbered 1..n for each recipient", async () => {
    const rows: {
      recipientId: string;
      actorId: string | null;
      kind: string;
      invitationId: string;
      message: string | null;
      seq: number | string;
    }[] = await query(
      server.dataSource,
      `SELECT "recipientId", "actorId", "kind", "invitationId", "message", "seq" FROM "notification"`,
    );
    const describe = (r: {
      recipientId: string;
      actorId: string | null;
      kind: string;
      invitationId: string;
      message: string | null;
    }) => `${r.recipientId} ${r.kind} ${r.invitationId} by ${r.actorId}: ${r.message}`;
    const expected: string[] = [];
    for (const inv of invitations) {
      const received = { recipientId: inv.recipient.id, actorId: inv.sender.id };
      expected.push(
        describe({
          ...received,
          kind: "INVITATION_RECEIVED",
          invitationId: inv.id,
          message: `note ${inv.n}`,
        }),
      );
      const status = finalStatus(inv);
      if (status === "ACCEPTED" || status === "DECLINED") {
        expected.push(
          describe({
            recipientId: inv.sender.id,
            actorId: inv.recipient.id,
            kind: status === "ACCEPTED" ? "INVITATION_ACCEPTED" : "INVITATION_DECLINED",
            invitationId: inv.id,
            message: winnerOf(inv).message,
          }),
        );
      }
    }
    for (const op of ops.filter(openedNew)) {
      expected.push(
        describe({
          recipientId: op.inv.sender.id,
          actorId: op.inv.recipient.id,
          kind: "INVITATION_RECEIVED",
          invitationId: op.res!.data.sendInvitation.invitation.id,
          message: op.message,
        }),
      );
    }
    expect(rows.map(describe).sort()).toEqual(expected.sort());

    const seqs = new Map<string, number[]>();
    for (const r of rows) seqs.set(r.recipientId, [...(seqs.get(r.recipientId) ?? []), +r.seq]);
    for (const [member, list] of seqs) {
      expect(
        list.sort((x, y) => x - y),
        member,
      ).toEqual(list.map((_, i) => i + 1));
    }
  });

  it("both parties read the winner's state through the API", async () => {
    const q = `query ($id: ID!) { invitation(id: $id) { status responseMessage } }`;
    for (const inv of invitations) {
      const winner = winnerOf(inv);
      const expected = {
        status: finalStatus(inv),
        responseMessage: winner.kind === "withdraw" ? null : winner.message,
      };
      for (const viewer of [inv.sender, inv.recipient]) {
        const res = ok(await gql(server, q, { id: inv.id }, viewer.token));
        expect(res.invitation, `#${inv.n} as ${viewer.name}`).toEqual(expected);
      }
    }
  });

  it("each member's connections and notifications through the API", async () => {
    const q = `query {
      connections(first: 100) { totalCount edges { node { id } } }
      notifications(first: 100) { totalCount edges { node { kind message invitation { id } } } }
    }`;
    for (const member of [...senders, ...recipients]) {
      const data = ok(await gql(server, q, {}, member.token));
      const mine = invitations.filter((inv) => inv.sender === member || inv.recipient === member);
      const connected = mine
        .filter((inv) => finalStatus(inv) === "ACCEPTED")
        .map((inv) => (inv.sender === member ? inv.recipient.id : inv.sender.id));
      expect(data.connections.totalCount, member.name).toBe(connected.length);
      expect(
        data.connections.edges.map((e: { node: { id: string } }) => e.node.id).sort(),
        member.name,
      ).toEqual(connected.sort());

      // A withdrawn invitation's INVITATION_RECEIVED is retracted from its recipient's list.
      const expected: string[] = [];
      for (const inv of mine) {
        const status = finalStatus(inv);
        if (inv.recipient === member && status !== "WITHDRAWN") {
          expected.push(`INVITATION_RECEIVED ${inv.id} note ${inv.n}`);
        }
        if (inv.sender === member && (status === "ACCEPTED" || status === "DECLINED")) {
          const kind = status === "ACCEPTED" ? "INVITATION_ACCEPTED" : "INVITATION_DECLINED";
          expected.push(`${kind} ${inv.id} ${winnerOf(inv).message}`);
        }
      }
      for (const op of ops.filter((o) => openedNew(o) && o.inv.sender === member)) {
        const id = op.res!.data.sendInvitation.invitation.id;
        expected.push(`INVITATION_RECEIVED ${id} ${op.message}`);
      }
      const seen = data.notifications.edges.map(
        (e: { node: { kind: string; message: string; invitation: { id: string } } }) =>
          `${e.node.kind} ${e.node.invitation.id} ${e.node.message}`,
      );
      expect(data.notifications.totalCount, member.name).toBe(expected.length);
      expect(seen.sort(), member.name).toEqual(expected.sort());
    }
  });
});
