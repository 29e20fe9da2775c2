/**
 * `npm run backup -- FILE`: an online backup of the SQLite database to FILE, safe while
 * servers and `npm run jobs` run against it. It uses SQLite's backup API (through
 * better-sqlite3), which copies a consistent snapshot page by page; copying the file with `cp`
 * while a server writes can catch a half-written WAL and give a corrupt copy.
 *
 * Reads SQLITE_PATH as the server does. Creates FILE's folder if it is missing. Checks the copy
 * with `PRAGMA integrity_check` and prints one JSON line:
 * { "backup": FILE, "pages": N, "integrity": "ok" }. On error it prints one line, `backup: ...`,
 * and exits 1.
 * PostgreSQL (DATABASE_URL set) is backed up with its own tools: pg_dump (see README).
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { loadConfig } from "../src/config";

async function backupSqlite(source: string, target: string): Promise<number> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const { totalPages } = await db.backup(target);
    return totalPages;
  } finally {
    db.close();
  }
}

/** Why `mkdir dir` failed, in words, without Node's "CODE: ..., mkdir 'path'" wrapping. */
function mkdirReason(err: unknown, dir: string): string {
  const { code, message } = err as NodeJS.ErrnoException;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return `permission denied in ${dirname(dir)}`;
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return message;
  }
}

/**
 * Creates `folder` and its missing parents, or throws one line naming it and saying why not.
 * One level at a time rather than `mkdirSync(..., { recursive: true })`: that tells a file in
 * the way only as EEXIST or ENOTDIR on some path, and can spin forever where `mkdir` answers
 * ENOENT under a parent that exists (/proc).
 */
function makeFolder(folder: string): void {
  const missing: string[] = [];
  let existing = folder;
  while (!existsSync(existing) && dirname(existing) !== existing) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  if (!statSync(existing).isDirectory()) {
    throw new Error(`cannot create the folder ${folder}: ${existing} is a file, not a folder`);
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // EEXIST: another process made it in the meantime, as good as ours, unless it is a file.
      if ((err as NodeJS.ErrnoException).code === "EEXIST") {
        if (statSync(dir).isDirectory()) continue;
        throw new Error(`cannot create the folder ${folder}: ${dir} is a file, not a folder`, {
          cause: err,
        });
      }
      throw new Error(`cannot create the folder ${folder}: ${mkdirReason(err, dir)}`, {
        cause: err,
      });
    }
  }
}

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) throw new Error("usage: npm run backup -- FILE");
  const config = loadConfig();
  if (config.databaseUrl) {
    throw new Error("DATABASE_URL is set: back PostgreSQL up with pg_dump (see README).");
  }
  const out = resolve(target);
  if (existsSync(out)) throw new Error(`${out} exists; give a new file name`);
  makeFolder(dirname(out));
  const pages = await backupSqlite(config.sqlitePath, out);
  const copy = new Database(out, { readonly: true });
  const integrity = copy.pragma("integrity_check", { simple: true });
  copy.close();
  if (integrity !== "ok") throw new Error(`the copy failed its integrity check: ${integrity}`);
  console.log(JSON.stringify({ backup: out, pages, integrity }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`backup: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
