/**
 * The schema comes from migrations only (no `synchronize` outside a scratch check): the
 * migrations must create exactly what the entities declare, or a change was not migrated.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/data-source";

describe("migrations", () => {
  it("create exactly the schema the entities declare", async () => {
    const ds = await openDatabase(join(mkdtempSync(join(tmpdir(), "migrations-")), "m.sqlite"));
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it("run once: a second start finds nothing to do", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "migrations-")), "m.sqlite");
    await (await openDatabase(path)).destroy();
    const ds = await openDatabase(path);
    try {
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
    }
  });
});
