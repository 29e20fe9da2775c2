/**
 * Bench data, written straight into the database (the API would take hours for a million
 * rows): SQLite through better-sqlite3, or PostgreSQL through node-postgres.
 *
 * The schema comes from the app itself: `openDatabase` runs the migrations on the fresh
 * database, then one generator of rows fills it, into SQLite in one transaction with prepared
 * statements, or into PostgreSQL in one transaction of multi-row INSERTs (`unnest` of one
 * array per column, a few thousand rows each). Both engines get the same rows. Every row
 * respects what the app would have written: UUID ids, `pairKey` = the two ids sorted and
 * joined by ':', at most one open invitation per pair, two `connection` rows per connection,
 * notification numbers increasing per recipient, datetimes in UTC (TypeORM's SQLite text
 * `YYYY-MM-DD HH:MM:SS.SSS`, or `timestamptz`), booleans as 0/1 on SQLite.
 *
 * Layout of the main data set (indexes into the returned `members`):
 * - `members[0]`: the inbox owner. Connected to `friends` members; `inbox` PENDING invitations
 *   to them from as many different senders, sent over the last 150 days.
 * - `members[1 .. inbox]`: the inbox senders. Each has exactly one invitation (to the owner);
 *   about 60% share 1-8 of the owner's connections (SECOND degree, mutual counts), the rest
 *   none (THIRD_PLUS). They have nothing between one another, so any two of them can invite
 *   each other: write scenarios should pick their pairs here.
 * - then the background members, who hold every other invitation (a status mix: pending,
 *   ignored, accepted (with the connection), declined, withdrawn, expired) between near
 *   neighbours in this order.
 * - last the owner's connections (`friends`).
 * Employers, industries and schools come from small pools, so relation filters match some.
 *
 * The viewer community (`viewers` members, returned apart, for many-viewers) has nothing to do
 * with the main data set. Its members sit on a ring: member k and member k + d (mod V) are
 * - connected for d in CONNECTED (k invited, k + d accepted),
 * - strangers whose invitation was declined for d in DECLINED (k invited, k + d declined),
 * - about to answer: k + d invited k, still PENDING, for d in PENDING,
 * - strangers for d >= FRESH_FROM: nothing between them, so k may invite k + d once.
 * Each member so has a small inbox, a few connections (and second-degree senders with 1-3
 * mutual connections), and the notifications those invitations left: one received per
 * invitation, one accepted or declined per answer, numbered in time order.
 */
import { createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import Database from "better-sqlite3";
import jwt from "jsonwebtoken";
import pg from "pg";
import { FILL_STORED_RELATIONS } from "../../src/db/migrations/stored-relations";
import { openDatabase } from "../../src/db/data-source";
import { entities } from "../../src/entities";
import { foldKey } from "../../src/members/member.entity";
import type { ViewerCommunity } from "./types";

export interface SeedOptions {
  /** SQLite file to create (it must not exist yet); unused with `databaseUrl`. */
  sqlitePath: string;
  /** An empty PostgreSQL database to fill instead of SQLite. */
  databaseUrl?: string | null;
  /** Members in all (owner, friends, inbox senders, background). */
  members: number;
  /** Invitations in all: the owner's inbox plus the background. */
  invitations: number;
  /** Pending invitations to `members[0]` (default 10,000, at most `invitations`). */
  inbox?: number;
  /** Connections of `members[0]` (default 200). */
  friends?: number;
  /** Members of the viewer community (0, the default, or at least MIN_VIEWERS). */
  viewers?: number;
  /** Secret of the server under test: the returned tokens are signed with it. */
  jwtSecret: string;
  /** Sign tokens for the first N returned members only (default all). */
  tokens?: number;
  /** Called with 0..1 as rows are written. */
  progress?: (fraction: number) => void;
}

export interface SeededMember {
  id: string;
  token: string;
}

export interface SeedResult {
  members: SeededMember[];
  /** The viewer community, or null when none was asked for. */
  viewers: ViewerCommunity | null;
  counts: {
    members: number;
    invitations: number;
    inbox: number;
    connections: number;
    /** The viewer community's rows (all 0 without one). */
    viewers: number;
    viewerInvitations: number;
    viewerConnections: number;
    viewerNotifications: number;
  };
  /** Wall time of the whole seed (migrations, rows, indexes, statistics), seconds. */
  seconds: number;
  /** The owner's employer: `SAME_EMPLOYER` matches the senders who share it. */
  ownerEmployer: string;
}

/** Ring distances of the viewer community (see the header). */
const CONNECTED = [1, 2, 3];
const PENDING = [4, 5, 6, 7, 8, 9, 10, 11];
const DECLINED = [12, 13];
const FRESH_FROM = 20;
/** The fewest viewers for which every ring distance above names distinct pairs. */
export const MIN_VIEWERS = 2 * (FRESH_FROM + 12);

const EMPLOYERS = [
  "Northwind Labs",
  "Copperleaf Analytics",
  "Helix Health",
  "Brightwater Energy",
  "Lumen Robotics",
  "Quantix",
  "Fischer & Co.",
  "Bluefin Logistics",
  "Orchard Retail",
  "Polaris Aerospace",
  "Redwood Capital",
  "Silverline Telecom",
  "Tidal Media",
  "Umbra Security",
  "Vertex Pharma",
  "Willow Education",
  "Xenon Materials",
  "Yarrow Foods",
  "Zephyr Mobility",
  "Atlas Construction",
];
const INDUSTRIES = [
  "Software Development",
  "Financial Services",
  "Hospital & Health Care",
  "Renewable Energy",
  "Human Resources",
  "Management Consulting",
  "Industrial Automation",
  "Logistics",
  "Retail",
  "Aerospace",
  "Telecommunications",
  "Education",
];
const SCHOOLS = [
  "University of Edinburgh",
  "Delft University of Technology",
  "University of Toronto",
  "IIT Bombay",
  "Sorbonne",
  "McGill University",
  "ETH Zurich",
  "University of Cape Town",
  "National University of Singapore",
  "Universidad de Buenos Aires",
  "University of Melbourne",
  "Seoul National University",
  "KTH Royal Institute of Technology",
  "University of Nairobi",
  "Politecnico di Milano",
];
const FIRST_NAMES = [
  "Amara",
  "Lukas",
  "Priya",
  "Sofia",
  "Kenji",
  "Diego",
  "Hannah",
  "Grace",
  "Tomasz",
  "Omar",
  "Elena",
  "Noah",
  "Mateo",
  "Inès",
  "Ravi",
  "Chloé",
  "Wei",
  "Isla",
  "Fatima",
  "Jonas",
];
const LAST_NAMES = [
  "Okafor",
  "Brandt",
  "Raman",
  "Marquez",
  "Watanabe",
  "Fernández",
  "Kowalski",
  "Mensah",
  "Nowak",
  "Haddad",
  "Rossi",
  "Fischer",
  "Silva",
  "Laurent",
  "Shah",
  "Dubois",
  "Chen",
  "Campbell",
  "Benali",
  "Lindqvist",
];
const HEADLINES = [
  "Senior Backend Engineer",
  "Engineering Manager",
  "Product Designer",
  "Talent Partner",
  "Site Reliability Engineer",
  "Data Scientist",
  "Clinical Data Analyst",
  "VP Engineering",
  "Frontend Engineer",
  "Product Manager",
  "Staff Engineer",
  "Developer Advocate",
];
const NOTES = [
  null,
  "Hi! We met at the conference last month; I'd like to stay in touch.",
  "I enjoyed your talk on distributed systems. Let's connect.",
  "We're hiring for a role that might interest you.",
  null,
];
/** Background statuses, weights in percent (open ones are unique per pair by construction). */
const BACKGROUND_STATUSES: [string, number][] = [
  ["PENDING", 40],
  ["IGNORED", 5],
  ["ACCEPTED", 20],
  ["DECLINED", 15],
  ["WITHDRAWN", 10],
  ["EXPIRED", 10],
];

const DAY = 24 * 60 * 60 * 1000;

/** TypeORM's SQLite datetime text: `YYYY-MM-DD HH:MM:SS.SSS`, UTC. */
export function sqliteDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Deterministic pseudo-random numbers (mulberry32), so two runs seed the same shape. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A hash-shaped password hash (`scrypt$salt$key`); nobody logs in as a bench member. */
const PASSWORD_HASH = `scrypt$${"5e".repeat(16)}$${"be".repeat(32)}`;

/**
 * Signs a bench token the way the server's `signToken` does (HS256, `sub` = member id).
 * Pass a KeyObject (`secretKey`): given a string, jsonwebtoken first tries to parse it as a
 * PEM key, which fails slowly (about 0.6-0.9 ms a call here, against 25 us with the KeyObject).
 */
export function mintToken(memberId: string, key: KeyObject): string {
  return jwt.sign({}, key, { subject: memberId, expiresIn: "1d", algorithm: "HS256" });
}

/** The server's JWT_SECRET as the KeyObject `mintToken` wants. */
export function secretKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, "utf8"));
}

// ---------------------------------------------------------------------------------------------
// Tables and rows

/** How a value is stored: dates are generated as epoch ms, booleans as booleans. */
type Kind = "text" | "date" | "bool" | "int";

interface Table {
  name: string;
  columns: readonly (readonly [string, Kind])[];
}

const MEMBER: Table = {
  name: "member",
  columns: [
    ["id", "text"],
    ["name", "text"],
    ["email", "text"],
    ["passwordHash", "text"],
    ["headline", "text"],
    ["employer", "text"],
    ["industry", "text"],
    ["school", "text"],
    ["employerKey", "text"],
    ["industryKey", "text"],
    ["schoolKey", "text"],
    ["createdAt", "date"],
    ["whoCanInvite", "text"],
    ["notifyOnInvitation", "bool"],
    ["reminders", "bool"],
  ],
};
const INVITATION: Table = {
  name: "invitation",
  columns: [
    ["id", "text"],
    ["senderId", "text"],
    ["recipientId", "text"],
    ["pairKey", "text"],
    ["message", "text"],
    ["status", "text"],
    ["sentAt", "date"],
    ["respondedAt", "date"],
    ["responseMessage", "text"],
    ["remindedAt", "date"],
    ["remindAt", "date"],
  ],
};
const CONNECTION: Table = {
  name: "connection",
  columns: [
    ["memberId", "text"],
    ["otherId", "text"],
    ["createdAt", "date"],
  ],
};
const NOTIFICATION: Table = {
  name: "notification",
  columns: [
    ["id", "text"],
    ["recipientId", "text"],
    ["seq", "int"],
    ["kind", "text"],
    ["actorId", "text"],
    ["invitationId", "text"],
    ["message", "text"],
    ["read", "bool"],
    ["createdAt", "date"],
  ],
};
const TABLES = [MEMBER, INVITATION, CONNECTION, NOTIFICATION];

/** One row: its table and its values in the table's column order. */
type Row = readonly [Table, unknown[]];

/** Progress of a sink: `start` once with the units of work it will do, then `tick` them off. */
interface Progress {
  start(units: number): void;
  tick(n?: number): void;
}

/** Where the rows go. Building an index counts as many units as its table has rows. */
interface Sink {
  write(rows: Iterable<Row>, plan: Plan, progress: Progress): Promise<void>;
}

/** The sizes of one seed, worked out before any row is written. */
interface Plan {
  total: number;
  friends: number;
  inbox: number;
  backgroundMembers: number;
  backgroundInvitations: number;
  viewers: number;
  /** Rows per table (connections estimated), for the progress bar and the index rebuilds. */
  rows: Record<string, number>;
}

function planOf(opts: SeedOptions): Plan {
  const total = opts.members;
  const friends = Math.min(opts.friends ?? 200, Math.max(0, Math.floor((total - 1) / 10)));
  // Background pairs (b, b + d): d = 1, 2, ... rounds over the pool; distinct while 2d < pool.
  const fits = (inboxSize: number) => {
    const pool = total - 1 - friends - inboxSize;
    const rest = opts.invitations - inboxSize;
    return rest === 0 || (pool > 0 && 2 * Math.ceil(rest / pool) < pool);
  };
  // The inbox shrinks when the members are too few to also hold the other invitations.
  let inbox = Math.min(opts.inbox ?? 10_000, opts.invitations, Math.max(0, total - 1 - friends));
  while (inbox > 0 && !fits(inbox)) inbox = Math.floor(inbox * 0.9);
  if (!fits(inbox)) {
    throw new Error(`${opts.invitations} invitations need more than ${total} members`);
  }
  const viewers = opts.viewers ?? 0;
  if (viewers !== 0 && viewers < MIN_VIEWERS) {
    throw new Error(`the viewer community needs at least ${MIN_VIEWERS} members`);
  }
  const backgroundInvitations = opts.invitations - inbox;
  const perViewer = CONNECTED.length + DECLINED.length + PENDING.length;
  return {
    total,
    friends,
    inbox,
    backgroundMembers: total - 1 - friends - inbox,
    backgroundInvitations,
    viewers,
    rows: {
      member: total + viewers,
      invitation: opts.invitations + viewers * perViewer,
      connection:
        estimateConnections(inbox, friends, backgroundInvitations) + 2 * viewers * CONNECTED.length,
      // Each invitation told its recipient; each answer told the sender.
      notification: viewers * (perViewer + CONNECTED.length + DECLINED.length),
    },
  };
}

/**
 * Creates the schema in a fresh database (a SQLite file that must not exist yet, or an empty
 * PostgreSQL database) and fills it.
 */
export async function seed(opts: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const plan = planOf(opts);

  // Migrations by the app itself, then close it: from here on it is raw SQL.
  const dataSource = await openDatabase({
    entities,
    sqlitePath: opts.sqlitePath,
    databaseUrl: opts.databaseUrl ?? null,
  });
  await dataSource.destroy();

  const sink: Sink = opts.databaseUrl
    ? postgresSink(opts.databaseUrl)
    : sqliteSink(opts.sqlitePath);
  let units = 1;
  let done = 0;
  let reported = -1;
  const progress: Progress = {
    start: (n) => (units = Math.max(1, n)),
    tick: (n = 1) => {
      done += n;
      const pct = Math.floor((100 * done) / units);
      if (pct !== reported) {
        reported = pct;
        opts.progress?.(Math.min(1, done / units));
      }
    },
  };

  const main = new MainData(plan);
  const community = new Community(plan.viewers);
  await sink.write(
    (function* () {
      yield* main.rows();
      yield* community.rows();
    })(),
    plan,
    progress,
  );
  // What a send stores about each pair, filled for the invitations written in bulk.
  const filled = await openDatabase({
    entities,
    sqlitePath: opts.sqlitePath,
    databaseUrl: opts.databaseUrl ?? null,
  });
  try {
    await filled.query(FILL_STORED_RELATIONS);
    await filled.query(opts.databaseUrl ? `ANALYZE "invitation"` : "ANALYZE");
  } finally {
    await filled.destroy();
  }
  opts.progress?.(1);

  // Returned order: owner, senders, background, friends (see the header).
  const order = [
    0,
    ...range(plan.inbox, main.senderAt),
    ...range(plan.backgroundMembers, main.backgroundAt),
    ...range(plan.friends, main.friendAt),
  ];
  const withTokens = opts.tokens ?? order.length;
  const key = secretKey(opts.jwtSecret);
  const members = order.map((i, n) => ({
    id: main.memberIds[i],
    token: n < withTokens ? mintToken(main.memberIds[i], key) : "",
  }));
  const viewers: ViewerCommunity | null = plan.viewers
    ? {
        members: community.ids.map((id) => ({ id, token: mintToken(id, key) })),
        pending: community.pending,
        freshFrom: FRESH_FROM,
      }
    : null;
  return {
    members,
    viewers,
    counts: {
      members: plan.total,
      invitations: main.invitations,
      inbox: plan.inbox,
      connections: main.connections,
      viewers: plan.viewers,
      viewerInvitations: community.invitations,
      viewerConnections: community.connections,
      viewerNotifications: community.notifications,
    },
    seconds: (performance.now() - started) / 1000,
    ownerEmployer: main.ownerEmployer,
  };
}

/** The main data set's rows (see the header), in the order and from the random numbers of the original SQLite seed. */
class MainData {
  readonly memberIds: string[];
  readonly ownerEmployer = EMPLOYERS[0];
  connections = 0;
  invitations = 0;
  private readonly rand = random(20260505);
  private readonly now = Date.now();

  constructor(private readonly plan: Plan) {
    // Ids ascending in insertion order keep the primary-key indexes append-only.
    this.memberIds = Array.from({ length: plan.total }, () => randomUUID()).sort();
  }

  // Member roles by position in `memberIds`: owner (0), friends, senders, background.
  readonly friendAt = (k: number) => 1 + k;
  readonly senderAt = (k: number) => 1 + this.plan.friends + k;
  readonly backgroundAt = (k: number) => 1 + this.plan.friends + this.plan.inbox + k;

  private pick<T>(pool: readonly T[]): T {
    return pool[Math.floor(this.rand() * pool.length)];
  }

  *rows(): Generator<Row> {
    const { total, friends, inbox, backgroundMembers, backgroundInvitations } = this.plan;
    const { memberIds, rand, now } = this;
    const owner = 0;
    const invitationIds = Array.from({ length: inbox + backgroundInvitations }, () =>
      randomUUID(),
    ).sort();

    for (let i = 0; i < total; i++) {
      const first = this.pick(FIRST_NAMES);
      const last = this.pick(LAST_NAMES);
      const employer = i === owner ? this.ownerEmployer : this.pick(EMPLOYERS);
      const industry = this.pick(INDUSTRIES);
      const school = this.pick(SCHOOLS);
      const headline = this.pick(HEADLINES);
      yield memberRow(
        memberIds[i],
        i === owner ? "Bench Owner" : `${first} ${last}`,
        `bench-${i}@example.com`,
        headline,
        employer,
        industry,
        school,
        now - 400 * DAY + rand() * 200 * DAY,
      );
    }

    // The owner's network, and senders sharing some of it (mutual connections, SECOND degree).
    for (let k = 0; k < friends; k++) {
      yield* connectionRows(
        memberIds[owner],
        memberIds[this.friendAt(k)],
        now - 190 * DAY + k * 1000,
      );
      this.connections++;
    }
    for (let k = 0; k < inbox && friends > 0; k++) {
      if (rand() < 0.4) continue;
      const shared = 1 + Math.floor(rand() * Math.min(8, friends));
      const start = Math.floor(rand() * friends);
      for (let j = 0; j < shared; j++) {
        const friend = this.friendAt((start + j) % friends);
        yield* connectionRows(memberIds[this.senderAt(k)], memberIds[friend], now - 180 * DAY + k);
        this.connections++;
      }
    }

    // The inbox: newest first spreads over 150 days (inside the 180-day expiry).
    for (let k = 0; k < inbox; k++) {
      const sender = memberIds[this.senderAt(k)];
      const sentAt = now - Math.floor(((k + rand()) * 150 * DAY) / inbox) - 1000;
      yield invitationRow(
        invitationIds[this.invitations++],
        sender,
        memberIds[owner],
        this.pick(NOTES),
        "PENDING",
        sentAt,
        null,
        null,
      );
    }

    // Background: pair (b, b + d) for d = 1, 2, ... a status mix; accepted ones are connected.
    for (let n = 0; n < backgroundInvitations; n++) {
      const b = n % backgroundMembers;
      const d = 1 + Math.floor(n / backgroundMembers);
      const forward = rand() < 0.5;
      const x = memberIds[this.backgroundAt(b)];
      const y = memberIds[this.backgroundAt((b + d) % backgroundMembers)];
      const [sender, recipient] = forward ? [x, y] : [y, x];
      const status = weighted(BACKGROUND_STATUSES, rand());
      // Expired ones were sent over 180 days ago and closed by the expiry job at 180 days.
      const expired = status === "EXPIRED";
      const sent = now - Math.floor(rand() * 170 * DAY) - (expired ? 181 * DAY : 1000);
      const closed = status !== "PENDING" && status !== "IGNORED";
      const responded = !closed
        ? null
        : expired
          ? sent + 180 * DAY
          : Math.min(now, sent + Math.floor(rand() * 9 * DAY));
      yield invitationRow(
        invitationIds[this.invitations++],
        sender,
        recipient,
        this.pick(NOTES),
        status,
        sent,
        responded,
        null,
      );
      if (status === "ACCEPTED") {
        yield* connectionRows(sender, recipient, responded!);
        this.connections++;
      }
    }
  }
}

interface PendingNotification {
  recipient: number;
  kind: string;
  actor: number;
  invitationId: string;
  message: string | null;
  at: number;
}

/** The viewer community's rows (see the header). */
class Community {
  readonly ids: string[];
  readonly pending: ViewerCommunity["pending"] = [];
  invitations = 0;
  connections = 0;
  notifications = 0;
  private readonly rand = random(20261203);
  private readonly now = Date.now();

  constructor(private readonly size: number) {
    this.ids = Array.from({ length: size }, () => randomUUID()).sort();
  }

  private pick<T>(pool: readonly T[]): T {
    return pool[Math.floor(this.rand() * pool.length)];
  }

  *rows(): Generator<Row> {
    const { ids, size, rand, now } = this;
    if (size === 0) return;
    for (let k = 0; k < size; k++) {
      const employer = this.pick(EMPLOYERS);
      const industry = this.pick(INDUSTRIES);
      const school = this.pick(SCHOOLS);
      yield memberRow(
        ids[k],
        `${this.pick(FIRST_NAMES)} ${this.pick(LAST_NAMES)}`,
        `bench-viewer-${k}@example.com`,
        this.pick(HEADLINES),
        employer,
        industry,
        school,
        now - 400 * DAY + rand() * 100 * DAY,
      );
    }

    // Notifications are numbered per recipient in time order once every invitation is out.
    const told: PendingNotification[][] = Array.from({ length: size }, () => []);
    const invite = (
      sender: number,
      recipient: number,
      status: string,
      sentAt: number,
      respondedAt: number | null,
      responseMessage: string | null,
    ): Row => {
      const id = randomUUID();
      const message = this.pick(NOTES);
      this.invitations++;
      told[recipient].push({
        recipient,
        kind: "INVITATION_RECEIVED",
        actor: sender,
        invitationId: id,
        message,
        at: sentAt,
      });
      if (status === "ACCEPTED" || status === "DECLINED") {
        told[sender].push({
          recipient: sender,
          kind: status === "ACCEPTED" ? "INVITATION_ACCEPTED" : "INVITATION_DECLINED",
          actor: recipient,
          invitationId: id,
          message: responseMessage,
          at: respondedAt!,
        });
      }
      if (status === "PENDING") this.pending.push({ id, sender, recipient });
      return invitationRow(
        id,
        ids[sender],
        ids[recipient],
        message,
        status,
        sentAt,
        respondedAt,
        responseMessage,
      );
    };

    for (let k = 0; k < size; k++) {
      for (const d of CONNECTED) {
        const other = (k + d) % size;
        const sentAt = now - (150 + 10 * d) * DAY + Math.floor(rand() * DAY);
        const respondedAt = sentAt + Math.floor(rand() * 3 * DAY);
        yield invite(k, other, "ACCEPTED", sentAt, respondedAt, null);
        yield* connectionRows(ids[k], ids[other], respondedAt);
        this.connections++;
      }
      for (const d of DECLINED) {
        const sentAt = now - (60 + d) * DAY + Math.floor(rand() * DAY);
        const respondedAt = sentAt + Math.floor(rand() * 2 * DAY);
        yield invite(k, (k + d) % size, "DECLINED", sentAt, respondedAt, "Not right now, thanks.");
      }
      for (const d of PENDING) {
        const sentAt = now - Math.floor(rand() * 25 * DAY) - 1000;
        yield invite((k + d) % size, k, "PENDING", sentAt, null, null);
      }
    }

    for (const list of told) {
      list.sort((a, b) => a.at - b.at);
      let seq = 0;
      for (const n of list) {
        this.notifications++;
        yield [
          NOTIFICATION,
          [
            randomUUID(),
            ids[n.recipient],
            ++seq,
            n.kind,
            ids[n.actor],
            n.invitationId,
            n.message,
            // Read, except for the last month's.
            n.at < now - 30 * DAY,
            n.at,
          ],
        ];
      }
    }
  }
}

function memberRow(
  id: string,
  name: string,
  email: string,
  headline: string,
  employer: string,
  industry: string,
  school: string,
  createdAt: number,
): Row {
  return [
    MEMBER,
    [
      id,
      name,
      email,
      PASSWORD_HASH,
      headline,
      employer,
      industry,
      school,
      // What Member.foldKeys stores for the relation filters.
      foldKey(employer),
      foldKey(industry),
      foldKey(school),
      createdAt,
      "EVERYONE",
      true,
      true,
    ],
  ];
}

function invitationRow(
  id: string,
  sender: string,
  recipient: string,
  message: string | null,
  status: string,
  sentAt: number,
  respondedAt: number | null,
  responseMessage: string | null,
): Row {
  return [
    INVITATION,
    [
      id,
      sender,
      recipient,
      sender < recipient ? `${sender}:${recipient}` : `${recipient}:${sender}`,
      message,
      status,
      sentAt,
      respondedAt,
      responseMessage,
      null,
      null,
    ],
  ];
}

function* connectionRows(a: string, b: string, at: number): Generator<Row> {
  yield [CONNECTION, [a, b, at]];
  yield [CONNECTION, [b, a, at]];
}

// ---------------------------------------------------------------------------------------------
// SQLite

function sqliteSink(path: string): Sink {
  return {
    async write(rows, plan, progress) {
      const db = new Database(path);
      db.pragma("journal_mode = OFF");
      db.pragma("synchronous = OFF");
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("cache_size = -524288"); // 512 MiB
      db.pragma("temp_store = MEMORY");

      // Secondary indexes are built once at the end (sorting beats a million random inserts);
      // they are re-created from their own stored SQL, so the schema stays exactly the app's.
      const tables = TABLES.map((t) => `'${t.name}'`).join(", ");
      const indexes = db
        .prepare<[], { name: string; sql: string; table: string }>(
          `SELECT name, sql, tbl_name AS "table" FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables})`,
        )
        .all();
      progress.start(rowsOf(plan) + indexes.reduce((sum, i) => sum + (plan.rows[i.table] ?? 0), 0));
      const inserts = new Map(
        TABLES.map((t) => {
          const statement = db.prepare(
            `INSERT INTO "${t.name}" (${t.columns.map(([c]) => `"${c}"`).join(", ")}) VALUES (${t.columns.map(() => "?").join(", ")})`,
          );
          const kinds = t.columns.map(([, kind]) => kind);
          return [t, { statement, kinds }] as const;
        }),
      );

      db.transaction(() => {
        for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
        for (const [table, values] of rows) {
          const { statement, kinds } = inserts.get(table)!;
          for (let c = 0; c < kinds.length; c++) {
            const v = values[c];
            if (v === null) continue;
            if (kinds[c] === "date") values[c] = sqliteDate(v as number);
            else if (kinds[c] === "bool") values[c] = v ? 1 : 0;
          }
          statement.run(values);
          progress.tick();
        }
        for (const { sql, table } of indexes) {
          db.exec(sql);
          progress.tick(plan.rows[table] ?? 0);
        }
      })();

      db.pragma("locking_mode = NORMAL");
      db.pragma("journal_mode = WAL");
      db.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Rows per INSERT: one array per column, so the statement has as many parameters as columns. */
const PG_BATCH = 5_000;

const PG_ARRAY: Record<Kind, string> = {
  text: "text[]",
  date: "timestamptz[]",
  bool: "boolean[]",
  int: "integer[]",
};

function postgresSink(url: string): Sink {
  return {
    async write(rows, plan, progress) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query("BEGIN");
        const names = TABLES.map((t) => t.name);
        // As on SQLite: secondary indexes, and here the foreign keys too, are dropped and made
        // again from their own definitions once the rows are in (one pass over each table
        // instead of one lookup per row).
        const foreignKeys = await client.query<{ name: string; table: string; def: string }>(
          `SELECT c.conname AS name, t.relname AS "table", pg_get_constraintdef(c.oid) AS def
             FROM pg_constraint c
             JOIN pg_class t ON t.oid = c.conrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY($1)`,
          [names],
        );
        const indexes = await client.query<{ name: string; table: string; def: string }>(
          `SELECT i.relname AS name, t.relname AS "table", pg_get_indexdef(i.oid) AS def
             FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema() AND t.relname = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid
                                AND c.contype IN ('p', 'u', 'x'))`,
          [names],
        );
        progress.start(
          rowsOf(plan) +
            [...indexes.rows, ...foreignKeys.rows].reduce(
              (sum, i) => sum + (plan.rows[i.table] ?? 0),
              0,
            ),
        );
        for (const fk of foreignKeys.rows) {
          await client.query(`ALTER TABLE "${fk.table}" DROP CONSTRAINT "${fk.name}"`);
        }
        for (const index of indexes.rows) await client.query(`DROP INDEX "${index.name}"`);

        const buffers = new Map(TABLES.map((t) => [t, t.columns.map((): unknown[] => [])]));
        // One INSERT in flight while the next batch is generated: this process and PostgreSQL
        // work at the same time.
        let inFlight: Promise<unknown> = Promise.resolve();
        const flush = async (table: Table) => {
          const columns = buffers.get(table)!;
          if (columns[0].length === 0) return;
          buffers.set(
            table,
            table.columns.map((): unknown[] => []),
          );
          await inFlight;
          const sql =
            `INSERT INTO "${table.name}" (${table.columns.map(([c]) => `"${c}"`).join(", ")}) ` +
            `SELECT * FROM unnest(${table.columns.map(([, kind], i) => `$${i + 1}::${PG_ARRAY[kind]}`).join(", ")})`;
          inFlight = client.query(sql, columns);
          // Handled here too, so a failure waits for the next await instead of crashing now.
          inFlight.catch(() => undefined);
        };
        for (const [table, values] of rows) {
          const columns = buffers.get(table)!;
          for (let c = 0; c < values.length; c++) {
            const v = values[c];
            columns[c].push(
              v !== null && table.columns[c][1] === "date"
                ? new Date(v as number).toISOString()
                : v,
            );
          }
          progress.tick();
          if (columns[0].length >= PG_BATCH) await flush(table);
        }
        for (const table of TABLES) await flush(table);
        await inFlight;

        for (const index of indexes.rows) {
          await client.query(index.def);
          progress.tick(plan.rows[index.table] ?? 0);
        }
        for (const fk of foreignKeys.rows) {
          await client.query(`ALTER TABLE "${fk.table}" ADD CONSTRAINT "${fk.name}" ${fk.def}`);
          progress.tick(plan.rows[fk.table] ?? 0);
        }
        await client.query("COMMIT");
        // The planner's statistics and the visibility map, as a database that has been running
        // for a while has them from autovacuum (outside a transaction: VACUUM refuses one).
        await client.query(`VACUUM (ANALYZE) ${names.map((n) => `"${n}"`).join(", ")}`);
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        await client.end();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** Rows of every table together. */
function rowsOf(plan: Plan): number {
  return Object.values(plan.rows).reduce((a, b) => a + b, 0);
}

function range(n: number, at: (k: number) => number): number[] {
  return Array.from({ length: n }, (_, k) => at(k));
}

function weighted(table: [string, number][], r: number): string {
  let x = r * 100;
  for (const [value, weight] of table) {
    if (x < weight) return value;
    x -= weight;
  }
  return table[table.length - 1][0];
}

/** Rough connection rows, only for the progress bar. */
function estimateConnections(inbox: number, friends: number, background: number): number {
  return 2 * friends + (friends > 0 ? Math.round(inbox * 0.6 * 4.5 * 2) : 0) + background * 0.4;
}

/** A progress bar on stderr: `\r<label> [####    ] 45%`, finished with a newline at 100%. */
export function progressBar(label: string, width = 30): (fraction: number) => void {
  let last = -1;
  return (fraction) => {
    const pct = Math.floor(fraction * 100);
    if (pct === last) return;
    last = pct;
    const filled = Math.round((pct / 100) * width);
    process.stderr.write(
      `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${String(pct).padStart(3)}%`,
    );
    if (pct >= 100) process.stderr.write("\n");
  };
}
