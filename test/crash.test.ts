import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  startInstance,
  wsClient,
  type Instance,
  type Sub,
  type WsClient,
} from "./helpers/cluster";
import { writeLoadUntilKilled, type Entry, type Status } from "./helpers/crash-load";
import { gql, invite, ok, signUp, type HasUrl, type TestMember } from "./helpers/http";
import { DATABASE_URL, REDIS_URL } from "./helpers/server";

// A server process under write load is killed with SIGKILL (no shutdown hook runs), then
// started again on the same data. Every mutation that was answered with success must be
// there, the SQLite file must pass `PRAGMA integrity_check`, and a subscriber that was
// receiving `notificationAdded` and resumes with its last cursor must get every notification
// committed before the crash exactly once: what it had received plus the replay is the
// stored list, in order, with nothing missing and nothing twice.

/** Load workers, each with one request in flight at a time. */
const WORKERS = 6;
/** Kill once this many mutations have answered success... */
const KILL_AFTER_SUCCESSES = 150;
/** ...and the subscriber has received at least this many notifications. */
const KILL_AFTER_EVENTS = 10;
/** Stop the load anyway past this (the test then fails on what it expected to see). */
const MAX_SUCCESSES = 3_000;

const NOTIFICATION_ADDED = `subscription ($after: String) {
  notificationAdded(after: $after) { id kind cursor invitation { id } }
}`;

/** What a notification looks like here, in the subscription and in the list. */
interface Note {
  id: string;
  kind: string;
  cursor: string;
  invitation: { id: string } | null;
}

const engines = [
  { engine: "SQLite", postgres: false },
  ...(DATABASE_URL ? [{ engine: "PostgreSQL", postgres: true }] : []),
];

describe.each(engines)("$engine: SIGKILL under write load, then a restart", ({ postgres }) => {
  const dir = mkdtempSync(join(tmpdir(), "invitations-crash-"));
  const sqlitePath = join(dir, "crash.sqlite");
  let env: Record<string, string>;
  let before: Instance;
  let after: Instance;
  const sockets: WsClient[] = [];

  let hub: TestMember;
  let firstCursor: string;
  let liveSub: Sub;
  let ledger: Entry[] = [];
  let unexpected: string[] = [];
  let integrityBeforeRestart: unknown;

  beforeAll(async () => {
    env = {
      SQLITE_PATH: sqlitePath,
      // Not inherited: on SQLite the child must not pick up the suite's PostgreSQL or Redis.
      DATABASE_URL: postgres ? await createTestDatabase(DATABASE_URL!, "crash") : "",
      REDIS_URL: postgres && REDIS_URL ? REDIS_URL : "",
      // The same secret after the restart: the tokens given before it stay valid.
      JWT_SECRET: "crash-test-secret",
      // The load declines and invites the same pairs again and again.
      INVITATION_COOLDOWN_DAYS: "0",
      WEEKLY_INVITATION_LIMIT: "100000",
      PENDING_INVITATION_LIMIT: "100000",
      // Every member of the load signs up from this one address.
      SIGNUP_MAX_PER_IP: "1000000",
    };
    before = await startInstance("before", env);

    hub = await signUp(before, { name: "Hub" });
    const senders = await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => signUp(before, { name: `Sender ${w}` })),
    );
    const recipients = await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => signUp(before, { name: `Recipient ${w}` })),
    );
    // A first notification, so that the subscriber has a cursor to start from.
    const seed = await signUp(before, { name: "Seed" });
    ok(await invite(before, seed, hub.id, "first"));
    const list = ok(
      await gql(before, `query { notifications { edges { cursor } } }`, {}, hub.token),
    );
    firstCursor = list.notifications.edges[0].cursor;

    const ws = wsClient(before.wsUrl, hub.token);
    sockets.push(ws);
    liveSub = ws.subscribe(NOTIFICATION_ADDED, { after: firstCursor });

    ({ ledger, unexpected } = await writeLoadUntilKilled({
      server: before,
      hub,
      senders,
      recipients,
      liveSub,
      killAfterSuccesses: KILL_AFTER_SUCCESSES,
      killAfterEvents: KILL_AFTER_EVENTS,
      maxSuccesses: MAX_SUCCESSES,
    }));
    expect(await before.exited).toEqual({ code: null, signal: "SIGKILL" });

    if (!postgres) {
      // Read the file as the crash left it, before anything recovers or checkpoints it.
      const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
      integrityBeforeRestart = db.pragma("integrity_check");
      db.close();
    }
    after = await startInstance("after", env);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(sockets.map((s) => s.close()));
    if (before && before.child.exitCode === null && before.child.signalCode === null) {
      before.child.kill("SIGKILL");
    }
    await after?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the load ran and the kill caught requests in flight", () => {
    expect(unexpected).toEqual([]);
    expect(ledger.filter((e) => e.outcome === "ok").length).toBeGreaterThanOrEqual(
      KILL_AFTER_SUCCESSES,
    );
    expect(ledger.filter((e) => e.outcome === "unknown").length).toBeGreaterThan(0);
    expect(liveSub.events.length).toBeGreaterThanOrEqual(KILL_AFTER_EVENTS);
  });

  it.skipIf(postgres)(
    "the SQLite file passes integrity_check, before and after the restart",
    () => {
      expect(integrityBeforeRestart).toEqual([{ integrity_check: "ok" }]);
      const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
      try {
        expect(db.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
        expect(db.pragma("foreign_key_check")).toEqual([]);
      } finally {
        db.close();
      }
    },
  );

  it("every invitation change that was answered is there, as the hub sees it", async () => {
    // The last answered change of each invitation, and one in flight after it, if any.
    const expected = new Map<string, { status?: Status; responseMessage?: string | null }[]>();
    for (const e of ledger) {
      if (!e.invitationId || !e.status) continue;
      const state = { status: e.status, responseMessage: e.response };
      const known = expected.get(e.invitationId) ?? [];
      expected.set(e.invitationId, e.outcome === "ok" ? [state] : [...known, state]);
    }
    const q = `query ($id: ID!) { invitation(id: $id) { status responseMessage } }`;
    const problems: string[] = [];
    for (const [id, allowed] of expected) {
      const seen = ok(await gql(after, q, { id }, hub.token)).invitation;
      // An answered one must be in its answered state, or in the state of the request that
      // was in flight after it.
      if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(seen))) {
        problems.push(`${id}: ${JSON.stringify(seen)}, expected one of ${JSON.stringify(allowed)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("every answered sign-up is a member; every answered accept is a connection", async () => {
    const newcomers = ledger.filter((e) => e.outcome === "ok" && e.member);
    expect(newcomers.length).toBeGreaterThan(0);
    for (const e of newcomers) {
      const res = ok(await gql(after, `query { viewer { id } }`, {}, e.member!.token));
      expect(res.viewer, e.what).toEqual({ id: e.member!.id });
    }
    const accepted = ledger.filter(
      (e) => e.outcome === "ok" && e.hubNote === "INVITATION_ACCEPTED",
    );
    const conns = ok(
      await gql(
        after,
        `query { connections(first: 100) { edges { node { id } } } }`,
        {},
        hub.token,
      ),
    ).connections.edges.map((e: { node: { id: string } }) => e.node.id);
    // The accept's invitation was to a newcomer; the newcomer is connected to the hub.
    for (const e of accepted) {
      const inv = ok(
        await gql(
          after,
          `query ($id: ID!) { invitation(id: $id) { recipient { id } } }`,
          { id: e.invitationId },
          hub.token,
        ),
      );
      expect(conns, e.what).toContain(inv.invitation.recipient.id);
    }
  });

  it("the subscriber resumes with its last cursor: every stored notification exactly once", async () => {
    const stored = await allNotifications(after, hub.token);
    // In the order the cursors give (the list is newest first).
    stored.reverse();
    const startAt = stored.findIndex((n) => n.cursor === firstCursor);
    expect(startAt).toBe(0);
    const sinceFirst = stored.slice(1);

    // Each answered mutation that told the hub something is in the store...
    const answered = ledger.filter((e) => e.outcome === "ok" && e.hubNote);
    for (const e of answered) {
      const match = (n: Note) =>
        n.kind === e.hubNote && (!e.invitationId || n.invitation?.id === e.invitationId);
      expect(sinceFirst.some(match), e.what).toBe(true);
    }
    // ...and nothing else is, except what a request in flight at the kill may have committed.
    const inFlight = ledger.filter((e) => e.outcome === "unknown" && e.hubNote).length;
    expect(sinceFirst.length).toBeGreaterThanOrEqual(answered.length);
    expect(sinceFirst.length).toBeLessThanOrEqual(answered.length + inFlight);

    // What the subscriber got before the crash: the stored ones from the start, in order.
    const got = liveSub.events as Note[];
    expect(got.map((n) => n.id)).toEqual(sinceFirst.slice(0, got.length).map((n) => n.id));

    // Resuming after the last one it has gives exactly the rest, then live ones.
    const ws = wsClient(after.wsUrl, hub.token);
    sockets.push(ws);
    const resumed = ws.subscribe(NOTIFICATION_ADDED, { after: got[got.length - 1].cursor });
    const rest: Note[] = [];
    for (let i = got.length; i < sinceFirst.length; i++) rest.push(await resumed.next(10_000));
    expect(rest.map((n) => n.id)).toEqual(sinceFirst.slice(got.length).map((n) => n.id));

    // The next event is a new notification, not a repeat of one already delivered.
    const late = await signUp(after, { name: "Late" });
    const lateId = ok(await invite(after, late, hub.id, "after the crash")).sendInvitation
      .invitation.id;
    const next: Note = await resumed.next(10_000);
    expect(next).toMatchObject({ kind: "INVITATION_RECEIVED", invitation: { id: lateId } });
    const all = [...got, ...rest, next].map((n) => n.id);
    expect(new Set(all).size).toBe(all.length);
  });

  it("a subscriber that stopped reading earlier resumes from its cursor just as well", async () => {
    const stored = (await allNotifications(after, hub.token)).reverse();
    const from = Math.floor(stored.length / 3);
    const ws = wsClient(after.wsUrl, hub.token);
    sockets.push(ws);
    const sub = ws.subscribe(NOTIFICATION_ADDED, { after: stored[from].cursor });
    const replayed: Note[] = [];
    for (let i = from + 1; i < stored.length; i++) replayed.push(await sub.next(10_000));
    expect(replayed.map((n) => n.id)).toEqual(stored.slice(from + 1).map((n) => n.id));
    const late = await signUp(after, { name: "Later still" });
    const id = ok(await invite(after, late, hub.id, "later")).sendInvitation.invitation.id;
    expect(await sub.next(10_000)).toMatchObject({
      kind: "INVITATION_RECEIVED",
      invitation: { id },
    });
  });
});

/** Every notification of the member, newest first, through the API's pages. */
async function allNotifications(server: HasUrl, token: string): Promise<Note[]> {
  const out: Note[] = [];
  let after: string | null = null;
  for (;;) {
    const page: {
      edges: { node: Note }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    } = ok(
      await gql(
        server,
        `query ($after: String) {
          notifications(first: 100, after: $after) {
            edges { node { id kind cursor invitation { id } } }
            pageInfo { hasNextPage endCursor }
          }
        }`,
        { after },
        token,
      ),
    ).notifications;
    out.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}
