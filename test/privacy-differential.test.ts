import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import type { JobsReport } from "../src/jobs/jobs.service";
import { act, codeOf, gql, invite, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import {
  MAX_NESTING,
  Normalizer,
  Observer,
  operationFor,
  uncovered,
  type Recording,
  type Target,
} from "./helpers/observe";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll } from "./helpers/ws";

// Privacy, differentially (docs/security.md, "Privacy: no oracles"): two worlds on two fresh
// servers differ ONLY in the other member's hidden choice; everything the observer can see
// through the API (every query with every field, every subscription held open throughout,
// every mutation they could try against the other member, over several weeks of the worlds'
// clocks, and which of their queries the response cache answered: what timing their own
// reads would tell) must be identical once ids, timestamps and cursors are normalised. The
// jobs run where they would change something for the other member (reminders at a week,
// after a withdraw, the expiry), each followed by a snapshot. Each comparison has a sanity
// twin where the choice is visible, which must differ: an identical result is only evidence
// if the recorder can see a change.

const START = new Date("2031-05-05T09:00:00.000Z");
const DAY_MS = 24 * 60 * 60 * 1000;

const servers: TestServer[] = [];

afterEach(async () => {
  await closeAll();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A recording, and what the first job run did (hidden from the observer). */
type Run = Recording & { jobs: JobsReport };

interface World {
  server: TestServer;
  clock: ManualClock;
}

async function newWorld(env: Record<string, string> = {}): Promise<World> {
  const clock = new ManualClock(START);
  const server = await startTestServer({ clock, env });
  servers.push(server);
  return { server, clock };
}

const ACME = { employer: "Acme", industry: "Software", school: "Tech U" };

/** A member with a fixed email, so that both worlds hold the same data. */
function join(w: World, name: string, fields: object = {}): Promise<TestMember> {
  const email = `${name.toLowerCase().replace(/\W+/g, ".")}@example.com`;
  return signUp(w.server, { name, email, ...fields });
}

/**
 * `a` invites `b` and `b` accepts, a second apart each (no ties in any ordering); returns the
 * invitation's id.
 */
async function befriend(w: World, a: TestMember, b: TestMember): Promise<string> {
  w.clock.advance(1000);
  const id = await inviteOk(w.server, a, b.id);
  w.clock.advance(1000);
  ok(await act(w.server, b, "acceptInvitation", id));
  return id;
}

/**
 * What every world goes through after the other member's choice, all recorded: a week (the
 * reminder job runs), every probe, a withdraw and its cooldown, inviting again, an expiry
 * (180 days) and inviting at once, then blocking and unblocking.
 */
async function script(w: World, obs: Observer): Promise<Run> {
  await obs.snapshot("after the choice");
  w.clock.advance(8 * DAY_MS);
  const jobs = await w.server.runJobs();
  await obs.snapshot("a week later, reminders sent");
  await obs.probeTarget();
  await obs.probeWithdraw();
  await obs.snapshot("withdrawn, in the cooldown");
  // Clears a reminder the recipient had set on the withdrawn invitation, if any.
  await w.server.runJobs();
  await obs.snapshot("withdrawn, the jobs ran");
  w.clock.advance(22 * DAY_MS);
  await obs.probeSend();
  await obs.snapshot("invited again after the cooldown");
  w.clock.advance(181 * DAY_MS);
  await w.server.runJobs();
  await obs.snapshot("after the expiry");
  await obs.probeSend();
  await obs.probeBlock();
  await obs.snapshot("after blocking and unblocking");
  return { ...(await obs.finish()), jobs };
}

function observer(
  w: World,
  member: TestMember,
  target: Target,
  labels: Record<string, string>,
  searches: string[],
): Observer {
  return new Observer({
    server: w.server,
    member,
    target,
    clock: w.clock,
    labels,
    timeBase: START,
    searches,
    nobody: randomUUID(),
  });
}

// ---------------------------------------------------------------------------------------------
// Observer = the sender; the recipient's choice on the invitation is hidden (a, b) or visible

type RecipientChoice =
  "untouched" | "ignore" | "report" | "decline" | "private" | "late-reminder" | "reminders-off";

/**
 * Sam invites Rita (colleagues with a common connection, Carl); Rita then makes `choice`
 * while Sam holds every subscription open. Returns what Sam observed.
 */
async function senderWorld(choice: RecipientChoice): Promise<Run> {
  const w = await newWorld();
  const sam = await join(w, "Sam Sender", ACME);
  const rita = await join(w, "Rita Recipient", ACME);
  const carl = await join(w, "Carl Common", { employer: "Acme" });
  const dana = await join(w, "Dana Else", { industry: "Software" });
  await befriend(w, sam, carl);
  await befriend(w, rita, carl);
  await befriend(w, dana, carl);
  w.clock.advance(1000);
  const inv = await inviteOk(w.server, sam, rita.id, "Hello Rita");
  const obs = observer(
    w,
    sam,
    { memberId: rita.id, name: rita.name, email: rita.email, invitationIds: [inv] },
    { [rita.id]: "@other", [inv]: "@inv1", [carl.id]: "@carl", [dana.id]: "@dana" },
    ["Acme", "Software", "Carl"],
  );
  await obs.start();
  w.clock.advance(1000);
  if (choice === "ignore") {
    expect(ok(await act(w.server, rita, "ignoreInvitation", inv)).ignoreInvitation.status).toBe(
      "IGNORED",
    );
  } else if (choice === "report") {
    const q = `mutation ($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`;
    expect(ok(await gql(w.server, q, { id: inv }, rita.token)).reportInvitation).toBe(true);
  } else if (choice === "decline") {
    ok(await act(w.server, rita, "declineInvitation", inv, "Not now"));
  } else if (choice === "late-reminder") {
    // Her own reminder, due after the sender withdraws: the jobs clear it then.
    const q = `mutation ($id: ID!, $at: DateTimeISO!) { setInvitationReminder(id: $id, remindAt: $at) { id } }`;
    const at = new Date(w.clock.now().getTime() + 20 * DAY_MS).toISOString();
    ok(await gql(w.server, q, { id: inv, at }, rita.token));
  } else if (choice === "reminders-off") {
    const q = `mutation { updateInvitationSettings(input: { reminders: false }) { reminders } }`;
    ok(await gql(w.server, q, {}, rita.token));
  } else if (choice === "private") {
    // Everything Rita keeps to herself: her settings, her own reminder, what she has read.
    const mine = `mutation ($id: ID!, $at: DateTimeISO!) {
      updateInvitationSettings(input: { notifyOnInvitation: false, reminders: false }) { reminders }
      setInvitationReminder(id: $id, remindAt: $at) { id }
    }`;
    const at = new Date(w.clock.now().getTime() + 3 * DAY_MS).toISOString();
    ok(await gql(w.server, mine, { id: inv, at }, rita.token));
    const all = ok(
      await gql(w.server, `query { notifications { edges { node { id } } } }`, {}, rita.token),
    );
    const ids = all.notifications.edges.map((e: { node: { id: string } }) => e.node.id);
    const read = `mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`;
    expect(ok(await gql(w.server, read, { ids }, rita.token)).markNotificationsRead).toBe(
      ids.length,
    );
  }
  return script(w, obs);
}

// ---------------------------------------------------------------------------------------------
// Observer = the sender, with four puppets of their own that report them; the recipient's
// report would be the fifth (f): the report restriction is silent (rule 12)

/**
 * Sam invites Rita and four puppets (accounts Sam controls), the puppets report Sam, and Rita
 * reports or ignores. With Rita's report Sam is restricted; without it, not. Sam then invites
 * Tom, a stranger: everything Sam observes must be the same, where Tom's inbox differs.
 */
async function restrictionWorld(
  ritaReports: boolean,
  tomDiscards = false,
): Promise<Run & { tomSees: unknown }> {
  const w = await newWorld();
  const sam = await join(w, "Sam Sender", ACME);
  const rita = await join(w, "Rita Recipient", ACME);
  const tom = await join(w, "Tom Stranger");
  if (tomDiscards) {
    const q = `mutation { updateInvitationSettings(input: { policy: { restrictedSenders: DISCARD } }) { reminders } }`;
    ok(await gql(w.server, q, {}, tom.token));
  }
  const puppets = [];
  for (let i = 1; i <= 4; i++) puppets.push(await join(w, `Puppet ${i}`));
  w.clock.advance(1000);
  const inv = await inviteOk(w.server, sam, rita.id, "Hello Rita");
  const obs = observer(
    w,
    sam,
    { memberId: rita.id, name: rita.name, email: rita.email, invitationIds: [inv] },
    { [rita.id]: "@other", [inv]: "@inv1", [tom.id]: "@tom" },
    ["Acme", "Puppet"],
  );
  await obs.start();
  const reportQ = `mutation ($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`;
  for (const puppet of puppets) {
    w.clock.advance(1000);
    const id = await inviteOk(w.server, sam, puppet.id);
    w.clock.advance(1000);
    ok(await gql(w.server, reportQ, { id }, puppet.token));
  }
  w.clock.advance(1000);
  if (ritaReports) ok(await gql(w.server, reportQ, { id: inv }, rita.token));
  else ok(await act(w.server, rita, "ignoreInvitation", inv));
  await obs.snapshot("after the fifth report, or an ignore");
  await obs.probe("sendInvitation", { input: { recipientId: tom.id, message: "Hi Tom" } });
  const tomSees = ok(
    await gql(
      w.server,
      `query { p: receivedInvitations { totalCount } f: receivedInvitations(filter: { status: FILTERED }) { totalCount } }`,
      {},
      tom.token,
    ),
  );
  return { ...(await script(w, obs)), tomSees };
}

// ---------------------------------------------------------------------------------------------
// Observer = the sender; the recipient's whoCanInvite setting filters the invitation (c)

type Setting = "EVERYONE" | "SECOND_DEGREE" | "EMAIL_REQUIRED";

/**
 * Rita sets `whoCanInvite` (a setting only she can read), then Sam invites her, giving
 * `email` (the same in both worlds of a pair). Sam shares no connection with Rita.
 */
async function filterWorld(setting: Setting | object, email?: string): Promise<Run> {
  const w = await newWorld();
  const sam = await join(w, "Sam Sender", ACME);
  const rita = await join(w, "Rita Recipient", ACME);
  const carl = await join(w, "Carl Common", { employer: "Acme" });
  await befriend(w, sam, carl);
  const target: Target = {
    memberId: rita.id,
    name: rita.name,
    email: rita.email,
    invitationIds: [],
    sendWith: { message: "Hello Rita", ...(email ? { recipientEmail: email } : {}) },
  };
  const obs = observer(w, sam, target, { [rita.id]: "@other", [carl.id]: "@carl" }, ["Acme"]);
  await obs.start();
  w.clock.advance(1000);
  // A whoCanInvite value, or any settings input (a policy, a pause).
  const input = typeof setting === "string" ? { whoCanInvite: setting } : setting;
  if (setting !== "EVERYONE") {
    const q = `mutation ($input: InvitationSettingsInput!) { updateInvitationSettings(input: $input) { reminders } }`;
    ok(await gql(w.server, q, { input }, rita.token));
  }
  await obs.probeSend();
  // The premise: where it landed is what the worlds differ in (read as Rita, not recorded).
  const lists = `query { p: receivedInvitations { totalCount } f: receivedInvitations(filter: { status: FILTERED }) { totalCount } }`;
  const seen = ok(await gql(w.server, lists, {}, rita.token));
  const discards = JSON.stringify(input).includes("DISCARD");
  expect([seen.p.totalCount, seen.f.totalCount]).toEqual(
    setting === "EVERYONE" ? [1, 0] : discards ? [0, 0] : [0, 1],
  );
  return script(w, obs);
}

// ---------------------------------------------------------------------------------------------
// Observer = Alex (or Casey); Blake blocked Alex, or deleted his account, or never existed, or
// exists and did nothing (d). Deleted = blocked = never existed, after as before a send.

/**
 * Blake's part. `exists: false`: Blake never existed. `first`: what Blake did before Alex
 * tried to invite him (the send then fails NOT_FOUND, as for an id that never existed).
 * `before`: what Blake did after Alex's invitation, while Alex was away, before the recording
 * starts. `choice`: what Blake does while Alex holds every subscription open.
 */
interface BlakeIs {
  exists: boolean;
  first?: "block" | "delete";
  before?: "accept-then-block" | "block" | "accept-then-delete" | "delete";
  choice?: "block" | "block-then-unblock" | "delete";
  /** Who records: Alex (the default), or Casey, Blake's connection (Blake can only delete). */
  observer?: "alex" | "casey";
}

/**
 * Alex's weekly cap in these worlds. Before the recording Alex has sent one invitation to
 * Casey and two to the recorder's witnesses (and one to Blake, where Blake existed then); while
 * recorded he invites three more members, so the cap is reached there: a send to Blake that
 * still counted would show as one RATE_LIMITED more.
 */
const WEEKLY_LIMIT = 5;

/**
 * Alex and Blake are colleagues with a common connection, Casey; Alex invited Blake before
 * Blake's choice. Where Blake never existed, a random id stands in every place Blake's id
 * (and the invitation's) would, and Casey has only Alex. Each phase of Blake's takes the same
 * time on the world's clock whatever happens in it, so timestamps stay comparable.
 */
async function blockWorld(blake: BlakeIs): Promise<Run> {
  const w = await newWorld({ WEEKLY_INVITATION_LIMIT: String(WEEKLY_LIMIT) });
  const alex = await join(w, "Alex Observer", ACME);
  const casey = await join(w, "Casey Common", { school: "Tech U" });
  await befriend(w, alex, casey);
  const dees = [await join(w, "Dee One"), await join(w, "Dee Two"), await join(w, "Dee Three")];
  let blakeMember: TestMember | null = null;
  let otherId: string = randomUUID();
  let invId: string = randomUUID();
  let caseysId: string = randomUUID(); // Casey's invitation to Blake, accepted
  if (blake.exists) {
    blakeMember = await join(w, "Blake Other", ACME);
    otherId = blakeMember.id;
    caseysId = await befriend(w, casey, blakeMember);
  } else {
    w.clock.advance(2000); // what befriending would have taken
  }
  const asBlake = (query: string, variables: object) => {
    w.clock.advance(1000);
    return gql(w.server, query, variables, blakeMember!.token).then(ok);
  };
  const block = () => asBlake(`mutation ($id: ID!) { blockMember(id: $id) }`, { id: alex.id });
  const remove = () =>
    asBlake(`mutation ($p: String!) { deleteAccount(password: $p) }`, {
      p: blakeMember!.password,
    });
  const accept = () =>
    asBlake(`mutation ($id: ID!) { acceptInvitation(id: $id) { id } }`, { id: invId });
  /** Runs Blake's part of a phase; the phase takes 5 s in every world, whatever happened. */
  const phase = async (run: () => Promise<unknown>) => {
    const start = w.clock.now().getTime();
    await run();
    w.clock.set(new Date(start + 5000));
  };

  await phase(async () => {
    if (blake.first === "block") await block();
    else if (blake.first === "delete") await remove();
  });
  w.clock.advance(1000);
  if (blakeMember && !blake.first) invId = await inviteOk(w.server, alex, otherId, "Hi Blake");
  else expect(codeOf(await invite(w.server, alex, otherId, "Hi Blake"))).toBe("NOT_FOUND");
  await phase(async () => {
    if (blake.before?.startsWith("accept-then-")) await accept();
    if (blake.before?.endsWith("block")) await block();
    else if (blake.before?.endsWith("delete")) await remove();
  });

  const recorder = blake.observer === "casey" ? casey : alex;
  const target: Target = {
    memberId: otherId,
    name: "Blake Other",
    email: "blake.other@example.com",
    invitationIds: recorder === alex ? [invId] : [caseysId],
  };
  const labels = {
    [otherId]: "@other",
    [invId]: "@inv1",
    [caseysId]: "@caseys",
    [alex.id]: "@alex",
    [casey.id]: "@casey",
    ...Object.fromEntries(dees.map((d, i) => [d.id, `@dee${i + 1}`])),
  };
  const obs = observer(w, recorder, target, labels, ["Acme", "Tech"]);
  await obs.start();
  await phase(async () => {
    if (blake.choice === "delete") await remove();
    else if (blake.choice) await block();
    if (blake.choice === "block-then-unblock") {
      await asBlake(`mutation ($id: ID!) { unblockMember(id: $id) }`, { id: alex.id });
    }
  });
  if (recorder === alex) {
    // The weekly cap, recorded: the third is over it where no send to Blake counts.
    for (const dee of dees) {
      await obs.probe("sendInvitation", { input: { recipientId: dee.id, message: "Hi Dee" } });
    }
  }
  return script(w, obs);
}

/** The codes of the recorded sends to the Dees (the weekly cap): null for a send that went. */
function capOf(run: Run): unknown[] {
  return (run.mutations as { vars: { input?: { message?: string } }; errors?: unknown[] }[])
    .filter((m) => m.vars.input?.message === "Hi Dee")
    .map((m) => (m.errors?.[0] as { extensions?: { code?: string } })?.extensions?.code ?? null);
}

// ---------------------------------------------------------------------------------------------

const memo = new Map<string, Promise<Run>>();

/** Each distinct world is built once and its recording shared by the tests comparing it. */
function world(key: string, build: () => Promise<Run>): Promise<Run> {
  let run = memo.get(key);
  if (!run) memo.set(key, (run = build()));
  return run;
}

const untouchedSender = () => world("sender untouched", () => senderWorld("untouched"));
const blakeNever = () => world("blake never existed", () => blockWorld({ exists: false }));
const blakeBystander = () => world("blake bystander", () => blockWorld({ exists: true }));
const blakeBlockedAway = () =>
  world("blake blocked while away", () => blockWorld({ exists: true, before: "block" }));
const blakeAcceptedThenBlocked = () =>
  world("blake accepted, then blocked, while away", () =>
    blockWorld({ exists: true, before: "accept-then-block" }),
  );
const blakeLiftedBlock = () =>
  world("blake blocked and unblocked", () =>
    blockWorld({ exists: true, choice: "block-then-unblock" }),
  );
const blakeBlocked = () =>
  world("blake blocked", () => blockWorld({ exists: true, choice: "block" }));
const blakeDeleted = () =>
  world("blake deleted", () => blockWorld({ exists: true, choice: "delete" }));
const blakeDeletedAway = () =>
  world("blake deleted while away", () => blockWorld({ exists: true, before: "delete" }));
const blakeAcceptedThenDeleted = () =>
  world("blake accepted, then deleted, while away", () =>
    blockWorld({ exists: true, before: "accept-then-delete" }),
  );

/** Asserts two recordings are identical, part by part (smaller diffs when one is not). */
function expectSame(a: Run, b: Run): void {
  // In time order: the first difference is the one to read.
  expect(a.snapshots[0]).toEqual(b.snapshots[0]);
  expect(a.mutations).toEqual(b.mutations);
  expect(a.snapshots).toEqual(b.snapshots);
  expect(a.subscriptions).toEqual(b.subscriptions);
}

/** Per snapshot, per query: whether the response cache answered it. */
function cacheOf(run: Run): unknown[][] {
  return (run.snapshots as { results: { cache?: boolean }[] }[]).map((s) =>
    s.results.map((r) => r.cache),
  );
}

/** Asserts the recorder saw the visible choice in every part: queries, events, errors. */
function expectDifferentEverywhere(a: Run, b: Run): void {
  expect(a.snapshots).not.toEqual(b.snapshots);
  expect(a.subscriptions).not.toEqual(b.subscriptions);
  expect(a.mutations).not.toEqual(b.mutations);
}

describe("the recorder", () => {
  it("covers every root Query, Subscription and Mutation field of the schema", () => {
    expect(uncovered()).toEqual({ queries: [], subscriptions: [], mutations: [] });
  });

  it("selects every field, nested", () => {
    const op = operationFor("query", "notifications", {});
    for (const field of ["actor", "invitation", "sender", "recipient", "responseMessage"]) {
      expect(op).toContain(field);
    }
    expect(op).toMatch(/sender \{[^}]*connections\(first: 2\) \{ edges \{ cursor/);
    expect(MAX_NESTING).toBeGreaterThan(3);
  });

  it("normalises ids, timestamps and cursors, and keeps what a cursor encodes", () => {
    const id = randomUUID();
    const cursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");
    const n = new Normalizer({ [id]: "@x" }, START.getTime());
    expect(
      n.value({
        a: id,
        b: randomUUID(),
        at: "2031-05-05T09:00:01.500Z",
        message: `until ${START.toISOString()} for ${id}`,
        cursor: cursor([START.getTime() + 5, id]),
        edges: [{ cursor: cursor([7]) }],
      }),
    ).toEqual({
      a: "@x",
      b: "#1",
      at: "t+1500ms",
      message: "until t+0ms for @x",
      cursor: { cursor: ["t+5ms", "@x"] },
      edges: [{ cursor: { cursor: [7] } }],
    });
  });
});

describe("privacy, differentially: what a member observes does not depend on a hidden choice", () => {
  it("sanity: the sender's recording shows a decline (queries, events and errors)", async () => {
    const untouched = await untouchedSender();
    const declined = await senderWorld("decline");
    expectDifferentEverywhere(declined, untouched);
    // The cache's hits too: the recorder sees them move.
    expect(cacheOf(declined)).not.toEqual(cacheOf(untouched));
    expect(cacheOf(untouched).flat()).toContain(true);
  }, 90_000);

  it("(a) ignored looks exactly like untouched to the sender", async () => {
    const untouched = await untouchedSender();
    const ignored = await senderWorld("ignore");
    // The worlds do differ inside: only the untouched invitation got its reminder.
    expect([untouched.jobs.reminders, ignored.jobs.reminders]).toEqual([1, 0]);
    expectSame(ignored, untouched);
  }, 90_000);

  it("(b) one report looks exactly like untouched to the sender", async () => {
    const untouched = await untouchedSender();
    const reported = await senderWorld("report");
    expect([untouched.jobs.reminders, reported.jobs.reminders]).toEqual([1, 0]);
    expectSame(reported, untouched);
  }, 90_000);

  it("(e) the recipient's settings, own reminder and reading look like untouched to the sender", async () => {
    const untouched = await untouchedSender();
    const kept = await senderWorld("private");
    // Her own reminder replaced the automatic one (which she turned off).
    expect([untouched.jobs.reminders, kept.jobs.reminders]).toEqual([1, 0]);
    expect(kept.jobs.customReminders).toBe(1);
    expectSame(kept, untouched);
  }, 90_000);

  it("(e) her reminders turned off look exactly like untouched to the sender", async () => {
    const untouched = await untouchedSender();
    const off = await senderWorld("reminders-off");
    expect([untouched.jobs.reminders, off.jobs.reminders]).toEqual([1, 0]);
    expectSame(off, untouched);
  }, 90_000);

  it("(e) her own reminder, cleared after the sender withdraws, looks like untouched", async () => {
    const untouched = await untouchedSender();
    const late = await senderWorld("late-reminder");
    expectSame(late, untouched);
  }, 90_000);

  it("(f) restricted by a fifth report looks exactly like not restricted to the sender", async () => {
    const ignored = await restrictionWorld(false);
    const reported = await restrictionWorld(true);
    // The premise: Tom's invitation landed apart only where Rita reported.
    expect(ignored.tomSees).toEqual({ p: { totalCount: 1 }, f: { totalCount: 0 } });
    expect(reported.tomSees).toEqual({ p: { totalCount: 0 }, f: { totalCount: 1 } });
    const { tomSees: _a, ...a } = reported;
    const { tomSees: _b, ...b } = ignored;
    expectSame(a, b);
  }, 90_000);

  it("(f) restricted, with the stranger's restrictedSenders DISCARD, looks like not restricted", async () => {
    const ignored = await restrictionWorld(false, true);
    const reported = await restrictionWorld(true, true);
    expect(ignored.tomSees).toEqual({ p: { totalCount: 1 }, f: { totalCount: 0 } });
    expect(reported.tomSees).toEqual({ p: { totalCount: 0 }, f: { totalCount: 0 } });
    const { tomSees: _a, ...a } = reported;
    const { tomSees: _b, ...b } = ignored;
    expectSame(a, b);
  }, 90_000);

  // Rules 11: Sam's account is new, shares no connection with Rita and is outside her network:
  // each category with each action that sets aside, and a pause, against a plain delivery.
  const delivered = () => world("delivered (policies)", () => filterWorld("EVERYONE"));
  for (const category of ["newAccounts", "noMutualConnections", "outsideNetwork"]) {
    for (const action of ["FILTER", "DISCARD"]) {
      it(`(g) ${category}: ${action} looks exactly like delivered to the sender`, async () => {
        const aside = await filterWorld({ policy: { [category]: action } });
        const plain = await delivered();
        expect([plain.jobs.reminders, aside.jobs.reminders]).toEqual([1, 0]);
        expectSame(aside, plain);
      }, 90_000);
    }
  }

  it("(h) every cursor the sender saw is refused in every other list (rule 15)", async () => {
    type Swap = { field: string; from: string; errors?: { extensions?: { code?: string } }[] };
    const run = (await untouchedSender()) as unknown as { cursorSwaps: Swap[] };
    expect(run.cursorSwaps.length).toBeGreaterThan(10);
    const fields = new Set(run.cursorSwaps.map((s) => s.field));
    expect([...fields].sort()).toEqual(
      ["connections", "members", "notifications", "receivedInvitations", "sentInvitations"].sort(),
    );
    for (const swap of run.cursorSwaps) {
      expect([swap.field, swap.from, swap.errors?.[0]?.extensions?.code]).toEqual([
        swap.field,
        swap.from,
        "BAD_USER_INPUT",
      ]);
    }
  }, 90_000);

  it("(g) a pause looks exactly like delivered to the sender", async () => {
    // Paused for a day of the world's clock; the invitation stays FILTERED after it ends.
    const until = new Date(START.getTime() + 24 * 60 * 60 * 1000).toISOString();
    const paused = await filterWorld({ pausedUntil: until });
    const plain = await delivered();
    expectSame(paused, plain);
  }, 90_000);

  it("(c) filtered by SECOND_DEGREE looks exactly like delivered to the sender", async () => {
    const delivered = await filterWorld("EVERYONE");
    const filtered = await filterWorld("SECOND_DEGREE");
    expect([delivered.jobs.reminders, filtered.jobs.reminders]).toEqual([1, 0]);
    expectSame(filtered, delivered);
  }, 90_000);

  it("(c) filtered by a wrong email looks exactly like delivered to the sender", async () => {
    const delivered = await filterWorld("EVERYONE", "rita.typo@example.com");
    const filtered = await filterWorld("EMAIL_REQUIRED", "rita.typo@example.com");
    expect([delivered.jobs.reminders, filtered.jobs.reminders]).toEqual([1, 0]);
    expectSame(filtered, delivered);
  }, 90_000);

  it("sanity: a member who exists is seen, where one who never existed is not", async () => {
    const bystander = await blakeBystander();
    const never = await blakeNever();
    // Blake does nothing that would push an event to Alex: only queries and errors differ.
    expect(bystander.snapshots).not.toEqual(never.snapshots);
    expect(bystander.mutations).not.toEqual(never.mutations);
  }, 90_000);

  it("(d) being blocked looks exactly like the blocker never having existed", async () => {
    const blocked = await blakeBlocked();
    const never = await blakeNever();
    // The premise: the weekly cap is reached while recorded, at the third send.
    expect(capOf(never)).toEqual([null, null, "RATE_LIMITED"]);
    expectSame(blocked, never);
  }, 90_000);

  it("sanity: a send to a member who exists counts against the weekly cap", async () => {
    expect(capOf(await blakeBystander())).toEqual([null, "RATE_LIMITED", "RATE_LIMITED"]);
  }, 90_000);

  it("(d) a deletion after a send looks exactly like the member never having existed", async () => {
    const deleted = await blakeDeleted();
    const never = await blakeNever();
    expectSame(deleted, never);
  }, 90_000);

  it("(d) a deletion after a send looks exactly like a block after a send", async () => {
    const deleted = await blakeDeleted();
    const blocked = await blakeBlocked();
    expectSame(deleted, blocked);
  }, 90_000);

  it("(d) a deletion while away looks exactly like a block while away, and never existed", async () => {
    const deleted = await blakeDeletedAway();
    expectSame(deleted, await blakeBlockedAway());
    expectSame(deleted, await blakeNever());
  }, 90_000);

  it("(d) accepted, then deleted looks exactly like accepted, then blocked (connection, notification)", async () => {
    const deleted = await blakeAcceptedThenDeleted();
    expectSame(deleted, await blakeAcceptedThenBlocked());
    expectSame(deleted, await blakeNever());
  }, 90_000);

  it("(d) deleted or blocked before the send looks exactly like never existed", async () => {
    const never = await blakeNever();
    expectSame(await blockWorld({ exists: true, first: "delete" }), never);
    expectSame(await blockWorld({ exists: true, first: "block" }), never);
  }, 120_000);

  it("(d) to his connection too, a deleted member looks exactly like one who never existed", async () => {
    const deleted = await blockWorld({ exists: true, before: "delete", observer: "casey" });
    const never = await blockWorld({ exists: false, observer: "casey" });
    expectSame(deleted, never);
  }, 120_000);

  it("(d) a block while away looks exactly like the blocker never having existed", async () => {
    const blocked = await blakeBlockedAway();
    const never = await blakeNever();
    expectSame(blocked, never);
  }, 90_000);

  // The second case below is an expected failure; the worlds of both are built here, so that a
  // world that cannot be built fails this test instead of passing as an expected failure.
  it("builds the worlds of the block cases below", async () => {
    for (const run of await Promise.all([
      blakeAcceptedThenBlocked(),
      blakeBlockedAway(),
      blakeLiftedBlock(),
      blakeBystander(),
    ])) {
      expect(run.snapshots).toHaveLength(7);
    }
  }, 90_000);

  // A notification hidden by a block still holds its sequence number: a readable cursor would
  // show the gap (Alex, away while Blake accepted and then blocked him, would find his next
  // notifications numbered one higher than if Blake had only blocked him). Cursors are sealed
  // (src/common/pagination.ts, docs/decisions/sealed-cursors.md), so nothing shows.
  it("(d) what the blocker did before blocking leaves no trace (cursor gap)", async () => {
    const acceptedFirst = await blakeAcceptedThenBlocked();
    const blockedOnly = await blakeBlockedAway();
    expectSame(acceptedFirst, blockedOnly);
  }, 90_000);

  // A known, documented exception (docs/security.md, "Known exceptions"): a block closes the
  // pair's open invitations for good (CLOSED_BY_BLOCK, hidden from both) and ends the
  // connection, as rule 3 says, and an unblock restores neither. So after a lifted block Alex's
  // pending invitation has vanished from his sent list, and he may invite Blake again at once:
  // he can infer that he was blocked. Restoring them on unblock would need the state each had
  // before the block (a migration) and a product decision; this test turns red when that lands.
  it.fails(
    "(d) a block that was lifted leaves no trace",
    async () => {
      const lifted = await blakeLiftedBlock();
      const untouched = await blakeBystander();
      expectSame(lifted, untouched);
    },
    90_000,
  );
});
