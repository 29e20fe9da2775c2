/**
 * `npm run seed` (scripts/seed.ts) as a developer runs it, in its own process on a fresh SQLite
 * file: no JSON log line among its output, and the logins last, where the terminal leaves them.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(__dirname, "..");
const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "seed-"));
  tempDirs.push(dir);
  return dir;
}

/** `npm run seed` on `sqlitePath`, with the server's logging at the seed's own default. */
function seed(sqlitePath: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, SQLITE_PATH: sqlitePath };
  // SQLite whatever the suite runs on, and no LOG_LEVEL to override the seed's.
  for (const name of ["DATABASE_URL", "REDIS_URL", "LOG_LEVEL"]) delete env[name];
  return run(
    process.execPath,
    [join(root, "node_modules/vite-node/dist/cli.mjs"), "scripts/seed.ts"],
    { cwd: root, env },
  );
}

/** The lines of `stdout` that are JSON objects, as pino writes its log lines. */
function jsonLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => {
    if (!line.startsWith("{")) return false;
    try {
      return typeof JSON.parse(line) === "object";
    } catch {
      return false;
    }
  });
}

/** Checks that `stdout` ends with the logins block and returns its rows. */
function loginsAtTheEnd(stdout: string): string[] {
  const lines = stdout.trimEnd().split("\n");
  const header = lines.lastIndexOf("Demo logins (password for all: demo-password-1)");
  expect(header).toBeGreaterThan(0);
  expect(lines[header + 1]).toBe("");
  const rows = lines.slice(header + 2);
  for (const row of rows) expect(row).toMatch(/^ {2}[a-z]+@example\.com +\S/);
  return rows;
}

describe("npm run seed", () => {
  it("prints no log line, and the logins last", async () => {
    const sqlitePath = join(tempDir(), "demo.sqlite");
    const first = await seed(sqlitePath);
    expect(jsonLines(first.stdout)).toEqual([]);
    expect(first.stdout.split("\n").slice(0, 2)).toEqual([
      `Seeding ${sqlitePath} through the API...`,
      "Seeded 19 demo members.",
    ]);
    const rows = loginsAtTheEnd(first.stdout);
    expect(rows).toHaveLength(19);
    expect(rows[0]).toMatch(/^ {2}amara@example\.com +Amara Okafor +the main demo member/);

    // Run again, it changes nothing and still ends with the same logins.
    const again = await seed(sqlitePath);
    expect(jsonLines(again.stdout)).toEqual([]);
    expect(again.stdout).toContain("Already seeded (amara@example.com exists): nothing changed.");
    expect(loginsAtTheEnd(again.stdout)).toEqual(rows);
  }, 120_000);

  it("still shows why it failed", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "not-a-folder"), "");
    const failure = await seed(join(dir, "not-a-folder", "demo.sqlite")).then(
      () => null,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failure).not.toBeNull();
    expect(failure!.code).toBe(1);
    expect(failure!.stderr).toMatch(/^seed failed: \S/m);
    expect(jsonLines(failure!.stdout)).toEqual([]);
  }, 60_000);
});
