/**
 * Two server instances on one PostgreSQL database and one Redis, on one machine:
 * `npm run cluster:demo`.
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/invitations_demo, created when
 * missing) and REDIS_URL (default redis://127.0.0.1:6379) are shared by both; CLUSTER_PORTS
 * (default 4001,4002) gives one instance per port, named A, B, ... Their logs are forwarded
 * with that name as a prefix. Ctrl-C sends SIGTERM to every instance and waits for them
 * (a second Ctrl-C kills them). Every other variable (JWT_SECRET, JOBS_INTERVAL_SECONDS, ...)
 * reaches the instances unchanged.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import pg from "pg";

const ROOT = resolve(__dirname, "..");
const VITE_NODE = resolve(ROOT, "node_modules/vite-node/dist/cli.mjs");
const READY_LINE = /Invitations API ready at (http:\/\/\S+\/graphql)/;

const databaseUrl =
  process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/invitations_demo";
const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const ports = (process.env.CLUSTER_PORTS || "4001,4002").split(",").map((p) => Number(p.trim()));
// Every instance must verify every other one's tokens: one secret for all of them. Without
// JWT_SECRET, a fresh one per run (log in again after restarting the demo).
const jwtSecret = process.env.JWT_SECRET || randomBytes(32).toString("hex");

interface Running {
  name: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Creates the database of `url` when it does not exist yet (connecting to `postgres`). */
async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error(`DATABASE_URL names no database: ${url}`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.log(`Created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

/** Starts one instance; resolves with its Sandbox URL once it listens. */
function start(name: string, port: number, onExit: (r: Running) => void) {
  const child = spawn(process.execPath, [VITE_NODE, "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      JWT_SECRET: jwtSecret,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: Ctrl-C reaches only this script, which then stops it with SIGTERM.
    detached: true,
  });
  const running: Running = {
    name,
    port,
    child,
    exited: new Promise((res) => child.once("exit", (code) => res(code))),
  };
  void running.exited.then(() => onExit(running));
  const ready = new Promise<string>((res, rej) => {
    const onLine = (line: string, stream: NodeJS.WriteStream) => {
      stream.write(`[${name}] ${line}\n`);
      const m = READY_LINE.exec(line);
      if (m) res(m[1]);
    };
    prefixLines(child.stdout!, (line) => onLine(line, process.stdout));
    prefixLines(child.stderr!, (line) => onLine(line, process.stderr));
    void running.exited.then((code) => rej(new Error(`[${name}] exited with ${code}`)));
  });
  return { running, ready };
}

function prefixLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    lines.forEach(onLine);
  });
  stream.on("end", () => {
    if (buffered) onLine(buffered);
  });
}

async function main(): Promise<void> {
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new Error(
      `CLUSTER_PORTS must list ports such as 4001,4002, got "${process.env.CLUSTER_PORTS}"`,
    );
  }
  await ensureDatabase(databaseUrl);

  let stopping = false;
  const instances: Running[] = [];
  const stopAll = async (code: number) => {
    if (stopping) {
      // Second Ctrl-C: do not wait for the drain.
      for (const i of instances) i.child.kill("SIGKILL");
      return;
    }
    stopping = true;
    console.log("Stopping: SIGTERM to every instance");
    for (const i of instances) if (i.child.exitCode === null) i.child.kill("SIGTERM");
    await Promise.all(instances.map((i) => i.exited));
    process.exit(code);
  };
  // An instance that stops on its own (a port in use, a database error) stops the demo.
  const onExit = (r: Running) => {
    if (!stopping) {
      console.error(`[${r.name}] stopped unexpectedly (exit code ${r.child.exitCode})`);
      void stopAll(1);
    }
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => void stopAll(0));
  }
  // Last resort if this script dies some other way: no instance outlives it.
  process.on("exit", () => {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill("SIGKILL");
  });

  const started = ports.map((port, n) => start(String.fromCharCode(65 + n), port, onExit));
  instances.push(...started.map((s) => s.running));
  // One that exits before it is ready has already set off `onExit`, which stops the rest.
  const urls = await Promise.all(started.map((s) => s.ready)).catch(() => null);
  if (!urls) return;
  const health = await Promise.all(
    urls.map((url) =>
      fetch(healthUrl(url)).then(
        async (res) => `/healthz ${res.status} ${await res.text()}`,
        (err: Error) => `/healthz failed: ${err.message}`,
      ),
    ),
  );

  const [first, second = first] = instances;
  console.log(
    [
      "",
      `${instances.length} instances on one PostgreSQL and one Redis:`,
      `  database ${redactPassword(databaseUrl)}`,
      `  redis    ${redactPassword(redisUrl)}`,
      ...instances.map((i, n) => `  [${i.name}] ${urls[n]}\n      ${health[n]}`),
      "",
      "Try it (the operations are in the README's tour):",
      `  1. On ${first.port}: SignUp two members (or LogIn), then as the first one,`,
      "     sendInvitation to the second.",
      `  2. On ${first.port}, in a second tab with the first member's token: subscribe to`,
      "     invitationDeclined (or notificationAdded).",
      `  3. On ${second.port}, with the second member's token: declineInvitation with a message.`,
      `     It arrives in the subscription tab on ${first.port}, through Redis.`,
      "Ctrl-C stops every instance (SIGTERM: open subscriptions close with 1001).",
      "",
    ].join("\n"),
  );
}

function healthUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/\/graphql$/, "/healthz");
}

function redactPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
