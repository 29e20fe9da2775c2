import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../src/common/errors";
import {
  ACTIONS,
  STORED_STATUSES,
  receivedBucket,
  roleOf,
  storedForSenderView,
  transition,
  viewAs,
  type Action,
  type Effect,
  type InvitationState,
  type StoredStatus,
  type TransitionResult,
  type VisibleStatus,
} from "../src/invitations/lifecycle";
import { gql, signUp, type GqlResult, type TestMember } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

// fast-check properties over random sequences of lifecycle actions by random actors. Part 1
// drives the pure module (src/invitations/lifecycle.ts) through a small model of several
// members and invitations, thousands of times; part 2 drives the real API on a smaller
// budget. The invariants are written from the contract (docs/api.md, "The rules"), not read
// from the module.

// ---------------------------------------------------------------------------------------------
// The contract, written out

/** Stored states that hold the pair's one open invitation (rule 5). */
const OPEN: readonly StoredStatus[] = ["PENDING", "IGNORED", "FILTERED", "REPORTED", "DISCARDED"];
/** Answered, withdrawn, expired or closed by a block: nothing moves them any more. */
const CLOSED: readonly StoredStatus[] = [
  "ACCEPTED",
  "DECLINED",
  "WITHDRAWN",
  "EXPIRED",
  "CLOSED_BY_BLOCK",
];
/** Who may take each action (the lifecycle table of docs/architecture.md). */
const WHO: Record<Action, "sender" | "recipient" | "system"> = {
  accept: "recipient",
  crossInvite: "recipient",
  ignore: "recipient",
  decline: "recipient",
  report: "recipient",
  withdraw: "sender",
  block: "system",
  expire: "system",
};
/** Only the answer itself carries a message (a greeting or a decline message). */
const KEEPS_MESSAGE: readonly StoredStatus[] = ["ACCEPTED", "DECLINED"];

const REGISTRY: readonly string[] = Object.values(ErrorCode);

/**
 * The few matchers part 1 needs, on node:assert: part 1 makes millions of checks, and a
 * vitest `expect` call costs about ten microseconds. A failure throws with a diff, and
 * fast-check shrinks the sequence that caused it.
 */
function must(actual: unknown) {
  const show = (v: unknown) => JSON.stringify(v);
  return {
    toBe: (expected: unknown) => assert.equal(actual, expected),
    toEqual: (expected: unknown) => assert.deepEqual(actual, expected),
    toBeNull: () => assert.equal(actual, null),
    toBeTruthy: () => assert.ok(actual),
    toContain: (item: unknown) =>
      assert.ok((actual as unknown[]).includes(item), `${show(item)} not in ${show(actual)}`),
    toContainEqual: (item: unknown) =>
      assert.ok(
        (actual as unknown[]).some((x) => show(x) === show(item)),
        `${show(item)} not in ${show(actual)}`,
      ),
    toBeLessThanOrEqual: (max: number) =>
      assert.ok((actual as number) <= max, `${show(actual)} > ${max}`),
    not: {
      toBe: (unexpected: unknown) => assert.notEqual(actual, unexpected),
      toContainEqual: (item: unknown) =>
        assert.ok(
          !(actual as unknown[]).some((x) => show(x) === show(item)),
          `${show(item)} in ${show(actual)}`,
        ),
    },
  };
}

/** What the sender can tell apart: every open state is PENDING to them (rule 1, rule 6). */
function senderProjection(inv: InvitationState): InvitationState {
  return OPEN.includes(inv.status)
    ? { ...inv, status: "PENDING", respondedAt: null, responseMessage: null }
    : inv;
}

function apply(inv: InvitationState, r: TransitionResult): InvitationState {
  return r.ok ? { ...inv, ...r.next } : inv;
}

const toSender = (e: Effect) => "to" in e && e.to === "sender";

// ---------------------------------------------------------------------------------------------
// Part 1: the pure module

const M = [
  "00000000-0000-4000-8000-000000000000",
  "11111111-1111-4111-8111-111111111111",
  "22222222-2222-4222-8222-222222222222",
  "33333333-3333-4333-8333-333333333333",
];
const T0 = Date.parse("2031-01-01T00:00:00.000Z");

/** The invariants of one stored invitation, and of how each party and a stranger see it. */
function checkInvitation(inv: InvitationState, stranger: string): void {
  const open = OPEN.includes(inv.status);
  // Only an answer, a withdraw, an expiry or a block is stamped; only an answer keeps a message.
  must(inv.respondedAt !== null).toBe(CLOSED.includes(inv.status));
  if (!KEEPS_MESSAGE.includes(inv.status)) must(inv.responseMessage).toBeNull();

  const asSender = viewAs(inv, inv.senderId);
  const asRecipient = viewAs(inv, inv.recipientId);
  must(viewAs(inv, stranger)).toBeNull();
  if (inv.status === "CLOSED_BY_BLOCK") {
    // Gone for both sides.
    must([asSender, asRecipient]).toEqual([null, null]);
    must(receivedBucket(inv.status)).toBeNull();
    return;
  }
  // Rule 1: the sender's view depends only on what the sender may know, and is never IGNORED.
  must(asSender).toEqual(viewAs(senderProjection(inv), inv.senderId));
  must(asSender!.status).not.toBe("IGNORED");
  if (open) must(asSender).toEqual({ status: "PENDING", respondedAt: null, responseMessage: null });
  // sentInvitations(status:) lists it exactly under the status the sender sees.
  const visible: VisibleStatus[] = [
    "PENDING",
    "ACCEPTED",
    "IGNORED",
    "DECLINED",
    "WITHDRAWN",
    "EXPIRED",
  ];
  for (const status of visible) {
    must(storedForSenderView(status).includes(inv.status)).toBe(asSender!.status === status);
  }
  // Rule 11: a discarded one does not exist for its recipient (in no list).
  if (inv.status === "DISCARDED") {
    must([asRecipient, receivedBucket(inv.status)]).toEqual([null, null]);
    return;
  }
  // The recipient's lists: an open one sits in exactly one bucket, shown as that bucket says.
  const bucket = receivedBucket(inv.status);
  must(bucket !== null).toBe(open);
  if (bucket === "IGNORED") must(asRecipient!.status).toBe("IGNORED");
  if (bucket === "PENDING" || bucket === "FILTERED") must(asRecipient!.status).toBe("PENDING");
  if (open) must(asRecipient!.respondedAt).toBeNull();
  // Closed: both parties see the same answer.
  if (!open) must(asRecipient).toEqual(asSender);
}

/** The laws of one transition attempt on `inv` by `actor` (null: the system). */
function checkTransition(
  inv: InvitationState,
  action: Action,
  actor: string | null,
  now: Date,
  message: string | null,
): TransitionResult {
  const before = structuredClone(inv);
  const r = transition(inv, action, actor, now, message);
  // Pure: the input is untouched and the same call gives the same answer.
  must(inv).toEqual(before);
  must(transition(inv, action, actor, now, message)).toEqual(r);

  const role = roleOf(inv, actor);
  if (!r.ok) {
    must(REGISTRY).toContain(r.code);
    must(["NOT_FOUND", "CONFLICT"]).toContain(r.code);
    must(r.message).toBeTruthy();
  } else {
    // Only the right party acts, and never on what a block closed.
    must(role).toBe(WHO[action]);
    must(inv.status).not.toBe("CLOSED_BY_BLOCK");
    // Terminal states stay terminal.
    must(OPEN).toContain(inv.status);
  }
  // No oracle: to a stranger, and to anyone once a block closed it, it does not exist.
  if (role === "stranger" || inv.status === "CLOSED_BY_BLOCK") {
    must(r).toEqual({ ok: false, code: "NOT_FOUND", message: "Invitation not found." });
  }
  if (role !== WHO[action]) must(r.ok ? null : r.code).toBe("NOT_FOUND");
  // Rule 1 for errors and results: what the sender gets from any action depends only on
  // what they may know (a withdraw of an ignored one goes exactly as of a pending one).
  if (role === "sender") {
    const projected = senderProjection(inv);
    const r2 = transition(projected, action, actor, now, message);
    must(r2.ok).toBe(r.ok);
    if (!r.ok || !r2.ok) must(r2).toEqual(r);
    else {
      must(r2.effects).toEqual(r.effects);
      must(viewAs(apply(projected, r2), inv.senderId)).toEqual(viewAs(apply(inv, r), inv.senderId));
    }
  }
  if (r.ok) {
    const next = apply(inv, r);
    const senderBefore = viewAs(inv, inv.senderId);
    const senderAfter = viewAs(next, inv.senderId);
    const fx = r.effects.filter(toSender);
    if (JSON.stringify(senderAfter) === JSON.stringify(senderBefore) || role === "sender") {
      // Nothing the sender did not see change (or did themself) is told to them.
      must(fx).toEqual([]);
    }
    if (next.status === "ACCEPTED" || next.status === "DECLINED") {
      // Rule 2 / accept: stored for the sender and pushed to them, once each.
      const kind = next.status === "ACCEPTED" ? "INVITATION_ACCEPTED" : "INVITATION_DECLINED";
      must(fx).toEqual([
        { type: "notify", to: "sender", kind },
        { type: "publish", to: "sender", topic: kind },
      ]);
      must(next.responseMessage).toBe(message);
    }
    // What it leaves is a consistent invitation again, with every view law holding.
    checkInvitation(
      next,
      M.find((m) => m !== inv.senderId && m !== inv.recipientId)!,
    );
    if (next.status === "ACCEPTED") must(r.effects).toContainEqual({ type: "connect" });
    else must(r.effects).not.toContainEqual({ type: "connect" });
    // A status change to a closed state is stamped `now`.
    if (next.status !== inv.status && CLOSED.includes(next.status)) {
      must(next.respondedAt).toEqual(now);
    }
  }
  return r;
}

/** A world of several members and their invitations, changed only through `transition`. */
class Model {
  readonly invitations: InvitationState[] = [];
  readonly connected = new Set<string>();
  readonly blocked = new Set<string>();
  private readonly checked = new Map<InvitationState, string>();
  step = 0;

  static pair(a: string, b: string): string {
    return a < b ? `${a}:${b}` : `${b}:${a}`;
  }

  now(): Date {
    return new Date(T0 + this.step * 1000);
  }

  blockedEitherWay(a: string, b: string): boolean {
    return this.blocked.has(`${a}>${b}`) || this.blocked.has(`${b}>${a}`);
  }

  openBetween(a: string, b: string): InvitationState[] {
    const key = Model.pair(a, b);
    return this.invitations.filter(
      (i) => Model.pair(i.senderId, i.recipientId) === key && OPEN.includes(i.status),
    );
  }

  private run(inv: InvitationState, action: Action, actor: string | null, message: string | null) {
    // Every actor tries every action from this reachable state (each checked, none applied) ...
    const stranger = M.find((m) => m !== inv.senderId && m !== inv.recipientId)!;
    for (const a of ACTIONS) {
      for (const who of [inv.senderId, inv.recipientId, stranger, null]) {
        checkTransition(inv, a, who, this.now(), message);
      }
    }
    // ... then the step's own attempt is applied if it succeeds.
    const r = checkTransition(inv, action, actor, this.now(), message);
    if (!r.ok) return r;
    Object.assign(inv, r.next);
    if (r.effects.some((e) => e.type === "connect")) {
      this.connected.add(Model.pair(inv.senderId, inv.recipientId));
    }
    return r;
  }

  /** `sendInvitation` as the contract describes it, with the lifecycle deciding a crossing. */
  send(from: string, to: string, filtered: boolean, message: string | null): void {
    if (from === to || this.blockedEitherWay(from, to)) return;
    if (this.connected.has(Model.pair(from, to))) return;
    const [open] = this.openBetween(from, to);
    if (open && open.senderId === from) return; // CONFLICT: one open invitation per pair
    if (open) {
      // Rule 4: inviting someone who invited you accepts theirs.
      const r = this.run(open, "crossInvite", from, message);
      must(r.ok).toBe(true);
      return;
    }
    this.invitations.push({
      senderId: from,
      recipientId: to,
      status: filtered ? "FILTERED" : "PENDING",
      respondedAt: null,
      responseMessage: null,
    });
  }

  act(index: number, action: Action, actor: string | null, message: string | null): void {
    if (this.invitations.length === 0) return;
    const inv = this.invitations[index % this.invitations.length];
    const before = structuredClone(inv);
    const r = this.run(inv, action, actor, message);
    // A failed transition changes nothing.
    if (!r.ok) must(inv).toEqual(before);
  }

  /** `blockMember`: the connection ends and every open invitation of the pair closes. */
  block(by: string, target: string): void {
    if (by === target) return;
    this.blocked.add(`${by}>${target}`);
    this.connected.delete(Model.pair(by, target));
    for (const inv of this.openBetween(by, target)) {
      must(this.run(inv, "block", null, null).ok).toBe(true);
    }
  }

  unblock(by: string, target: string): void {
    this.blocked.delete(`${by}>${target}`);
  }

  /** The world's invariants after every step. */
  check(history: Map<InvitationState, StoredStatus[]>): void {
    for (const a of M) {
      for (const b of M) {
        if (a >= b) continue;
        // At most one open invitation per pair; none while connected or blocked.
        const open = this.openBetween(a, b);
        must(open.length).toBeLessThanOrEqual(1);
        if (this.connected.has(Model.pair(a, b))) must(open).toEqual([]);
        if (this.blockedEitherWay(a, b)) {
          must(open).toEqual([]);
          must(this.connected.has(Model.pair(a, b))).toBe(false);
        }
      }
    }
    for (const inv of this.invitations) {
      // An invitation the step did not change was checked before (the checks are pure).
      const signature = JSON.stringify(inv);
      if (this.checked.get(inv) === signature) continue;
      this.checked.set(inv, signature);
      const stranger = M.find((m) => m !== inv.senderId && m !== inv.recipientId)!;
      checkInvitation(inv, stranger);
      // Terminal states stay terminal: once closed, the stored status never changes again.
      const seen = history.get(inv) ?? [];
      const lastClosed = [...seen].reverse().find((s) => CLOSED.includes(s));
      if (lastClosed) must(inv.status).toBe(lastClosed);
      history.set(inv, [...seen, inv.status]);
    }
  }
}

const member = fc.integer({ min: 0, max: M.length - 1 });
const note = fc.option(fc.constantFrom("Hi", "Let's connect", "Not now"), { nil: null });
const step = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("send" as const),
      from: member,
      to: member,
      filtered: fc.boolean(),
      message: note,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("act" as const),
      index: fc.nat(),
      action: fc.constantFrom(...ACTIONS),
      // Mostly a party to some invitation; sometimes the system.
      actor: fc.option(member, { nil: null, freq: 6 }),
      message: note,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("block" as const), by: member, target: member }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("unblock" as const), by: member, target: member }),
  },
);

describe("properties of the pure lifecycle", () => {
  it("every single transition obeys the contract's laws, from any consistent state", () => {
    const state = fc
      .record({
        status: fc.constantFrom(...STORED_STATUSES),
        respondedAt: fc.date({ min: new Date(T0 - 1e10), max: new Date(T0), noInvalidDate: true }),
        message: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
      })
      .map(({ status, respondedAt, message }): InvitationState => ({
        senderId: M[0],
        recipientId: M[1],
        status,
        respondedAt: CLOSED.includes(status) ? respondedAt : null,
        responseMessage: KEEPS_MESSAGE.includes(status) ? message : null,
      }));
    fc.assert(
      fc.property(
        state,
        fc.constantFrom(...ACTIONS),
        fc.constantFrom(M[0], M[1], M[2], null),
        note,
        (inv, action, actor, message) => {
          checkInvitation(inv, M[2]);
          checkTransition(inv, action, actor, new Date(T0 + 1000), message);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it("random sequences by random actors keep every invariant after every step", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const world = new Model();
        const history = new Map<InvitationState, StoredStatus[]>();
        for (const s of steps) {
          world.step++;
          if (s.kind === "send") world.send(M[s.from], M[s.to], s.filtered, s.message);
          else if (s.kind === "act") {
            world.act(s.index, s.action, s.actor === null ? null : M[s.actor], s.message);
          } else if (s.kind === "block") world.block(M[s.by], M[s.target]);
          else world.unblock(M[s.by], M[s.target]);
          world.check(history);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Part 2: through the API

const INV = "id status respondedAt responseMessage sender { id } recipient { id }";

/**
 * One request per member: every list the invariants talk about, `member(id)` of each other
 * member and `invitation(id)` of each invitation of the run (ids are UUIDs, safe inline).
 */
function stateQuery(others: TestMember[], invitationIds: string[]): string {
  const list = (args: string) =>
    `receivedInvitations(first: 20${args}) { totalCount edges { node { ${INV} } } }`;
  return `query {
    sent: sentInvitations(first: 20) { totalCount edges { node { ${INV} } } }
    pending: ${list("")}
    ignored: ${list(", filter: { status: IGNORED }")}
    filtered: ${list(", filter: { status: FILTERED }")}
    connections(first: 20) { totalCount edges { node { id } } }
    blockedMembers { id }
    notifications(first: 20) { edges { node { kind invitation { id } } } }
    ${others.map((o, n) => `m${n}: member(id: "${o.id}") { id }`).join("\n")}
    ${invitationIds.map((id, n) => `i${n}: invitation(id: "${id}") { ${INV} }`).join("\n")}
  }`;
}

interface InvView {
  id: string;
  status: string;
  respondedAt: string | null;
  responseMessage: string | null;
  sender: { id: string };
  recipient: { id: string };
}

/** Everything one member sees that the invariants talk about. */
interface Seen {
  sent: InvView[];
  received: Record<"PENDING" | "IGNORED" | "FILTERED", InvView[]>;
  connections: string[];
  blocked: string[];
  /** member(id) of each other member: null when absent or a block stands either way. */
  visible: Record<string, boolean>;
  notifications: Array<{ kind: string; invitation: string | null }>;
  /** invitation(id) of every invitation of the run. */
  byId: Record<string, InvView | null>;
}

/** One random API action; `to` and `who` are relative, so most actions make sense. */
type Op =
  | { kind: "send"; actor: number; to: 0 | 1 | 2; message: string | null }
  | {
      kind: "answer";
      /** Who acts: mostly the party who may (the sender withdraws), else the other or the third. */
      who: "party" | "other" | "third";
      action: "accept" | "ignore" | "decline" | "withdraw" | "report";
      index: number;
      message: string | null;
    }
  | { kind: "block" | "unblock" | "remove"; actor: number; to: 1 | 2 };

const MUTATIONS = {
  send: `mutation ($to: ID!, $message: String) { r: sendInvitation(input: { recipientId: $to, message: $message }) { connected invitation { id sender { id } recipient { id } } } }`,
  accept: `mutation ($id: ID!, $message: String) { r: acceptInvitation(id: $id, message: $message) { id } }`,
  ignore: `mutation ($id: ID!) { r: ignoreInvitation(id: $id) { id } }`,
  decline: `mutation ($id: ID!, $message: String) { r: declineInvitation(id: $id, message: $message) { id } }`,
  withdraw: `mutation ($id: ID!) { r: withdrawInvitation(id: $id) { id } }`,
  report: `mutation ($id: ID!) { r: reportInvitation(id: $id, reason: SPAM) }`,
  block: `mutation ($to: ID!) { r: blockMember(id: $to) }`,
  unblock: `mutation ($to: ID!) { r: unblockMember(id: $to) }`,
  remove: `mutation ($to: ID!) { r: removeConnection(memberId: $to) }`,
};

let server: TestServer;
let runs = 0;

beforeAll(async () => {
  // Three new members per run, all from this one address: above the sign-up limit per IP,
  // which is not what this test is about.
  server = await startTestServer({ env: { SIGNUP_MAX_PER_IP: "1000" } });
});

afterAll(async () => {
  await server?.stop();
});

async function see(who: TestMember, others: TestMember[], invitationIds: string[]): Promise<Seen> {
  const res = await gql(server, stateQuery(others, invitationIds), {}, who.token);
  expect(res.errors).toBeUndefined();
  const d = res.data;
  const nodes = <T>(c: { totalCount?: number; edges: Array<{ node: T }> }): T[] => {
    // Every list is whole (a run has fewer than 20) and its count agrees with it.
    if (c.totalCount !== undefined) expect(c.totalCount).toBe(c.edges.length);
    return c.edges.map((e) => e.node);
  };
  return {
    sent: nodes<InvView>(d.sent),
    received: {
      PENDING: nodes<InvView>(d.pending),
      IGNORED: nodes<InvView>(d.ignored),
      FILTERED: nodes<InvView>(d.filtered),
    },
    connections: nodes<{ id: string }>(d.connections).map((m) => m.id),
    blocked: d.blockedMembers.map((m: { id: string }) => m.id),
    visible: Object.fromEntries(others.map((o, n) => [o.id, d[`m${n}`] !== null])),
    notifications: nodes<{ kind: string; invitation: { id: string } | null }>(d.notifications).map(
      (n) => ({ kind: n.kind, invitation: n.invitation?.id ?? null }),
    ),
    byId: Object.fromEntries(invitationIds.map((id, n) => [id, d[`i${n}`]])),
  };
}

const ids = (list: InvView[]) => list.map((i) => i.id).sort();

/** The API's invariants, read as each of the members. */
function checkApi(members: TestMember[], seen: Seen[]): void {
  const idx = (id: string) => members.findIndex((m) => m.id === id);
  for (let a = 0; a < members.length; a++) {
    const s = seen[a];
    // No duplicates anywhere: at most one connection per pair, each invitation listed once.
    expect(new Set(s.connections).size).toBe(s.connections.length);
    const allReceived = [...s.received.PENDING, ...s.received.IGNORED, ...s.received.FILTERED];
    expect(new Set(ids(allReceived)).size).toBe(allReceived.length);
    for (const [bucket, list] of Object.entries(s.received)) {
      for (const inv of list) {
        expect(inv.recipient.id).toBe(members[a].id);
        expect(inv.status).toBe(bucket === "IGNORED" ? "IGNORED" : "PENDING");
        expect(inv.respondedAt).toBeNull();
      }
    }
    for (const inv of s.sent) {
      expect(inv.sender.id).toBe(members[a].id);
      // Rule 1: the sender never sees IGNORED, and sees nothing answered on what looks pending.
      expect(inv.status).not.toBe("IGNORED");
      if (inv.status === "PENDING")
        expect([inv.respondedAt, inv.responseMessage]).toEqual([null, null]);
    }
    for (const [id, view] of Object.entries(s.byId)) {
      // invitation(id) agrees with the lists it appears in.
      const listed = [...s.sent, ...allReceived].find((i) => i.id === id);
      if (listed) expect(view).toEqual(listed);
      if (view && view.sender.id === members[a].id) expect(view.status).not.toBe("IGNORED");
    }
    for (let b = 0; b < members.length; b++) {
      if (a === b) continue;
      const t = seen[b];
      const [ma, mb] = [members[a].id, members[b].id];
      // Connections are symmetric.
      expect(s.connections.includes(mb)).toBe(t.connections.includes(ma));
      // A block hides each from the other, ends the connection and hides their invitations.
      const blocked = s.blocked.includes(mb) || t.blocked.includes(ma);
      expect(s.visible[mb]).toBe(!blocked);
      if (blocked) {
        expect(s.connections).not.toContain(mb);
        expect(
          [...s.sent, ...allReceived].filter(
            (i) => idx(i.sender.id) === b || idx(i.recipient.id) === b,
          ),
        ).toEqual([]);
      }
      // The two sides agree, modulo the sender's projection: what a's sent list shows as
      // PENDING to b is exactly what b finds in one of their received lists.
      const sentPending = s.sent.filter((i) => i.recipient.id === mb && i.status === "PENDING");
      const theirReceived = [
        ...t.received.PENDING,
        ...t.received.IGNORED,
        ...t.received.FILTERED,
      ].filter((i) => i.sender.id === ma);
      expect(ids(sentPending)).toEqual(ids(theirReceived));
      // At most one open invitation per pair, none between connected members.
      const theirPending = t.sent.filter((i) => i.recipient.id === ma && i.status === "PENDING");
      expect(sentPending.length + theirPending.length).toBeLessThanOrEqual(1);
      if (s.connections.includes(mb)) expect(sentPending.length + theirPending.length).toBe(0);
      // Answered ones look the same from both sides.
      for (const inv of s.sent.filter((i) => i.recipient.id === mb && i.status !== "PENDING")) {
        expect(t.byId[inv.id]).toEqual(inv);
      }
    }
    // One stored notification per acceptance and decline of a visible sent invitation.
    for (const [status, kind] of [
      ["ACCEPTED", "INVITATION_ACCEPTED"],
      ["DECLINED", "INVITATION_DECLINED"],
    ]) {
      const told = s.notifications
        .filter((n) => n.kind === kind)
        .map((n) => n.invitation)
        .sort();
      expect(told).toEqual(ids(s.sent.filter((i) => i.status === status)));
    }
  }
}

const sendArb = fc.record({
  kind: fc.constant("send" as const),
  actor: fc.nat(2),
  // Now and then to themself (BAD_USER_INPUT, which must change nothing).
  to: fc.constantFrom(1 as const, 2 as const, 1 as const, 2 as const, 0 as const),
  message: note,
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: sendArb },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("answer" as const),
      who: fc.constantFrom(
        ...(["party", "party", "party", "party", "party", "party", "other", "third"] as const),
      ),
      action: fc.constantFrom(
        "accept" as const,
        "ignore" as const,
        "decline" as const,
        "withdraw" as const,
        "report" as const,
      ),
      index: fc.nat(3),
      message: note,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom("block" as const, "unblock" as const, "remove" as const),
      actor: fc.nat(2),
      to: fc.constantFrom(1 as const, 2 as const),
    }),
  },
);

describe("properties through the API", () => {
  it("the invariants reject a broken state (they are not vacuous)", async () => {
    const [a, b, c] = await Promise.all(
      ["Check A", "Check B", "Check C"].map((name) =>
        signUp(server, { name, email: `${randomUUID()}@example.com` }),
      ),
    );
    const send = (from: TestMember, to: TestMember) =>
      gql(server, MUTATIONS.send, { to: to.id }, from.token).then(
        (r) => r.data.r.invitation.id as string,
      );
    const accepted = await send(a, b);
    await gql(server, MUTATIONS.accept, { id: accepted }, b.token);
    const pending = await send(a, c);
    const members = [a, b, c];
    const ids = [accepted, pending];
    const seen = await Promise.all(
      members.map((m) =>
        see(
          m,
          members.filter((o) => o !== m),
          ids,
        ),
      ),
    );
    checkApi(members, seen);
    const broken: Array<(s: Seen[]) => void> = [
      // The sender sees IGNORED.
      (s) => (s[0].sent.find((i) => i.id === pending)!.status = "IGNORED"),
      // A connection on one side only.
      (s) => s[1].connections.pop(),
      // The recipient lost a pending invitation the sender still sees.
      (s) => s[2].received.PENDING.pop(),
      // A second open invitation in the pair (C to A, listed consistently on both sides).
      (s) => {
        const twin = { ...s[0].sent.find((i) => i.id === pending)!, id: randomUUID() };
        Object.assign(twin, { sender: { id: c.id }, recipient: { id: a.id } });
        s[2].sent.push(twin);
        s[0].received.PENDING.push(twin);
      },
      // An acceptance without its notification.
      (s) => s[0].notifications.pop(),
    ];
    for (const breakIt of broken) {
      const copy = structuredClone(seen);
      breakIt(copy);
      expect(() => checkApi(members, copy)).toThrow();
    }
  });

  it("random actions by three members keep the contract's invariants after every step", async () => {
    await fc.assert(
      // Each run starts with an invitation, so that most answers have something to act on.
      fc.asyncProperty(
        fc.tuple(sendArb, fc.array(opArb, { maxLength: 9 })),
        async ([first, rest]) => {
          const ops: Op[] = [first, ...rest];
          const run = ++runs;
          const members = await Promise.all(
            [0, 1, 2].map((n) =>
              signUp(server, {
                name: `Prop ${run}-${n}`,
                email: `prop-${run}-${n}-${randomUUID().slice(0, 6)}@example.com`,
              }),
            ),
          );
          const invitations: string[] = [];
          /** Each invitation's parties, by member index. */
          const parties = new Map<string, { sender: number; recipient: number }>();
          const indexOf = (id: string) => members.findIndex((m) => m.id === id);
          const observe = () =>
            Promise.all(
              members.map((m) =>
                see(
                  m,
                  members.filter((o) => o !== m),
                  invitations,
                ),
              ),
            );
          let before = await observe();
          for (const op of ops) {
            let res: GqlResult;
            let actor: number;
            let id: string | undefined;
            if (op.kind === "answer") {
              // An invitation of the run, or (none yet) an id that exists nowhere.
              // Mostly the latest invitations of the run (older ones are mostly answered).
              id = invitations.length
                ? invitations[invitations.length - 1 - (op.index % invitations.length)]
                : randomUUID();
              const p = parties.get(id) ?? { sender: 0, recipient: 1 };
              const party = op.action === "withdraw" ? p.sender : p.recipient;
              const other = op.action === "withdraw" ? p.recipient : p.sender;
              actor = { party, other, third: 3 - p.sender - p.recipient }[op.who];
              const vars = { id, message: op.message ?? undefined };
              res = await gql(server, MUTATIONS[op.action], vars, members[actor].token);
            } else {
              actor = op.actor;
              const to = members[(op.actor + op.to) % 3].id;
              const vars = { to, message: op.kind === "send" ? op.message : undefined };
              res = await gql(server, MUTATIONS[op.kind], vars, members[actor].token);
            }
            const inv = res.data?.r?.invitation;
            if (inv && !parties.has(inv.id)) {
              invitations.push(inv.id);
              parties.set(inv.id, {
                sender: indexOf(inv.sender.id),
                recipient: indexOf(inv.recipient.id),
              });
            }
            for (const e of res.errors ?? []) {
              // Every error carries a code from the errors registry.
              expect(REGISTRY).toContain(e.extensions?.code);
            }
            const after = await observe();
            checkApi(members, after);
            if (res.errors?.length) {
              // A failed mutation changes nothing anyone can see.
              expect(after).toEqual(before);
            } else if (op.kind === "answer" && (op.action === "ignore" || op.action === "report")) {
              // Rule 1: an ignore or a report changes nothing its sender can see.
              const sender = parties.get(id!)!.sender;
              if (sender !== actor) expect(after[sender]).toEqual(before[sender]);
            }
            before = after;
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
