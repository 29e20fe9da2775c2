import { randomUUID } from "node:crypto";
import type { Instance, Sub } from "./cluster";
import { act, gql, invite, type GqlResult, type TestMember } from "./http";

// The write load of test/crash.test.ts: workers that invite, decline and accept as fast as the
// server answers, each recording what every mutation answered, until the server process is
// killed with SIGKILL while requests are in flight.

const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { token member { id } } }`;

export type Status = "PENDING" | "ACCEPTED" | "DECLINED";

/** A response's `data`; each step reads the one or two fields it needs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;

/** One mutation of the load and what it answered. */
export interface Entry {
  what: string;
  /** "ok": answered success; "unknown": no answer (in flight at the kill). */
  outcome: "ok" | "unknown";
  invitationId?: string;
  /** The invitation's status and response message this mutation leaves (the hub's view). */
  status?: Status;
  response?: string | null;
  /** The kind of the notification it stores for the hub, if any. */
  hubNote?: string;
  /** A member it signed up. */
  member?: { token: string; id: string };
}

/**
 * One worker per sender, each with one request in flight at a time, round after round: the
 * sender invites the hub and the hub declines; the hub invites the worker's recipient, who
 * declines; every third round someone new signs up, the hub invites them and they accept.
 * Once `killAfterSuccesses` mutations have answered success and `liveSub` (the hub's
 * notificationAdded) has received `killAfterEvents` events, or past `maxSuccesses` anyway,
 * `server` is killed with SIGKILL at a moment when a request is in flight. Resolves once every
 * worker has stopped, with the ledger of every mutation and any refusal (every mutation of the
 * load is valid: a refusal is a failure).
 */
export async function writeLoadUntilKilled(opts: {
  server: Instance;
  hub: TestMember;
  senders: TestMember[];
  recipients: TestMember[];
  liveSub: Sub;
  killAfterSuccesses: number;
  killAfterEvents: number;
  maxSuccesses: number;
}): Promise<{ ledger: Entry[]; unexpected: string[] }> {
  const { server, hub, senders, recipients, liveSub } = opts;
  const ledger: Entry[] = [];
  const unexpected: string[] = [];
  let killed = false;
  let killing = false;
  let inFlight = 0;
  let waits = 0;
  const successes = () => ledger.filter((e) => e.outcome === "ok").length;
  // Not from inside this answer: the server commits in groups and answers a group at once, so
  // when one answer arrives the others of its group usually have too, and nothing would be
  // in flight. The workers send their next requests meanwhile; the kill waits for one.
  const kill = () => {
    // (Not forever: with every worker stopped, nothing will be in flight again.)
    if (inFlight === 0 && waits++ < 1000) {
      setTimeout(kill, 1);
      return;
    }
    killed = true;
    server.child.kill("SIGKILL");
  };
  const maybeKill = () => {
    if (killing) return;
    const enough =
      successes() >= opts.killAfterSuccesses && liveSub.events.length >= opts.killAfterEvents;
    if (enough || successes() >= opts.maxSuccesses) {
      killing = true;
      setTimeout(kill, 2);
    }
  };
  /** Thrown by `step` to end a worker: the server is gone, or answered with an error. */
  const STOP = Symbol("stop");
  /**
   * Runs one mutation of the load and records it: answered success with what it left
   * (`effect` of its data), or no answer, with what it would have left (`effect()`).
   */
  const step = async (
    what: string,
    run: () => Promise<GqlResult>,
    effect: (data?: Data) => Omit<Entry, "what" | "outcome"> = () => ({}),
  ): Promise<Data> => {
    if (killed) throw STOP;
    let res: GqlResult;
    inFlight++;
    try {
      res = await run();
    } catch {
      // No answer: the kill caught it in flight. It may or may not have committed.
      ledger.push({ what, outcome: "unknown", ...effect() });
      throw STOP;
    } finally {
      inFlight--;
    }
    if (res.errors?.length) {
      // Every mutation of the load is valid: any refusal fails the test.
      unexpected.push(`${what}: ${JSON.stringify(res.errors)}`);
      throw STOP;
    }
    ledger.push({ what, outcome: "ok", ...effect(res.data) });
    maybeKill();
    return res.data;
  };
  const sentId = (d?: Data): string | undefined => d?.sendInvitation.invitation.id;

  const worker = async (w: number) => {
    const sender = senders[w];
    const recipient = recipients[w];
    for (let round = 0; ; round++) {
      const tag = `w${w}.${round}`;
      // A sender invites the hub (INVITATION_RECEIVED for the hub); the hub declines.
      const incoming = sentId(
        await step(
          `${tag} sender invites hub`,
          () => invite(server, sender, hub.id, tag),
          (d) => ({
            invitationId: sentId(d),
            status: "PENDING",
            response: null,
            hubNote: "INVITATION_RECEIVED",
          }),
        ),
      );
      await step(
        `${tag} hub declines`,
        () => act(server, hub, "declineInvitation", incoming!, `no ${tag}`),
        () => ({ invitationId: incoming, status: "DECLINED", response: `no ${tag}` }),
      );
      // The hub invites a recipient, who declines (INVITATION_DECLINED for the hub).
      const outgoing = sentId(
        await step(
          `${tag} hub invites recipient`,
          () => invite(server, hub, recipient.id, tag),
          (d) => ({
            invitationId: sentId(d),
            status: "PENDING",
            response: null,
          }),
        ),
      );
      await step(
        `${tag} recipient declines`,
        () => act(server, recipient, "declineInvitation", outgoing!, `later ${tag}`),
        () => ({
          invitationId: outgoing,
          status: "DECLINED",
          response: `later ${tag}`,
          hubNote: "INVITATION_DECLINED",
        }),
      );
      // Every third round: someone new signs up, the hub invites them, they accept
      // (INVITATION_ACCEPTED for the hub, and a connection).
      if (round % 3 !== 0) continue;
      const joined = await step(
        `${tag} sign-up`,
        () =>
          gql(server, SIGN_UP, {
            input: {
              name: `Newcomer ${tag}`,
              email: `newcomer-${tag}-${randomUUID()}@example.com`,
              password: "correct horse battery",
            },
          }),
        (d) => ({ member: d && { token: d.signUp.token, id: d.signUp.member.id } }),
      );
      const newcomer: TestMember = {
        token: joined.signUp.token,
        id: joined.signUp.member.id,
        email: "",
        password: "correct horse battery",
        name: `Newcomer ${tag}`,
      };
      const welcome = sentId(
        await step(
          `${tag} hub invites newcomer`,
          () => invite(server, hub, newcomer.id, tag),
          (d) => ({
            invitationId: sentId(d),
            status: "PENDING",
            response: null,
          }),
        ),
      );
      await step(
        `${tag} newcomer accepts`,
        () => act(server, newcomer, "acceptInvitation", welcome!, `thanks ${tag}`),
        () => ({
          invitationId: welcome,
          status: "ACCEPTED",
          response: `thanks ${tag}`,
          hubNote: "INVITATION_ACCEPTED",
        }),
      );
    }
  };
  const stopped = (err: unknown) => {
    if (err !== STOP) throw err;
  };

  await Promise.all(senders.map((_, w) => worker(w).catch(stopped)));
  return { ledger, unexpected };
}
