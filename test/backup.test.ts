/**
 * `npm run backup -- FILE` (scripts/backup.ts) as an operator runs it: a separate process,
 * while the server keeps writing. The copy must pass SQLite's integrity check, hold every
 * write answered before the backup began, and serve as the data of a new server.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { gql, inviteOk, ok, signUp } from "./helpers/http";
import { ON_POSTGRES, startTestServer, type TestServer } from "./helpers/server";

const run = promisify(execFile);
const root = resolve(__dirname, "..");
const servers: TestServer[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "backup-"));
  tempDirs.push(dir);
  return dir;
}

/** A small SQLite file to back up: the folder cases need no server. */
function sourceDatabase(): string {
  const file = join(tempDir(), "source.sqlite");
  const db = new Database(file);
  db.exec(`CREATE TABLE "note" ("text" TEXT); INSERT INTO "note" VALUES ('kept');`);
  db.close();
  return file;
}

/** `npm run backup -- target` on `source`, as a separate process. */
function backup(source: string, target: string) {
  return run(
    process.execPath,
    [join(root, "node_modules/vite-node/dist/cli.mjs"), "scripts/backup.ts", target],
    { cwd: root, env: { ...process.env, SQLITE_PATH: source, JWT_SECRET: "test-secret" } },
  );
}

describe.skipIf(ON_POSTGRES)("npm run backup (SQLite)", () => {
  it("copies a consistent database while the server writes", async () => {
    const server = await startTestServer();
    servers.push(server);
    const alice = await signUp(server, { name: "Alice Backup" });
    const people = await Promise.all([1, 2, 3, 4, 5].map(() => signUp(server)));
    const before = await Promise.all(people.map((p) => inviteOk(server, alice, p.id)));

    // Writes go on while the backup runs.
    let writing = true;
    const more = (async () => {
      let n = 0;
      while (writing && n < 200) {
        await signUp(server);
        n++;
      }
      return n;
    })();
    const target = join(mkdtempSync(join(tmpdir(), "backup-")), "copy.sqlite");
    const { stdout } = await run(
      process.execPath,
      [join(root, "node_modules/vite-node/dist/cli.mjs"), "scripts/backup.ts", target],
      {
        cwd: root,
        env: { ...process.env, SQLITE_PATH: server.sqlitePath, JWT_SECRET: "test-secret" },
      },
    );
    writing = false;
    await more;
    const report = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(report).toMatchObject({ backup: target, integrity: "ok" });
    expect(report.pages).toBeGreaterThan(0);

    const copy = new Database(target, { readonly: true });
    const ids = copy.prepare(`SELECT "id" FROM "invitation"`).pluck().all();
    copy.close();
    expect(ids).toEqual(expect.arrayContaining(before));

    // A server started on the copy has the data: Alice logs in and sees her invitations.
    const restored = await startTestServer({ sqlitePath: target });
    servers.push(restored);
    const login = ok(
      await gql(
        restored,
        `mutation ($email: String!, $password: String!) {
          logIn(email: $email, password: $password) { token }
        }`,
        { email: alice.email, password: alice.password },
      ),
    );
    const sent = ok(
      await gql(restored, `{ sentInvitations(first: 10) { totalCount } }`, {}, login.logIn.token),
    );
    expect(sent.sentInvitations.totalCount).toBe(before.length);
  }, 120_000);

  it("refuses to overwrite an existing file", async () => {
    const server = await startTestServer();
    servers.push(server);
    await expect(
      run(
        process.execPath,
        [join(root, "node_modules/vite-node/dist/cli.mjs"), "scripts/backup.ts", server.sqlitePath],
        { cwd: root, env: { ...process.env, SQLITE_PATH: server.sqlitePath } },
      ),
    ).rejects.toMatchObject({ stderr: expect.stringContaining("exists") });
  }, 60_000);

  it("creates the missing folders of the destination", async () => {
    const target = join(tempDir(), "nightly", "2024", "06", "copy.sqlite");
    const { stdout } = await backup(sourceDatabase(), target);
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toMatchObject({
      backup: target,
      integrity: "ok",
    });
    const copy = new Database(target, { readonly: true });
    expect(copy.prepare(`SELECT "text" FROM "note"`).pluck().all()).toEqual(["kept"]);
    copy.close();
  }, 60_000);

  it("names the folder it cannot create, and why, in one line", async () => {
    const dir = tempDir();
    const blocker = join(dir, "backups");
    writeFileSync(blocker, "a file where the folder should be\n");
    const folder = join(blocker, "nightly");
    const failure = await backup(sourceDatabase(), join(folder, "copy.sqlite")).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure).not.toBeNull();
    expect(failure!.code).toBe(1);
    // One line, no stack trace.
    expect(failure!.stderr.trim()).toBe(
      `backup: cannot create the folder ${folder}: ${blocker} is a file, not a folder`,
    );
    expect(existsSync(join(folder, "copy.sqlite"))).toBe(false);
  }, 60_000);
});
