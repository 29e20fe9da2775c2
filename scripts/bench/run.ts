/**
 * `npm run bench [-- options]`: seeds a fresh database, starts the built server as separate
 * processes (production mode, 127.0.0.1, a free port each), drives each scenario against them
 * from this process, prints one table and writes the same as JSON under scripts/bench/results/.
 *
 * Engines: `sqlite` (default) runs one server on a seeded SQLite file; `postgres` runs two on
 * one seeded PostgreSQL database (created for the run and dropped after it) and one Redis, with
 * the load split evenly over them; `both` runs every scenario on SQLite and then on PostgreSQL
 * and prints them side by side. Every ratio is to a row of the same engine in the same run.
 *
 * Options: see USAGE (`--help`).
 */
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import {
  baseline,
  baselineUncached,
  bigData,
  inbox,
  inboxFiltered,
  inboxFilteredUncached,
  inboxUncached,
  inboxWhileConnecting,
  waitForIdle,
  warmUpServers,
} from "./scenarios/http";
import { idleSockets } from "./scenarios/idle-sockets";
import { manyViewers } from "./scenarios/many-viewers";
import { pushLatency } from "./scenarios/push-latency";
import { sendDecline } from "./scenarios/send-decline";
import { MIN_VIEWERS, progressBar, seed, type SeedResult } from "./seed";
import {
  checkServices,
  createScratchDatabase,
  redact,
  startServers,
  type ServerProcess,
  type Storage,
} from "./servers";
import type {
  BenchContext,
  BenchOptions,
  Engine,
  Scenario,
  ScenarioResult,
  ServerEndpoint,
} from "./types";

/** Every option the runner reads; `BenchOptions` is the part scenarios see. */
interface RunOptions extends BenchOptions {
  engine: Engine | "both";
  databaseUrl: string;
  redisUrl: string;
  /** Seconds of unmeasured load on freshly started servers. */
  serverWarmup: number;
  members: number;
  invitations: number;
  viewers: number;
  bigMembers: number;
  bigInvitations: number;
  only: string[] | null;
  skipBigData: boolean;
  /** Directory for the servers' V8 CPU profiles (`node --cpu-prof`), or null. */
  cpuProf: string | null;
}

const SCENARIOS = [
  "baseline",
  "baseline-uncached",
  "inbox",
  "inbox-uncached",
  "inbox-filtered",
  "inbox-filtered-uncached",
  "inbox-while-connecting",
  "many-viewers",
  "send-decline",
  "push-latency",
  "idle-sockets",
  "big-data",
] as const;
type ScenarioName = (typeof SCENARIOS)[number];

/** Rows whose every answer is computed: their ratio to `baseline-uncached` is the fair one. */
const COMPUTED = new Set<string>([
  "baseline-uncached",
  "inbox-uncached",
  "inbox-filtered-uncached",
  "big-data",
]);

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

const USAGE = `Usage: npm run bench -- [options]

  --engine=E            sqlite (default): one server on a SQLite file; postgres: two servers
                        on one PostgreSQL database and one Redis, the load split over both;
                        both: every scenario on sqlite, then on postgres, in one table
  --database-url=URL    PostgreSQL server to create the run's database on (it connects to
                        the database URL names; default ${DEFAULT_DATABASE_URL})
  --redis-url=URL       Redis for the postgres servers (default ${DEFAULT_REDIS_URL})
  --quick               CI-sized run, whole run under 60 s on sqlite (short loads, fewer
                        sockets, a 20,000-member / 200,000-invitation big-data set)
  --duration=S          seconds per load scenario (default 10; quick 2)
  --server-warmup=S     unmeasured load on freshly started servers before their first
                        scenario (default 10; quick 2; 0 skips it)
  --connections=N       concurrent HTTP connections / write workers (default 50)
  --members=N           members in the main data set (default 20000)
  --invitations=N       invitations in the main data set, 10,000 of them the inbox (default 30000)
  --viewers=N           members of the many-viewers community (default 2000, at least ${MIN_VIEWERS})
  --write-pct=P         share of many-viewers requests that are writes, percent (default 5)
  --subscribers=N       push-latency subscribers (default 2000; quick 200)
  --sockets=N           idle-sockets connections (default 10000; quick 1000)
  --rate=N              push-latency declines per second (default 200; quick 100)
  --big-members=N       big-data members (default 100000; quick 20000)
  --big-invitations=N   big-data invitations (default 1000000; quick 200000)
  --only=a,b            run only these of: ${SCENARIOS.join(", ")}
                        (baseline always runs: every ratio needs it; baseline-uncached runs
                        with any computed row, inbox-uncached with big-data and many-viewers)
  --skip-big-data       leave out big-data
  --cpu-prof=DIR        run the servers under node --cpu-prof, one .cpuprofile per server
                        process in DIR (open it in Chrome DevTools or speedscope)
`;

function parseOptions(argv: string[]): RunOptions {
  const flags = new Map<string, string | true>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument "${arg}"`);
    flags.set(m[1], m[2] ?? true);
  }
  const known = new Set([
    "engine",
    "database-url",
    "redis-url",
    "quick",
    "duration",
    "server-warmup",
    "connections",
    "members",
    "invitations",
    "viewers",
    "write-pct",
    "subscribers",
    "sockets",
    "rate",
    "only",
    "skip-big-data",
    "big-members",
    "big-invitations",
    "help",
    "cpu-prof",
  ]);
  for (const key of flags.keys()) {
    if (!known.has(key)) throw new UsageError(`unknown option --${key}`);
  }
  if (flags.has("help")) throw new UsageError("");
  const quick = flags.get("quick") === true;
  const int = (name: string, fallback: number, min = 1) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (raw === true || !Number.isInteger(value) || value < min) {
      throw new UsageError(`--${name} needs an integer >= ${min}`);
    }
    return value;
  };
  const text = (name: string, fallback: string) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    if (raw === true || raw === "") throw new UsageError(`--${name} needs a value`);
    return raw;
  };
  const onlyRaw = flags.get("only");
  let only: string[] | null = null;
  if (onlyRaw !== undefined) {
    if (onlyRaw === true) throw new UsageError("--only needs a list, e.g. --only=inbox,baseline");
    only = onlyRaw.split(",").map((s) => s.trim());
    const bad = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
    if (bad.length) throw new UsageError(`unknown scenario(s): ${bad.join(", ")}`);
  }
  const engine = text("engine", "sqlite");
  if (engine !== "sqlite" && engine !== "postgres" && engine !== "both") {
    throw new UsageError("--engine is one of sqlite, postgres, both");
  }
  const databaseUrl = text("database-url", DEFAULT_DATABASE_URL);
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new UsageError("--database-url must start with postgres:// or postgresql://");
  }
  const redisUrl = text("redis-url", DEFAULT_REDIS_URL);
  if (!/^rediss?:\/\//.test(redisUrl)) {
    throw new UsageError("--redis-url must start with redis:// or rediss://");
  }
  const writePctRaw = text("write-pct", "5");
  const writePct = Number(writePctRaw);
  if (!Number.isFinite(writePct) || writePct < 0 || writePct > 100) {
    throw new UsageError("--write-pct needs a number from 0 to 100");
  }
  return {
    engine,
    databaseUrl,
    redisUrl,
    quick,
    duration: int("duration", quick ? 2 : 10),
    serverWarmup: int("server-warmup", quick ? 2 : 10, 0),
    connections: int("connections", 50),
    members: int("members", 20_000, 2),
    invitations: int("invitations", 30_000, 1),
    viewers: int("viewers", 2_000, MIN_VIEWERS),
    writeShare: writePct / 100,
    subscribers: int("subscribers", quick ? 200 : 2_000),
    sockets: int("sockets", quick ? 1_000 : 10_000),
    rate: int("rate", quick ? 100 : 200),
    bigMembers: int("big-members", quick ? 20_000 : 100_000, 2),
    bigInvitations: int("big-invitations", quick ? 200_000 : 1_000_000, 1),
    only,
    skipBigData: flags.get("skip-big-data") === true,
    cpuProf:
      typeof flags.get("cpu-prof") === "string" ? resolve(flags.get("cpu-prof") as string) : null,
  };
}

class UsageError extends Error {}

const log = (message: string) => process.stderr.write(`${message}\n`);

/** A token for the servers' /metrics, new for every run. */
const METRICS_TOKEN = randomBytes(24).toString("hex");

/** Warms the servers of `ctx` for `seconds` (see warmUpServers). */
async function warmUp(ctx: BenchContext, seconds: number): Promise<void> {
  if (seconds <= 0) return;
  const answered = await warmUpServers(ctx, seconds * 1000);
  log(`servers warmed up: ${answered} requests in ${seconds} s (not measured)`);
}

/** Servers per engine: PostgreSQL is the engine for several instances, so it gets two. */
const INSTANCES: Record<Engine, number> = { sqlite: 1, postgres: 2 };

// ---------------------------------------------------------------------------------------------
// One engine's run

interface RunState {
  dir: string;
  jwtSecret: string;
  /** Undone in reverse on the way out, also on Ctrl-C. */
  cleanups: (() => Promise<void>)[];
  interrupted: boolean;
}

interface EngineRun {
  engine: Engine;
  results: ScenarioResult[];
  seed: Record<string, unknown>;
  seconds: number;
}

/** A seeded database for `engine`, and how to remove it. */
async function prepareStorage(
  engine: Engine,
  label: string,
  file: string,
  options: RunOptions,
  state: RunState,
): Promise<{ storage: Storage; remove(): Promise<void> }> {
  if (engine === "sqlite") {
    const sqlitePath = join(state.dir, file);
    return {
      storage: { engine, sqlitePath },
      remove: async () => rmSync(sqlitePath, { force: true }),
    };
  }
  const db = await createScratchDatabase(options.databaseUrl, options.redisUrl);
  state.cleanups.push(db.drop);
  log(`${label}: database ${db.name}`);
  return {
    storage: { engine, databaseUrl: db.url, redisUrl: options.redisUrl },
    remove: db.drop,
  };
}

async function seedStorage(
  label: string,
  storage: Storage,
  sizes: { members: number; invitations: number; viewers: number; tokens?: number },
  jwtSecret: string,
): Promise<SeedResult> {
  const where = storage.engine === "sqlite" ? storage.sqlitePath : redact(storage.databaseUrl);
  log(
    `${label}: ${sizes.members} members, ${sizes.invitations} invitations` +
      (sizes.viewers ? `, ${sizes.viewers}-member viewer community` : "") +
      ` -> ${where}`,
  );
  const result = await seed({
    sqlitePath: storage.engine === "sqlite" ? storage.sqlitePath : ":memory:",
    databaseUrl: storage.engine === "postgres" ? storage.databaseUrl : null,
    members: sizes.members,
    invitations: sizes.invitations,
    viewers: sizes.viewers,
    jwtSecret,
    tokens: sizes.tokens,
    progress: progressBar(`seeding ${label}`),
  });
  log(
    `${label}: seeded in ${result.seconds.toFixed(1)} s ` +
      `(inbox ${result.counts.inbox}, ${result.counts.connections} connections)`,
  );
  return result;
}

function seedSummary(result: SeedResult): Record<string, number> {
  return { ...result.counts, seconds: Number(result.seconds.toFixed(2)) };
}

async function runEngine(
  engine: Engine,
  options: RunOptions,
  selected: Set<ScenarioName>,
  state: RunState,
): Promise<EngineRun> {
  const t0 = performance.now();
  const instances = INSTANCES[engine];
  const startOptions = {
    jwtSecret: state.jwtSecret,
    metricsToken: METRICS_TOKEN,
    cpuProf: options.cpuProf,
  };
  const started = async (storage: Storage): Promise<ServerProcess[]> => {
    const servers = await startServers(storage, instances, startOptions);
    state.cleanups.push(async () => {
      await Promise.allSettled(servers.map((s) => s.stop()));
    });
    log(`servers (${engine}): ${servers.map((s) => `pid ${s.pid} at ${s.url}`).join(", ")}`);
    return servers;
  };
  const endpoints = (servers: ServerProcess[]): ServerEndpoint[] =>
    servers.map(({ url, wsUrl, pid }) => ({ url, wsUrl, pid }));

  log(`\n######## ${engine}${instances > 1 ? ` (${instances} server instances)` : ""}`);
  const results: ScenarioResult[] = [];
  const seeds: Record<string, unknown> = {};
  const main = await prepareStorage(engine, "main data set", "bench.sqlite", options, state);
  const seeded = await seedStorage(
    "main data set",
    main.storage,
    {
      members: options.members,
      invitations: options.invitations,
      // Seeded only for the scenario that reads it: the other rows keep the data set they had.
      viewers: selected.has("many-viewers") ? options.viewers : 0,
    },
    state.jwtSecret,
  );
  seeds.main = seedSummary(seeded);
  const servers = await started(main.storage);

  const ctx: BenchContext = {
    engine,
    servers: endpoints(servers),
    members: seeded.members,
    viewers: seeded.viewers ?? undefined,
    options: {
      duration: options.duration,
      connections: options.connections,
      quick: options.quick,
      subscribers: options.subscribers,
      sockets: options.sockets,
      rate: options.rate,
      writeShare: options.writeShare,
    },
    log,
    metricsToken: METRICS_TOKEN,
  };
  await warmUp(ctx, options.serverWarmup);

  const onMainServers: [ScenarioName, Scenario][] = [
    ["baseline", baseline],
    ["baseline-uncached", baselineUncached],
    ["inbox", inbox],
    ["inbox-uncached", inboxUncached],
    ["inbox-filtered", inboxFiltered],
    ["inbox-filtered-uncached", inboxFilteredUncached],
    ["inbox-while-connecting", inboxWhileConnecting],
    ["many-viewers", manyViewers],
    ["send-decline", sendDecline],
    ["push-latency", pushLatency],
    ["idle-sockets", idleSockets],
  ];
  for (const [name, scenario] of onMainServers) {
    if (!selected.has(name) || state.interrupted) continue;
    results.push(await runScenario(name, scenario, ctx));
  }
  await Promise.allSettled(servers.map((s) => s.stop()));
  await main.remove();

  if (selected.has("big-data") && !state.interrupted) {
    const inboxRow = results.find((r) => r.scenario === "inbox-uncached");
    const big = bigData({
      inboxP99: () => inboxRow?.p99 ?? null,
      prepare: async () => {
        const bigStorage = await prepareStorage(
          engine,
          "big-data set",
          "big.sqlite",
          options,
          state,
        );
        const bigSeed = await seedStorage(
          "big-data set",
          bigStorage.storage,
          {
            members: options.bigMembers,
            invitations: options.bigInvitations,
            viewers: 0,
            tokens: 1_000,
          },
          state.jwtSecret,
        );
        seeds.bigData = seedSummary(bigSeed);
        const bigServers = await started(bigStorage.storage);
        const bigCtx: BenchContext = {
          ...ctx,
          servers: endpoints(bigServers),
          members: bigSeed.members.slice(0, 1_000),
          viewers: undefined,
        };
        await warmUp(bigCtx, options.serverWarmup);
        return {
          ctx: bigCtx,
          seedSeconds: bigSeed.seconds,
          members: bigSeed.counts.members,
          invitations: bigSeed.counts.invitations,
          close: async () => {
            await Promise.allSettled(bigServers.map((s) => s.stop()));
            await bigStorage.remove();
          },
        };
      },
    });
    results.push(await runScenario("big-data", big, ctx));
  }

  for (const r of results) r.engine = engine;
  addRatios(results);
  return { engine, results, seed: seeds, seconds: (performance.now() - t0) / 1000 };
}

/** Runs one scenario; a failure becomes a row saying so, and the run goes on. */
async function runScenario(
  name: ScenarioName,
  scenario: Scenario,
  ctx: BenchContext,
): Promise<ScenarioResult> {
  log(`\n== ${name} (${ctx.engine})`);
  // The previous scenario's last requests may still run on the servers: not on this one's bill.
  await waitForIdle(ctx.servers.map((s) => s.pid));
  const t0 = performance.now();
  try {
    const result = await scenario(ctx);
    log(`== ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`== ${name} FAILED: ${message}`);
    return {
      scenario: name,
      requests: 0,
      throughput: null,
      p50: null,
      p99: null,
      errors: 1,
      rssMiB: null,
      extra: { failed: message.replace(/\s+/g, " ").slice(0, 200) },
    };
  }
}

/** Ratios to rows of the same engine's run: baseline, and the computed reference. */
function addRatios(results: ScenarioResult[]): void {
  const throughputOf = (name: string) =>
    results.find((r) => r.scenario === name)?.throughput ?? null;
  const ratio = (value: number | null, to: number | null) =>
    value !== null && to ? Number((value / to).toFixed(3)) : null;
  const base = throughputOf("baseline");
  for (const r of results) {
    r.ratioToBaseline = ratio(r.throughput, base);
    const reference = COMPUTED.has(r.scenario)
      ? "baseline-uncached"
      : r.scenario === "many-viewers"
        ? "inbox-uncached"
        : null;
    if (reference) {
      r.computedReference = reference;
      r.ratioToComputed = ratio(r.throughput, throughputOf(reference));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function fmt(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "-";
  return value.toFixed(digits);
}

function ms(value: number | null): string {
  if (value === null) return "-";
  return value.toFixed(value < 10 ? 2 : 1);
}

function notes(extra: Record<string, number | string>): string {
  return Object.entries(extra)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** The numeric cells of one row, in the order of NUMBERS. */
function numbers(r: ScenarioResult | undefined): string[] {
  if (!r) return NUMBERS.map(() => "");
  return [
    fmt(r.throughput, 0),
    fmt(r.ratioToBaseline, 2),
    fmt(r.ratioToComputed, 2),
    ms(r.p50),
    ms(r.p99),
    String(r.errors),
    fmt(r.rssMiB, 0),
  ];
}
const NUMBERS = ["req/s", "x baseline", "x computed", "p50 ms", "p99 ms", "errors", "RSS MiB"];

const LEGEND =
  "x computed: throughput over baseline-uncached (many-viewers: over inbox-uncached), " +
  "same engine, same run";

/** Lays out rows: the first column left-aligned, the numeric ones right-aligned, the last free. */
function layout(header: string[][], rows: string[][], numeric: (i: number) => boolean): string {
  const all = [...header, ...rows];
  const columns = Math.max(...all.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) =>
    i === columns - 1 ? 0 : Math.max(...all.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1
          ? cell
          : numeric(i)
            ? cell.padStart(widths[i])
            : cell.padEnd(widths[i]),
      )
      .join("  ")
      .trimEnd();
  // The free last column's rule is as long as its title, at most 5.
  const last = Math.min(5, Math.max(...header.map((r) => (r[columns - 1] ?? "").length)));
  const rule = widths.map((w, i) => "-".repeat(i === columns - 1 ? last : w));
  return [...header.map(line), line(rule), ...rows.map(line)].join("\n");
}

/** One engine: every number and the notes, one row per scenario. */
function table(results: ScenarioResult[]): string {
  const rows = results.map((r) => [r.scenario, ...numbers(r), notes(r.extra)]);
  const printed = layout(
    [["scenario", ...NUMBERS, "notes"]],
    rows,
    (i) => i > 0 && i <= NUMBERS.length,
  );
  return results.some((r) => r.computedReference) ? `${printed}\n\n${LEGEND}` : printed;
}

/** Two engines side by side, then each row's notes per engine. */
function sideBySide(runs: EngineRun[]): string {
  const names: string[] = [];
  for (const run of runs) {
    for (const r of run.results) if (!names.includes(r.scenario)) names.push(r.scenario);
  }
  const header = ["scenario", ...runs.flatMap(() => ["|", ...NUMBERS]), ""];
  const rows = names.map((name) => [
    name,
    ...runs.flatMap((run) => ["|", ...numbers(run.results.find((r) => r.scenario === name))]),
    "",
  ]);
  const body = layout([header], rows, (i) => i > 0);
  // Each engine's name above its first column (where its "|" is).
  const headerLine = body.split("\n")[0];
  let titles = "";
  let from = 0;
  for (const run of runs) {
    const at = headerLine.indexOf("|", from);
    from = at + 1;
    const servers = INSTANCES[run.engine];
    titles = titles.padEnd(at) + `| ${run.engine}${servers > 1 ? ` (${servers} servers)` : ""}`;
  }
  const printed = `${titles}\n${body}`;
  const noteLines = names.flatMap((name) =>
    runs.flatMap((run) => {
      const r = run.results.find((x) => x.scenario === name);
      return r ? [`${name} [${run.engine}]: ${notes(r.extra)}`] : [];
    }),
  );
  return `${printed}\n\n${LEGEND}\n\nnotes:\n${noteLines.join("\n")}`;
}

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? "unknown",
    cpuCount: cpus.length,
    totalMemoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    /** 1, 5 and 15 minute load averages when the run started: others' load skews the numbers. */
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = new Date();
  const host = machine();
  if (host.loadAverage[0] > 0.5) {
    log(
      `note: load average ${host.loadAverage.join(" ")} before the run: ` +
        "other processes compete for the CPU, so absolute numbers will be low",
    );
  }
  const selected = new Set<ScenarioName>((options.only as ScenarioName[] | null) ?? [...SCENARIOS]);
  selected.add("baseline");
  if (options.skipBigData) selected.delete("big-data");
  // Each ratio's reference runs with the rows that need it.
  if (selected.has("big-data") || selected.has("many-viewers")) selected.add("inbox-uncached");
  if ([...selected].some((s) => COMPUTED.has(s))) selected.add("baseline-uncached");
  if (process.env.DATABASE_URL || process.env.REDIS_URL) {
    log(
      "note: DATABASE_URL / REDIS_URL are ignored: the bench seeds databases of its own " +
        "(--engine, --database-url, --redis-url)",
    );
  }
  const engines: Engine[] = options.engine === "both" ? ["sqlite", "postgres"] : [options.engine];
  if (engines.includes("postgres")) await checkServices(options.databaseUrl, options.redisUrl);

  const state: RunState = {
    dir: mkdtempSync(join(os.tmpdir(), "invitations-bench-")),
    jwtSecret: randomBytes(32).toString("hex"),
    cleanups: [],
    interrupted: false,
  };
  const cleanUp = async () => {
    for (const cleanup of state.cleanups.splice(0).reverse()) {
      await cleanup().catch((err) => log(`cleanup failed: ${(err as Error).message}`));
    }
    rmSync(state.dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    state.interrupted = true;
    log("interrupted: stopping the servers, dropping the databases");
    void cleanUp().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const runs: EngineRun[] = [];
  try {
    for (const engine of engines) {
      if (state.interrupted) break;
      runs.push(await runEngine(engine, options, selected, state));
    }
  } finally {
    await cleanUp();
  }

  const finished = new Date();
  const printed = runs.length > 1 ? sideBySide(runs) : table(runs[0]?.results ?? []);
  process.stdout.write(`\n${printed}\n\n`);
  const report = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: Number(((finished.getTime() - started.getTime()) / 1000).toFixed(1)),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: host,
    gitCommit: gitCommit(),
    database: options.engine,
    options: {
      ...options,
      databaseUrl: redact(options.databaseUrl),
      redisUrl: redact(options.redisUrl),
    },
    engines: Object.fromEntries(
      runs.map((run) => [
        run.engine,
        {
          servers: INSTANCES[run.engine],
          seconds: Number(run.seconds.toFixed(1)),
          seed: run.seed,
        },
      ]),
    ),
    // Kept for readers of older files: the main data set of the first engine.
    seed: runs[0]?.seed ?? {},
    results: runs.flatMap((run) => run.results),
    table: printed,
  };
  const resultsDir = resolve(__dirname, "../../../scripts/bench/results");
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${started.toISOString().replace(/:/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  const perEngine = runs.map((r) => `${r.engine} ${r.seconds.toFixed(1)} s`).join(", ");
  log(`results: ${file} (whole run ${report.seconds} s: ${perEngine})`);
}

main().catch((err) => {
  if (err instanceof UsageError) {
    if (err.message) log(`error: ${err.message}\n`);
    log(USAGE);
    process.exit(err.message ? 2 : 0);
  }
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
