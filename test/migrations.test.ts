/**
 * The schema comes from migrations only (no `synchronize` outside a scratch check): the
 * migrations must create exactly what the entities declare, or a change was not migrated.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/data-source";

/** A fresh SQLite file, or the test database when the suite runs on PostgreSQL. */
function target() {
  return {
    sqlitePath: join(mkdtempSync(join(tmpdir(), "migrations-")), "m.sqlite"),
    databaseUrl: process.env.DATABASE_URL ?? null,
  };
}

describe("migrations", () => {
  it("create exactly the schema the entities declare", async () => {
    const ds = await openDatabase(target());
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it("run once: a second start finds nothing to do", async () => {
    const t = target();
    await (await openDatabase(t)).destroy();
    const ds = await openDatabase(t);
    try {
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
    }
  });
});
