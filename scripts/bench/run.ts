/**
 * `npm run bench [-- options]`: seeds a fresh SQLite database, starts the built server as a
 * separate process (production mode, 127.0.0.1, a free port), drives each scenario against it
 * from this process, prints one table and writes the same as JSON under scripts/bench/results/.
 *
 * Options (see `--help`): --quick, --duration=S, --connections=N, --members=N,
 * --invitations=N, --subscribers=N, --sockets=N, --rate=N, --only=a,b, --skip-big-data,
 * --big-members=N, --big-invitations=N.
 */
import "reflect-metadata";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import {
  baseline,
  bigData,
  inbox,
  inboxFiltered,
  inboxFilteredUncached,
  inboxUncached,
  inboxWhileConnecting,
  waitForIdle,
} from "./scenarios/http";
import { idleSockets } from "./scenarios/idle-sockets";
import { pushLatency } from "./scenarios/push-latency";
import { sendDecline } from "./scenarios/send-decline";
import { progressBar, seed, type SeedResult } from "./seed";
import type { BenchContext, BenchOptions, Scenario, ScenarioResult } from "./types";

/** Every option the runner reads; `BenchOptions` is the part scenarios see. */
interface RunOptions extends BenchOptions {
  members: number;
  invitations: number;
  bigMembers: number;
  bigInvitations: number;
  only: string[] | null;
  skipBigData: boolean;
  /** Directory for the server's V8 CPU profiles (`node --cpu-prof`), or null. */
  cpuProf: string | null;
}

const SCENARIOS = [
  "baseline",
  "inbox",
  "inbox-uncached",
  "inbox-filtered",
  "inbox-filtered-uncached",
  "inbox-while-connecting",
  "send-decline",
  "push-latency",
  "idle-sockets",
  "big-data",
] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const USAGE = `Usage: npm run bench -- [options]

  --quick               CI-sized run, whole run under 60 s (short loads, fewer sockets,
                        a 20,000-member / 200,000-invitation big-data set)
  --duration=S          seconds per load scenario (default 10; quick 2)
  --connections=N       concurrent HTTP connections / write workers (default 50)
  --members=N           members in the main data set (default 20000)
  --invitations=N       invitations in the main data set, 10,000 of them the inbox (default 30000)
  --subscribers=N       push-latency subscribers (default 2000; quick 200)
  --sockets=N           idle-sockets connections (default 10000; quick 1000)
  --rate=N              push-latency declines per second (default 200; quick 100)
  --big-members=N       big-data members (default 100000; quick 20000)
  --big-invitations=N   big-data invitations (default 1000000; quick 200000)
  --only=a,b            run only these of: ${SCENARIOS.join(", ")}
                        (baseline always runs: every ratio needs it; big-data also runs
                        inbox-uncached)
  --skip-big-data       leave out big-data
  --cpu-prof=DIR        run the server under node --cpu-prof, one .cpuprofile per server
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
    "quick",
    "duration",
    "connections",
    "members",
    "invitations",
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
  const onlyRaw = flags.get("only");
  let only: string[] | null = null;
  if (onlyRaw !== undefined) {
    if (onlyRaw === true) throw new UsageError("--only needs a list, e.g. --only=inbox,baseline");
    only = onlyRaw.split(",").map((s) => s.trim());
    const bad = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
    if (bad.length) throw new UsageError(`unknown scenario(s): ${bad.join(", ")}`);
  }
  return {
    quick,
    duration: int("duration", quick ? 2 : 10),
    connections: int("connections", 50),
    members: int("members", 20_000, 2),
    invitations: int("invitations", 30_000, 1),
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

// ---------------------------------------------------------------------------------------------
// The server under test

interface ServerProcess {
  pid: number;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/** A token for the servers' /metrics, new for every run. */
const METRICS_TOKEN = randomBytes(24).toString("hex");

/** The built entry point: dist/src/main.js beside this file's dist/scripts/bench/. */
const MAIN = resolve(__dirname, "../../src/main.js");

/** Starts `node dist/src/main.js` on `sqlitePath`; resolves once it listens. */
async function startServerProcess(
  sqlitePath: string,
  jwtSecret: string,
  cpuProf: string | null,
): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    JWT_SECRET: jwtSecret,
    // /metrics behind a token (it is off in production without one): the HTTP scenarios note
    // how many answers the response cache gave.
    METRICS_TOKEN: METRICS_TOKEN,
    PORT: String(port),
    HOST: "127.0.0.1",
    SQLITE_PATH: sqlitePath,
    JOBS_INTERVAL_SECONDS: "0",
    WEEKLY_INVITATION_LIMIT: "100000",
    PENDING_INVITATION_LIMIT: "100000",
    // The bench signs up thousands of members from one address, and idle-sockets holds
    // 10 sockets per member: the abuse limits are not what it measures.
    SIGNUP_MAX_PER_IP: "1000000",
    LOGIN_MAX_PER_IP: "1000000",
    WS_MAX_CONNECTIONS_PER_MEMBER: "1000000",
    // One JSON log line per request (the production default, `info`) would also cost this
    // process reading the pipe; the bench measures the API, so warnings only unless asked.
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  };
  // The data is seeded into SQLite: the server must read that file, not another engine.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  // --cpu-prof is refused in NODE_OPTIONS: it must be an argument of node itself.
  const profArgs = cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`] : [];
  const child = spawn(process.execPath, [...profArgs, MAIN], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderrTail: string[] = [];
  // Both streams are read (a full pipe would stall the server); the last lines explain a crash.
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 30) stderrTail.shift();
    });
  }
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));

  // The server logs JSON at LOG_LEVEL (warnings only here), so it is not asked where it
  // listens: it gets a free port and is polled on /healthz until it answers.
  const deadline = Date.now() + 60_000;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(
        `the server exited (${exitCode}) before listening:\n${stderrTail.join("\n")}`,
      );
    }
    if (Date.now() > deadline) throw new Error("the server did not start within 60 s");
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    stop: () => stopProcess(child, exited),
  };
}

/** A TCP port nothing listens on right now (the OS picks it; closed again at once). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createNetServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}

/** SIGTERM (the server closes sockets and the database), SIGKILL after 20 s. */
async function stopProcess(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Seeding

async function seedDatabase(
  label: string,
  sqlitePath: string,
  members: number,
  invitations: number,
  jwtSecret: string,
  tokens?: number,
): Promise<SeedResult> {
  log(`${label}: ${members} members, ${invitations} invitations -> ${sqlitePath}`);
  const result = await seed({
    sqlitePath,
    members,
    invitations,
    jwtSecret,
    tokens,
    progress: progressBar(`seeding ${label}`),
  });
  log(
    `${label}: seeded in ${result.seconds.toFixed(1)} s ` +
      `(inbox ${result.counts.inbox}, ${result.counts.connections} connections)`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// Output

const COLUMNS = [
  "scenario",
  "req/s",
  "x baseline",
  "p50 ms",
  "p99 ms",
  "errors",
  "RSS MiB",
  "notes",
];

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

function table(results: ScenarioResult[]): string {
  const rows = results.map((r) => [
    r.scenario,
    fmt(r.throughput, 0),
    fmt(r.ratioToBaseline, 2),
    ms(r.p50),
    ms(r.p99),
    String(r.errors),
    fmt(r.rssMiB, 0),
    notes(r.extra),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([1, 2, 3, 4, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1
          ? cell
          : numeric.has(i)
            ? cell.padStart(widths[i])
            : cell.padEnd(widths[i]),
      )
      .join("  ")
      .trimEnd();
  return [
    line(COLUMNS),
    line(widths.map((w, i) => "-".repeat(i === COLUMNS.length - 1 ? 5 : w))),
    ...rows.map(line),
  ].join("\n");
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
  if (selected.has("big-data")) selected.add("inbox-uncached");
  if (process.env.DATABASE_URL || process.env.REDIS_URL) {
    log("note: DATABASE_URL / REDIS_URL are ignored: this benchmark seeds and serves SQLite");
  }

  const dir = mkdtempSync(join(os.tmpdir(), "invitations-bench-"));
  const jwtSecret = randomBytes(32).toString("hex");
  const cleanups: (() => Promise<void>)[] = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log("interrupted: stopping the servers");
    void Promise.allSettled(cleanups.map((c) => c())).then(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const results: ScenarioResult[] = [];
  const seeds: Record<string, unknown> = {};
  try {
    const main = await seedDatabase(
      "main data set",
      join(dir, "bench.sqlite"),
      options.members,
      options.invitations,
      jwtSecret,
    );
    seeds.main = { ...main.counts, seconds: Number(main.seconds.toFixed(2)) };
    const server = await startServerProcess(join(dir, "bench.sqlite"), jwtSecret, options.cpuProf);
    cleanups.push(server.stop);
    log(`server: pid ${server.pid} at ${server.url}`);

    const ctx: BenchContext = {
      url: server.url,
      wsUrl: server.wsUrl,
      serverPid: server.pid,
      members: main.members,
      options: {
        duration: options.duration,
        connections: options.connections,
        quick: options.quick,
        subscribers: options.subscribers,
        sockets: options.sockets,
        rate: options.rate,
      },
      log,
      metricsToken: METRICS_TOKEN,
    };

    const onMainServer: [ScenarioName, Scenario][] = [
      ["baseline", baseline],
      ["inbox", inbox],
      ["inbox-uncached", inboxUncached],
      ["inbox-filtered", inboxFiltered],
      ["inbox-filtered-uncached", inboxFilteredUncached],
      ["inbox-while-connecting", inboxWhileConnecting],
      ["send-decline", sendDecline],
      ["push-latency", pushLatency],
      ["idle-sockets", idleSockets],
    ];
    for (const [name, scenario] of onMainServer) {
      if (!selected.has(name) || interrupted) continue;
      results.push(await runScenario(name, scenario, ctx));
    }
    await server.stop();

    if (selected.has("big-data") && !interrupted) {
      const inboxRow = results.find((r) => r.scenario === "inbox-uncached");
      const big = bigData({
        inboxP99: () => inboxRow?.p99 ?? null,
        prepare: async () => {
          const path = join(dir, "big.sqlite");
          const seeded = await seedDatabase(
            "big-data set",
            path,
            options.bigMembers,
            options.bigInvitations,
            jwtSecret,
            1_000,
          );
          seeds.bigData = { ...seeded.counts, seconds: Number(seeded.seconds.toFixed(2)) };
          const bigServer = await startServerProcess(path, jwtSecret, options.cpuProf);
          cleanups.push(bigServer.stop);
          log(`big-data server: pid ${bigServer.pid}`);
          return {
            ctx: {
              ...ctx,
              url: bigServer.url,
              wsUrl: bigServer.wsUrl,
              serverPid: bigServer.pid,
              members: seeded.members.slice(0, 1_000),
            },
            seedSeconds: seeded.seconds,
            members: seeded.counts.members,
            invitations: seeded.counts.invitations,
            close: async () => {
              await bigServer.stop();
              rmSync(path, { force: true });
            },
          };
        },
      });
      results.push(await runScenario("big-data", big, ctx));
    }
  } finally {
    await Promise.allSettled(cleanups.map((c) => c()));
    rmSync(dir, { recursive: true, force: true });
  }

  const base = results.find((r) => r.scenario === "baseline");
  for (const r of results) {
    r.ratioToBaseline =
      base?.throughput && r.throughput !== null
        ? Number((r.throughput / base.throughput).toFixed(3))
        : null;
  }

  const finished = new Date();
  const printed = table(results);
  process.stdout.write(`\n${printed}\n\n`);
  const report = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: Number(((finished.getTime() - started.getTime()) / 1000).toFixed(1)),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: host,
    gitCommit: gitCommit(),
    database: "sqlite",
    options,
    seed: seeds,
    results,
    table: printed,
  };
  const resultsDir = resolve(__dirname, "../../../scripts/bench/results");
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${started.toISOString().replace(/:/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  log(`results: ${file} (whole run ${report.seconds} s)`);
}

/** Runs one scenario; a failure becomes a row saying so, and the run goes on. */
async function runScenario(
  name: ScenarioName,
  scenario: Scenario,
  ctx: BenchContext,
): Promise<ScenarioResult> {
  log(`\n== ${name}`);
  // The previous scenario's last requests may still run on the server: not on this one's bill.
  await waitForIdle(ctx.serverPid);
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

main().catch((err) => {
  if (err instanceof UsageError) {
    if (err.message) log(`error: ${err.message}\n`);
    log(USAGE);
    process.exit(err.message ? 2 : 0);
  }
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
