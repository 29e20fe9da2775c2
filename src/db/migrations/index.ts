import { postgresMigrations } from "./postgres";
import { sqliteMigrations } from "./sqlite";

/**
 * One set of migrations per engine, each generated from the same entities by
 * `npm run migration:generate` (test/migrations.test.ts fails when either set and the
 * entities disagree).
 */
export function migrationsFor(engine: "sqlite" | "postgres") {
  return engine === "postgres" ? postgresMigrations : sqliteMigrations;
}
