/**
 * Bench data, written straight into SQLite (the API would take hours for a million rows).
 *
 * The schema comes from the app itself: `openDatabase` runs the migrations on the fresh file,
 * then better-sqlite3 fills it in one transaction with prepared statements. Every row respects
 * what the app would have written: UUID ids, `pairKey` = the two ids sorted and joined by ':',
 * at most one open invitation per pair, two `connection` rows per connection, datetimes in
 * TypeORM's SQLite format (`YYYY-MM-DD HH:MM:SS.SSS`, UTC), booleans as 0/1.
 *
 * Layout (indexes into the returned `members`):
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
 */
import { createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import Database from "better-sqlite3";
import jwt from "jsonwebtoken";
import { openDatabase } from "../../src/db/data-source";
import { entities } from "../../src/entities";
import { foldKey } from "../../src/members/member.entity";

export interface SeedOptions {
  sqlitePath: string;
  /** Members in all (owner, friends, inbox senders, background). */
  members: number;
  /** Invitations in all: the owner's inbox plus the background. */
  invitations: number;
  /** Pending invitations to `members[0]` (default 10,000, at most `invitations`). */
  inbox?: number;
  /** Connections of `members[0]` (default 200). */
  friends?: number;
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
  counts: { members: number; invitations: number; inbox: number; connections: number };
  /** Wall time of the whole seed (migrations, rows, indexes), seconds. */
  seconds: number;
  /** The owner's employer: `SAME_EMPLOYER` matches the senders who share it. */
  ownerEmployer: string;
}

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
function random(seed: number): () => number {
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

/**
 * Creates the schema in a fresh SQLite file (which must not exist yet) and fills it.
 * Synchronous once the migrations ran: nothing else runs in the process meanwhile.
 */
export async function seed(opts: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const rand = random(20260505);
  const pick = <T>(pool: readonly T[]) => pool[Math.floor(rand() * pool.length)];
  const now = Date.now();

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
  const backgroundMembers = total - 1 - friends - inbox;
  const backgroundInvitations = opts.invitations - inbox;

  // Migrations by the app itself, then close it: from here on it is raw SQL.
  const dataSource = await openDatabase({ entities, sqlitePath: opts.sqlitePath });
  await dataSource.destroy();

  const db = new Database(opts.sqlitePath);
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma("locking_mode = EXCLUSIVE");
  db.pragma("cache_size = -524288"); // 512 MiB
  db.pragma("temp_store = MEMORY");

  // Secondary indexes are built once at the end (sorting beats a million random inserts);
  // they are re-created from their own stored SQL, so the schema stays exactly the app's.
  const indexes = db
    .prepare<[], { name: string; sql: string; table: string }>(
      `SELECT name, sql, tbl_name AS "table" FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('member', 'invitation', 'connection')`,
    )
    .all();

  // Ids ascending in insertion order keep the primary-key indexes append-only.
  const memberIds = Array.from({ length: total }, () => randomUUID()).sort();
  const connectionRows = estimateConnections(inbox, friends, backgroundInvitations);
  // Building an index costs about what writing its table's rows did.
  const rowsOf: Record<string, number> = {
    member: total,
    invitation: opts.invitations,
    connection: connectionRows,
  };
  const indexUnits = (table: string) => Math.round(rowsOf[table] ?? 0);
  const units =
    total +
    opts.invitations +
    connectionRows +
    indexes.reduce((sum, index) => sum + indexUnits(index.table), 0);
  let done = 0;
  let reported = -1;
  const tick = (n = 1) => {
    done += n;
    const pct = Math.floor((100 * done) / units);
    if (pct !== reported) {
      reported = pct;
      opts.progress?.(Math.min(1, done / units));
    }
  };

  // Member roles by position in `memberIds`: owner, friends, senders, background.
  const owner = 0;
  const friendAt = (k: number) => 1 + k;
  const senderAt = (k: number) => 1 + friends + k;
  const backgroundAt = (k: number) => 1 + friends + inbox + k;

  const insertMember = db.prepare(
    `INSERT INTO "member" ("id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "employerKey", "industryKey", "schoolKey", "createdAt", "whoCanInvite", "notifyOnInvitation", "reminders") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'EVERYONE', 1, 1)`,
  );
  const insertConnection = db.prepare(
    `INSERT INTO "connection" ("memberId", "otherId", "createdAt") VALUES (?, ?, ?)`,
  );
  const insertInvitation = db.prepare(
    `INSERT INTO "invitation" ("id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage", "remindedAt", "remindAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)`,
  );
  const connect = (a: string, b: string, at: string) => {
    insertConnection.run(a, b, at);
    insertConnection.run(b, a, at);
    tick(2);
  };
  const pairKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);

  const ownerEmployer = EMPLOYERS[0];
  let connections = 0;
  let invitations = 0;
  const invitationIds = Array.from({ length: opts.invitations }, () => randomUUID()).sort();

  db.transaction(() => {
    for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);

    for (let i = 0; i < total; i++) {
      const first = pick(FIRST_NAMES);
      const last = pick(LAST_NAMES);
      const employer = i === owner ? ownerEmployer : pick(EMPLOYERS);
      const industry = pick(INDUSTRIES);
      const school = pick(SCHOOLS);
      insertMember.run(
        memberIds[i],
        i === owner ? "Bench Owner" : `${first} ${last}`,
        `bench-${i}@example.com`,
        PASSWORD_HASH,
        pick(HEADLINES),
        employer,
        industry,
        school,
        // What Member.foldKeys stores for the relation filters.
        foldKey(employer),
        foldKey(industry),
        foldKey(school),
        sqliteDate(now - 400 * DAY + rand() * 200 * DAY),
      );
      tick();
    }

    // The owner's network, and senders sharing some of it (mutual connections, SECOND degree).
    for (let k = 0; k < friends; k++) {
      connect(memberIds[owner], memberIds[friendAt(k)], sqliteDate(now - 190 * DAY + k * 1000));
      connections++;
    }
    for (let k = 0; k < inbox && friends > 0; k++) {
      if (rand() < 0.4) continue;
      const shared = 1 + Math.floor(rand() * Math.min(8, friends));
      const start = Math.floor(rand() * friends);
      for (let j = 0; j < shared; j++) {
        const friend = friendAt((start + j) % friends);
        connect(memberIds[senderAt(k)], memberIds[friend], sqliteDate(now - 180 * DAY + k));
        connections++;
      }
    }

    // The inbox: newest first spreads over 150 days (inside the 180-day expiry).
    for (let k = 0; k < inbox; k++) {
      const sender = memberIds[senderAt(k)];
      const sentAt = now - Math.floor(((k + rand()) * 150 * DAY) / inbox) - 1000;
      insertInvitation.run(
        invitationIds[invitations++],
        sender,
        memberIds[owner],
        pairKey(sender, memberIds[owner]),
        pick(NOTES),
        "PENDING",
        sqliteDate(sentAt),
        null,
      );
      tick();
    }

    // Background: pair (b, b + d) for d = 1, 2, ... a status mix; accepted ones are connected.
    for (let n = 0; n < backgroundInvitations; n++) {
      const b = n % backgroundMembers;
      const d = 1 + Math.floor(n / backgroundMembers);
      const forward = rand() < 0.5;
      const x = memberIds[backgroundAt(b)];
      const y = memberIds[backgroundAt((b + d) % backgroundMembers)];
      const [sender, recipient] = forward ? [x, y] : [y, x];
      const status = weighted(BACKGROUND_STATUSES, rand());
      // Expired ones were sent over 180 days ago and closed by the expiry job at 180 days.
      const expired = status === "EXPIRED";
      const sent = now - Math.floor(rand() * 170 * DAY) - (expired ? 181 * DAY : 1000);
      const closed = status !== "PENDING" && status !== "IGNORED";
      const responded = !closed
        ? null
        : sqliteDate(
            expired ? sent + 180 * DAY : Math.min(now, sent + Math.floor(rand() * 9 * DAY)),
          );
      insertInvitation.run(
        invitationIds[invitations++],
        sender,
        recipient,
        pairKey(sender, recipient),
        pick(NOTES),
        status,
        sqliteDate(sent),
        responded,
      );
      tick();
      if (status === "ACCEPTED") {
        connect(sender, recipient, responded!);
        connections++;
      }
    }

    for (const { sql, table } of indexes) {
      db.exec(sql);
      tick(indexUnits(table));
    }
  })();

  db.pragma("locking_mode = NORMAL");
  db.pragma("journal_mode = WAL");
  db.close();
  opts.progress?.(1);

  // Returned order: owner, senders, background, friends (see the header).
  const order = [
    owner,
    ...range(inbox, senderAt),
    ...range(backgroundMembers, backgroundAt),
    ...range(friends, friendAt),
  ];
  const withTokens = opts.tokens ?? order.length;
  const key = secretKey(opts.jwtSecret);
  const members = order.map((i, n) => ({
    id: memberIds[i],
    token: n < withTokens ? mintToken(memberIds[i], key) : "",
  }));
  return {
    members,
    counts: { members: total, invitations, inbox, connections },
    seconds: (performance.now() - started) / 1000,
    ownerEmployer,
  };
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
