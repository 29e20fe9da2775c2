import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from "graphql";
import type { Clock } from "../../src/common/clock";
import { gql, signUp, type GqlResult, type HasUrl, type TestMember } from "./http";
import { subscribe, type Sub, type WsServer } from "./ws";

/**
 * Everything one member can observe through the public API, recorded so that two worlds can
 * be compared with deep equality (test/privacy-differential.test.ts).
 *
 * The recorder derives its operations from schema/schema.graphql: every root query with
 * every argument variant in QUERY_PLANS and ALL fields selected (generated from the schema,
 * so a new field is recorded without anyone touching this file), every subscription in
 * SUBSCRIPTION_PLANS held open for the whole run, and the mutations in MUTATION_PLANS tried
 * against the other member. `uncovered()` lists root fields the plans do not know, so a new
 * Query, Subscription or Mutation field fails the privacy test until someone decides how
 * to observe it. Ids, timestamps and cursors are normalised by `Normalizer`.
 */

export const SCHEMA = buildSchema(
  readFileSync(resolve(__dirname, "../../schema/schema.graphql"), "utf8"),
);

// ---------------------------------------------------------------------------------------------
// Selections: every field, generated from the schema

/**
 * Nesting below which object fields are left out and only leaf fields are selected. With 6 the
 * deepest document the recorder sends has 8 levels (notifications > edges > node > invitation
 * > sender > connections > edges > cursor); the query limits (docs/security.md, "Query
 * limits") must allow that.
 */
export const MAX_NESTING = 6;

/**
 * Page size of lists nested in a result (a member's connections inside an invitation): their
 * first items, `pageInfo` and `totalCount` are recorded; the observer's own lists are walked
 * page by page at the root instead.
 */
export const NESTED_PAGE = 2;

function fieldsOf(type: GraphQLObjectType): GraphQLField<unknown, unknown>[] {
  return Object.values(type.getFields());
}

/**
 * The selection set of every field of `type`, recursively. A type already on the path (a
 * member's connections' members) or nested deeper than MAX_NESTING gets its leaf fields only.
 * Anything the generator cannot select by itself (an abstract type, a nested field with a
 * required argument) throws, so the schema cannot outgrow the recorder silently.
 */
export function selectAll(type: GraphQLNamedType, path: readonly string[] = []): string {
  if (isLeafType(type)) return "";
  if (!isObjectType(type)) {
    throw new Error(`observe: cannot select the abstract type ${type.name}; teach selectAll`);
  }
  const expand = !path.includes(type.name) && path.length < MAX_NESTING;
  const parts: string[] = [];
  for (const field of fieldsOf(type)) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) {
      throw new Error(`observe: ${type.name}.${field.name} needs an argument; teach selectAll`);
    }
    const child = getNamedType(field.type);
    // Nested pages are kept short: the cost limit multiplies every list by its page size.
    const name = field.args.some((a) => a.name === "first")
      ? `${field.name}(first: ${NESTED_PAGE})`
      : field.name;
    if (isLeafType(child)) parts.push(name);
    else if (expand) parts.push(`${name} { ${selectAll(child, [...path, type.name])} }`);
  }
  return parts.length ? parts.join(" ") : "__typename";
}

type Vars = Record<string, unknown>;

/** One operation on the root field `field` of `kind`, declaring exactly the variables given. */
export function operationFor(
  kind: "query" | "mutation" | "subscription",
  field: string,
  vars: Vars,
): string {
  const roots = {
    query: SCHEMA.getQueryType(),
    mutation: SCHEMA.getMutationType(),
    subscription: SCHEMA.getSubscriptionType(),
  };
  const def = roots[kind]?.getFields()[field];
  if (!def) throw new Error(`observe: no ${kind} field ${field} in the schema`);
  const args = def.args.filter((a) => a.name in vars);
  const unknown = Object.keys(vars).filter((k) => !def.args.some((a) => a.name === k));
  if (unknown.length) throw new Error(`observe: ${field} has no argument ${unknown.join(", ")}`);
  const decl = args.map((a) => `$${a.name}: ${String(a.type)}`).join(", ");
  const call = args.map((a) => `${a.name}: $${a.name}`).join(", ");
  const selection = selectAll(getNamedType(def.type));
  return (
    `${kind} Observe${decl ? `(${decl})` : ""} { ${field}${call ? `(${call})` : ""}` +
    `${selection ? ` { ${selection} }` : ""} }`
  );
}

/** The values of an enum of the schema, in schema order. */
export function enumValues(name: string): string[] {
  const type = SCHEMA.getType(name);
  if (!type || !isEnumType(type)) throw new Error(`observe: no enum ${name}`);
  return type.getValues().map((v) => v.name);
}

// ---------------------------------------------------------------------------------------------
// Plans: what the recorder runs for each root field

/** What the plans know about the observer's surroundings. */
export interface Target {
  /** The other member's id (in a world where they never existed: a random id). */
  memberId: string;
  /** Their name as the observer would search for it. */
  name: string;
  /** Their email as the observer might give it. */
  email: string;
  /** Invitations between the observer and them; grows when a probe sends a new one. */
  invitationIds: string[];
  /** Extra `SendInvitationInput` fields every probe sends with (e.g. a recipientEmail). */
  sendWith?: { recipientEmail?: string; message?: string };
}

interface PlanContext {
  self: string;
  target: Target;
  /** A random id that never existed. */
  nobody: string;
  /** Searches for `members(search:)`. */
  searches: string[];
}

/** Every root query and the argument variants it is recorded with. */
export const QUERY_PLANS: Record<string, (c: PlanContext) => Vars[]> = {
  viewer: () => [{}],
  member: (c) => [c.self, c.target.memberId, c.nobody].map((id) => ({ id })),
  members: (c) => c.searches.map((search) => ({ search })),
  invitation: (c) => [...c.target.invitationIds, c.nobody].map((id) => ({ id })),
  receivedInvitations: (c) => {
    // Each list in the default order, each order of the default list, each relation alone and
    // all together, and a search by the other member's first name in each list.
    const variants: Vars[] = [{}];
    for (const status of enumValues("ReceivedStatus")) variants.push({ filter: { status } });
    for (const orderBy of enumValues("InvitationOrder")) variants.push({ orderBy });
    const relations = enumValues("Relation");
    for (const relation of relations) variants.push({ filter: { relations: [relation] } });
    variants.push({ filter: { relations } });
    const firstName = c.target.name.split(" ")[0];
    for (const status of enumValues("ReceivedStatus")) {
      variants.push({ filter: { status, search: firstName } });
    }
    return variants;
  },
  sentInvitations: () => [{}, ...enumValues("InvitationStatus").map((status) => ({ status }))],
  connections: () => [{}],
  notifications: () => [{}, { unreadOnly: true }, { unreadOnly: false }],
  suggestedMembers: () => [{}, { first: 50 }],
  invitationSettings: () => [{}],
  notificationPreferences: () => [{}],
  blockedMembers: () => [{}],
  // One JSON document of everything the observer may see about themselves.
  accountExport: () => [{}],
};

/** Which witness event ends the wait on a subscription (see `Observer.finish`). */
type Settle = "accepted" | "declined" | "received";

/** Every root subscription, its argument variants and the witness event that settles it. */
export const SUBSCRIPTION_PLANS: Record<
  string,
  { variants: (c: { after: string }) => Vars[]; settle: Settle }
> = {
  // Without `after`: live only; with the cursor of the observer's first notification: the
  // stored one after it is replayed first, then live.
  notificationAdded: { variants: (c) => [{}, { after: c.after }], settle: "received" },
  invitationReceived: { variants: () => [{}], settle: "received" },
  invitationAccepted: { variants: () => [{}], settle: "accepted" },
  invitationDeclined: { variants: () => [{}], settle: "declined" },
};

/**
 * Every root mutation: which probe tries it against the other member, or why none does.
 * (`signUp` with the other member's email answers VERIFY_EMAIL, the same as for any address,
 * with EMAIL_VERIFICATION on; off, it says the email is taken in every world where they exist,
 * the development-only exception of docs/security.md.)
 */
export const MUTATION_PLANS: Record<string, string> = {
  acceptInvitation: "probeTarget",
  acceptInvitations: "probeTarget",
  declineInvitation: "probeTarget",
  ignoreInvitation: "probeTarget",
  ignoreInvitations: "probeTarget",
  reportInvitation: "probeTarget",
  setInvitationReminder: "probeTarget",
  markNotificationsRead: "probeTarget",
  removeConnection: "probeTarget",
  sendInvitation: "probeTarget",
  unblockMember: "probeBlock",
  withdrawInvitation: "probeWithdraw",
  blockMember: "probeBlock",
  signUp: "not probed: creates another member, acts on no one",
  verifyEmail: "not probed: follows the observer's own mailed link, acts on no one",
  logIn: "not probed: answers the same for a wrong email and a wrong password (auth tests)",
  updateInvitationSettings: "not probed: changes only the observer's own settings",
  updateNotificationPreferences: "not probed: changes only the observer's own preferences",
  deleteAccount: "not probed: deletes the observer, whose recording would end there",
};

/** Root fields of the schema that the plans above do not cover (and plans for no field). */
export function uncovered(): { queries: string[]; subscriptions: string[]; mutations: string[] } {
  const diff = (type: GraphQLObjectType | null | undefined, plans: object) => {
    const fields = Object.keys(type?.getFields() ?? {});
    const planned = Object.keys(plans);
    return [
      ...fields.filter((f) => !planned.includes(f)).map((f) => `no plan for ${f}`),
      ...planned.filter((p) => !fields.includes(p)).map((p) => `plan for missing field ${p}`),
    ];
  };
  return {
    queries: diff(SCHEMA.getQueryType(), QUERY_PLANS),
    subscriptions: diff(SCHEMA.getSubscriptionType(), SUBSCRIPTION_PLANS),
    mutations: diff(SCHEMA.getMutationType(), MUTATION_PLANS),
  };
}

// ---------------------------------------------------------------------------------------------
// Normalisation

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g;
/** Keys whose string values are opaque cursors (in results and in variables). */
const CURSOR_KEYS = new Set(["cursor", "endCursor", "after"]);
/** A number in a decoded cursor this large is a point in time (epoch ms), not a count. */
const EPOCH_MS_FLOOR = 1e11;

/**
 * Makes recordings of two worlds comparable: each id becomes a label (given ones such as
 * "@other", else "#1", "#2", ... by first appearance), each timestamp an offset from
 * `timeBase` (or "T1", "T2", ... by first appearance without one), and each cursor its
 * decoded parts, normalised the same way (so a cursor still shows what it encodes: a gap in
 * a sequence number is a difference). Ids and times inside messages are replaced too.
 */
export class Normalizer {
  private readonly ids = new Map<string, string>();
  private readonly times = new Map<number, string>();
  private readonly opaque = new Map<string, string>();
  private unnamed = 0;

  constructor(
    labels: Record<string, string> = {},
    private readonly timeBase?: number,
  ) {
    for (const [id, label] of Object.entries(labels)) this.ids.set(id.toLowerCase(), label);
  }

  value(v: unknown, key?: string): unknown {
    if (typeof v === "string") {
      return key !== undefined && CURSOR_KEYS.has(key) ? this.cursor(v) : this.text(v);
    }
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x, k)]));
    }
    return v;
  }

  private text(s: string): string {
    return s.replace(UUID, (id) => this.id(id)).replace(ISO, (t) => this.time(Date.parse(t)));
  }

  private id(raw: string): string {
    const key = raw.toLowerCase();
    let label = this.ids.get(key);
    if (!label) this.ids.set(key, (label = `#${++this.unnamed}`));
    return label;
  }

  private time(ms: number): string {
    if (this.timeBase !== undefined) {
      const d = ms - this.timeBase;
      return `t${d < 0 ? "-" : "+"}${Math.abs(d)}ms`;
    }
    let label = this.times.get(ms);
    if (!label) this.times.set(ms, (label = `T${this.times.size + 1}`));
    return label;
  }

  private cursor(s: string): unknown {
    let parts: unknown;
    try {
      parts = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
    } catch {
      parts = undefined;
    }
    if (!Array.isArray(parts)) {
      let label = this.opaque.get(s);
      if (!label) this.opaque.set(s, (label = `cursor#${this.opaque.size + 1}`));
      return label;
    }
    return {
      cursor: parts.map((p) =>
        typeof p === "number" && p >= EPOCH_MS_FLOOR
          ? this.time(p)
          : typeof p === "string"
            ? this.text(p)
            : p,
      ),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The recorder

/** A result as recorded: HTTP status, data, and each error without its location or stack. */
interface Outcome {
  status: number;
  data: unknown;
  errors?: unknown[];
}

function outcome(res: GqlResult): Outcome {
  const out: Outcome = { status: res.status, data: res.data };
  if (res.errors?.length) {
    out.errors = res.errors.map((e: { message: string; path?: unknown; extensions?: Vars }) => {
      // Stack traces exist only outside production; where the code threw is no observation.
      const { stacktrace: _stack, ...extensions } = e.extensions ?? {};
      return { message: e.message, path: e.path, extensions };
    });
  }
  return out;
}

/** What `Observer.finish` returns: the normalised observations of one world. */
export interface Recording {
  /** Every `snapshot`: each query plan's variants (and page walks) with their results. */
  snapshots: unknown[];
  /** Every mutation the observer tried, in order, with its result or errors. */
  mutations: unknown[];
  /** Every payload each subscription received during the whole run, in order. */
  subscriptions: Record<string, unknown[]>;
  /** Each cursor seen, used in every other paged list (`Observer.cursorSwaps`). */
  cursorSwaps: unknown[];
}

export interface ObserverOptions {
  /**
   * With `responseCacheCounts`, each query's result records whether the server's response
   * cache answered it: what the observer could measure by timing their own reads.
   */
  server: HasUrl & WsServer & { responseCacheCounts?(): { hit: number } };
  member: TestMember;
  target: Target;
  /** The world's clock: advanced one second before each mutation (no ties in any order). */
  clock: Clock & { advance(ms: number): void };
  /** Ids with readable labels (the observer is always "@observer"). */
  labels?: Record<string, string>;
  /** Timestamps are recorded as offsets from this instant. */
  timeBase?: Date;
  /** `members(search:)` texts; the target's name is always searched. */
  searches?: string[];
  /** A random id that exists in no world; labelled "@nobody". */
  nobody: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_PAGES = 50;

/** Records what `member` observes; see the file comment. Call `start` first, `finish` last. */
export class Observer {
  private readonly snapshots: Vars[] = [];
  private readonly mutations: Vars[] = [];
  private readonly subs: Array<{ key: string; sub: Sub; settle: Settle }> = [];
  private step = 0;
  private witnessCount = 0;
  /** The first cursor seen at each place (root field and path), for `cursorSwaps`. */
  private readonly cursors = new Map<string, string>();
  private readonly labels: Record<string, string>;

  constructor(private readonly o: ObserverOptions) {
    this.labels = { ...o.labels, [o.member.id]: "@observer", [o.nobody]: "@nobody" };
  }

  private get ctx(): PlanContext {
    return {
      self: this.o.member.id,
      target: this.o.target,
      nobody: this.o.nobody,
      searches: [this.o.target.name, this.o.target.name.split(" ")[0], ...(this.o.searches ?? [])],
    };
  }

  /**
   * Gives the observer a stored notification history (one acceptance, one decline, by
   * witnesses) and opens every subscription: `notificationAdded(after:)` resumes after the
   * first of the two, so its replay path is recorded too.
   */
  async start(): Promise<void> {
    const [accepter, decliner] = [await this.witness(), await this.witness()];
    const a = await this.send(this.o.member, accepter.id);
    const d = await this.send(this.o.member, decliner.id);
    await this.mutate(accepter, "acceptInvitation", { id: a, message: "Witness greeting" });
    await this.mutate(decliner, "declineInvitation", { id: d, message: "Witness regrets" });
    const first = await gql(
      this.o.server,
      `query { notifications(first: 2) { edges { cursor } } }`,
      {},
      this.o.member.token,
    );
    const after: string | undefined = first.data?.notifications.edges[1]?.cursor;
    if (!after) throw new Error(`observe: the witnesses' notifications are missing`);
    for (const [field, plan] of Object.entries(SUBSCRIPTION_PLANS)) {
      for (const vars of plan.variants({ after })) {
        const sub = await subscribe(
          this.o.server,
          this.o.member.token,
          operationFor("subscription", field, vars),
          vars,
        );
        // Named by the arguments given, not their values (a cursor is no readable name).
        const key = `${field}(${Object.keys(vars).join(", ")})`;
        this.subs.push({ key, sub, settle: plan.settle });
      }
    }
  }

  /** Runs every query plan (and walks every list a page at a time); all must succeed. */
  async snapshot(label: string): Promise<void> {
    const results: Vars[] = [];
    const run = async (field: string, vars: Vars) => {
      const hits = this.o.server.responseCacheCounts?.().hit;
      const res = await gql(
        this.o.server,
        operationFor("query", field, vars),
        vars,
        this.o.member.token,
      );
      // Queries run one at a time and nothing else reads meanwhile: a hit is this one's.
      const cache =
        hits === undefined ? {} : { cache: this.o.server.responseCacheCounts!().hit > hits };
      // An error here is a broken recorder (or a query limit), never an observation: two
      // worlds answering every query with the same error would compare equal and prove nothing.
      if (res.errors?.length || res.status !== 200) {
        throw new Error(`observe: ${field} ${JSON.stringify(vars)}: ${JSON.stringify(res)}`);
      }
      results.push({ field, vars, ...outcome(res), ...cache });
      this.collectCursors(field, res.data[field]);
      return res.data[field];
    };
    const query = SCHEMA.getQueryType()!;
    for (const [field, plan] of Object.entries(QUERY_PLANS)) {
      const variants = plan(this.ctx);
      for (const vars of variants) await run(field, vars);
      const def = query.getFields()[field];
      const paged = ["first", "after"].every((n) => def.args.some((a) => a.name === n));
      if (!paged || !getNamedType(def.type).name.endsWith("Connection")) continue;
      // The first variant again, one item per page: every cursor and page boundary recorded.
      let after: string | null = null;
      for (let page = 0; ; page++) {
        if (page >= MAX_PAGES) throw new Error(`observe: ${field} pages never end`);
        const conn: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } = await run(
          field,
          { ...variants[0], first: 1, ...(after ? { after } : {}) },
        );
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
    }
    this.snapshots.push({ at: ++this.step, snapshot: label, results });
  }

  /**
   * Tries `field` as the observer and records the answer, whatever it is. A new invitation
   * it returns (a send that went through) joins the target's invitations.
   */
  async probe(field: string, vars: Vars): Promise<GqlResult> {
    this.o.clock.advance(1000);
    const res = await gql(
      this.o.server,
      operationFor("mutation", field, vars),
      vars,
      this.o.member.token,
    );
    this.mutations.push({ at: ++this.step, mutation: field, vars, ...outcome(res) });
    const id: unknown = res.data?.sendInvitation?.invitation?.id;
    if (typeof id === "string" && !this.o.target.invitationIds.includes(id)) {
      this.o.target.invitationIds.push(id);
    }
    return res;
  }

  /** The observer sends an invitation to the target, with the target's `sendWith`. */
  probeSend(): Promise<GqlResult> {
    const input = { recipientId: this.o.target.memberId, ...this.o.target.sendWith };
    return this.probe("sendInvitation", { input });
  }

  /**
   * Every recipient action on each of the target's invitations (singly and in bulk), a
   * reminder, marking them read, ending a connection and sending an invitation: what the
   * observer could try against the other member without withdrawing or blocking.
   */
  async probeTarget(): Promise<void> {
    const remindAt = new Date(this.o.clock.now().getTime() + DAY_MS).toISOString();
    for (const id of [...this.o.target.invitationIds]) {
      await this.probe("acceptInvitation", { id, message: "Probe greeting" });
      await this.probe("ignoreInvitation", { id });
      await this.probe("declineInvitation", { id, message: "Probe regrets" });
      await this.probe("reportInvitation", { id, reason: "SPAM" });
      await this.probe("setInvitationReminder", { id, remindAt });
      await this.probe("acceptInvitations", { ids: [id] });
      await this.probe("ignoreInvitations", { ids: [id] });
      await this.probe("markNotificationsRead", { ids: [id] });
    }
    await this.probe("removeConnection", { memberId: this.o.target.memberId });
    await this.probeSend();
  }

  /** Withdraws each of the target's invitations twice, then tries to invite again. */
  async probeWithdraw(): Promise<void> {
    for (const id of [...this.o.target.invitationIds]) {
      await this.probe("withdrawInvitation", { id });
      await this.probe("withdrawInvitation", { id });
    }
    await this.probeSend();
  }

  /** Unblocks (nothing to lift), blocks, invites, unblocks twice. */
  async probeBlock(): Promise<void> {
    const id = this.o.target.memberId;
    await this.probe("unblockMember", { id });
    await this.probe("blockMember", { id });
    await this.probeSend();
    await this.probe("unblockMember", { id });
    await this.probe("unblockMember", { id });
  }

  /**
   * Ends the run: witnesses accept and decline invitations of the observer and invite them,
   * one event for each subscription, sent after everything else. Events on one member's topic
   * arrive in the order they were published, so once every subscription has its witness
   * event, anything the other member's choice published would already be there: "nothing
   * arrived" is established without waiting for a timeout. Closes the subscriptions and
   * returns the normalised recording.
   */
  async finish(): Promise<Recording> {
    const [accepter, decliner, inviter] = [
      await this.witness(),
      await this.witness(),
      await this.witness(),
    ];
    const a = await this.send(this.o.member, accepter.id);
    const d = await this.send(this.o.member, decliner.id);
    await this.mutate(accepter, "acceptInvitation", { id: a, message: "Late greeting" });
    await this.mutate(decliner, "declineInvitation", { id: d, message: "Late regrets" });
    const r = await this.send(inviter, this.o.member.id);
    const marker: Record<Settle, string> = { accepted: a, declined: d, received: r };
    const subscriptions: Record<string, unknown[]> = {};
    for (const { key, sub, settle } of this.subs) {
      while (!JSON.stringify(sub.events).includes(marker[settle])) {
        // A generous bound: only reached if an event was lost, which fails the test.
        await sub.next(10_000);
      }
      subscriptions[key] = [...sub.events];
      await sub.close();
    }
    const cursorSwaps = await this.cursorSwaps();
    const norm = new Normalizer(this.labels, this.o.timeBase?.getTime());
    return norm.value({
      snapshots: this.snapshots,
      mutations: this.mutations,
      subscriptions,
      cursorSwaps,
    }) as Recording;
  }

  private collectCursors(path: string, value: unknown): void {
    if (Array.isArray(value)) {
      value.forEach((v) => this.collectCursors(`${path}[]`, v));
    } else if (value && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        const at = `${path}.${key}`;
        if (CURSOR_KEYS.has(key) && typeof v === "string") {
          if (!this.cursors.has(at)) this.cursors.set(at, v);
        } else {
          this.collectCursors(at, v);
        }
      }
    }
  }

  /**
   * Every cursor the observer saw (one per place) used as `after` in every paged root list
   * but the one it came from (rule 15): the answers, errors included, are observations.
   */
  private async cursorSwaps(): Promise<unknown[]> {
    const query = SCHEMA.getQueryType()!;
    const swaps: unknown[] = [];
    for (const field of Object.keys(QUERY_PLANS)) {
      const def = query.getFields()[field];
      if (!["first", "after"].every((n) => def.args.some((a) => a.name === n))) continue;
      for (const [from, after] of [...this.cursors].sort(([a], [b]) => a.localeCompare(b))) {
        // The list's own cursors (a notification also carries its cursor on the node).
        const own = ["pageInfo.endCursor", "edges[].cursor", "edges[].node.cursor"];
        if (own.some((p) => from === `${field}.${p}`)) continue;
        const vars = { ...QUERY_PLANS[field](this.ctx)[0], first: 1, after };
        const res = await gql(
          this.o.server,
          operationFor("query", field, vars),
          vars,
          this.o.member.token,
        );
        swaps.push({ field, from, ...outcome(res) });
      }
    }
    return swaps;
  }

  /** A new member who only exists to make events happen for the observer. */
  private async witness(): Promise<TestMember> {
    const n = ++this.witnessCount;
    const w = await signUp(this.o.server, {
      name: `Witness ${n}`,
      email: `witness-${n}@example.com`,
    });
    this.labels[w.id] = `@witness${n}`;
    return w;
  }

  private async mutate(actor: TestMember, field: string, vars: Vars): Promise<unknown> {
    this.o.clock.advance(1000);
    const res = await gql(this.o.server, operationFor("mutation", field, vars), vars, actor.token);
    if (res.errors?.length) throw new Error(`observe: ${field}: ${JSON.stringify(res.errors)}`);
    return res.data[field];
  }

  private async send(from: TestMember, to: string): Promise<string> {
    const payload = (await this.mutate(from, "sendInvitation", {
      input: { recipientId: to, message: "Witness note" },
    })) as { invitation: { id: string } };
    return payload.invitation.id;
  }
}
