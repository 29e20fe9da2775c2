/**
 * `npm run backup -- FILE`: an online backup of the SQLite database to FILE, safe while
 * servers and `npm run jobs` run against it. It uses SQLite's backup API (through
 * better-sqlite3), which copies a consistent snapshot page by page; copying the file with `cp`
 * while a server writes can catch a half-written WAL and give a corrupt copy.
 *
 * Reads SQLITE_PATH as the server does. Checks the copy with `PRAGMA integrity_check` and
 * prints one JSON line: { "backup": FILE, "pages": N, "integrity": "ok" }. Exits 1 on error.
 * PostgreSQL (DATABASE_URL set) is backed up with its own tools: pg_dump (see README).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
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

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) throw new Error("usage: npm run backup -- FILE");
  const config = loadConfig();
  if (config.databaseUrl) {
    throw new Error("DATABASE_URL is set: back PostgreSQL up with pg_dump (see README).");
  }
  const out = resolve(target);
  if (existsSync(out)) throw new Error(`${out} exists; give a new file name`);
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
