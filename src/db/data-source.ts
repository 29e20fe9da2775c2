import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DataSource, type Logger, type QueryRunner } from "typeorm";
import { entities } from "./entities";
import { migrations } from "./migrations";

interface BetterSqlite {
  pragma(sql: string): unknown;
  function(name: string, options: { deterministic: boolean }, fn: (v: unknown) => unknown): void;
}

/** Counts every SQL statement, so tests can assert that a list costs a constant number. */
export class QueryCounter implements Logger {
  count = 0;
  logQuery(_query: string, _parameters?: unknown[], _runner?: QueryRunner): void {
    this.count++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/**
 * Opens the SQLite database at `path` (created with its folder when missing) and migrates it.
 * WAL lets readers proceed during a write; foreign keys are enforced; a busy timeout covers a
 * second process (a script) holding the write lock for a moment.
 */
export async function openDatabase(
  path: string,
  counter = new QueryCounter(),
): Promise<DataSource> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const dataSource = new DataSource({
    type: "better-sqlite3",
    database: path,
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logging: ["query"],
    logger: counter,
    prepareDatabase: (db: BetterSqlite) => {
      // SQLite's built-in LOWER folds ASCII only ("É" stays "É"); member names, employers and
      // schools are international, and PostgreSQL's LOWER folds them all. Same answer on both.
      db.function("lower", { deterministic: true }, (value: unknown) =>
        typeof value === "string" ? value.toLowerCase() : value,
      );
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
    },
  });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: "each" });
  return dataSource;
}
