/**
 * The schema comes from migrations only (no `synchronize` outside a scratch check): the
 * migrations must create exactly what the entities declare, or a change was not migrated.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/data-source";
import { query, toDate } from "../src/db/sql";
import { entities } from "../src/entities";
import { migrationsFor } from "../src/db/migrations";
import { testDatabase } from "./helpers/server";

/**
 * A fresh SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL: the
 * migrations must start from nothing, whatever an earlier run left in a shared database.
 */
async function target() {
  const sqlitePath = join(mkdtempSync(join(tmpdir(), "migrations-")), "m.sqlite");
  return {
    entities,
    sqlitePath,
    databaseUrl: process.env.DATABASE_URL ? await testDatabase(`migrations-${randomUUID()}`) : null,
  };
}

describe("migrations", () => {
  it("create exactly the schema the entities declare", async () => {
    const ds = await openDatabase(await target());
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it("run once: a second start finds nothing to do", async () => {
    const t = await target();
    await (await openDatabase(t)).destroy();
    const ds = await openDatabase(t);
    try {
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
    }
  });
});

describe("migration FoldedKeys", () => {
  it("fills the folded relation keys of members who existed before it", async () => {
    const t = await target();
    const engine = t.databaseUrl ? "postgres" : "sqlite";
    const before = migrationsFor(engine).findIndex((m) => m.name.startsWith("FoldedKeys"));
    expect(before).toBeGreaterThan(0);
    const old = await openDatabase({ ...t, migrationsUpTo: before });
    const id = randomUUID();
    try {
      await query(
        old,
        `INSERT INTO "member" ("id", "name", "email", "passwordHash", "employer", "industry", "school", "createdAt")
         VALUES (:id, :name, :email, :passwordHash, :employer, :industry, :school, :createdAt)`,
        {
          id,
          name: "Zoë",
          email: `${id}@example.com`,
          passwordHash: "x",
          employer: "SOCIÉTÉ Générale",
          industry: "Banking",
          school: null,
          createdAt: new Date().toISOString(),
        },
      );
    } finally {
      await old.destroy();
    }
    const ds = await openDatabase(t);
    try {
      const [row] = await query(
        ds,
        `SELECT "employerKey", "industryKey", "schoolKey" FROM "member" WHERE "id" = :id`,
        { id },
      );
      expect(row).toEqual({
        employerKey: "société générale",
        industryKey: "banking",
        schoolKey: null,
      });
    } finally {
      await ds.destroy();
    }
  });
});

describe("migration StoredRelations", () => {
  it("stores the relations of open invitations that existed before it", async () => {
    const t = await target();
    const engine = t.databaseUrl ? "postgres" : "sqlite";
    const before = migrationsFor(engine).findIndex((m) => m.name.startsWith("StoredRelations"));
    expect(before).toBeGreaterThan(0);
    const old = await openDatabase({ ...t, migrationsUpTo: before });
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const [open, closed] = [randomUUID(), randomUUID()];
    try {
      for (const [id, employerKey] of [
        [a, "acme"],
        [b, "acme"],
        [c, null],
      ]) {
        await query(
          old,
          `INSERT INTO "member" ("id", "name", "email", "passwordHash", "employerKey", "createdAt")
           VALUES (:id, :id, :email, 'x', :employerKey, :createdAt)`,
          { id, email: `${id}@example.com`, employerKey, createdAt: new Date().toISOString() },
        );
      }
      // a and b share one connection, c.
      for (const [m, o] of [
        [a, c],
        [c, a],
        [b, c],
        [c, b],
      ]) {
        await query(
          old,
          `INSERT INTO "connection" ("memberId", "otherId", "createdAt") VALUES (:m, :o, :at)`,
          { m, o, at: new Date().toISOString() },
        );
      }
      for (const [id, status] of [
        [open, "PENDING"],
        [closed, "DECLINED"],
      ]) {
        await query(
          old,
          `INSERT INTO "invitation" ("id", "senderId", "recipientId", "pairKey", "status", "sentAt")
           VALUES (:id, :a, :b, :pairKey, :status, :at)`,
          { id, a, b, pairKey: `${id}`, status, at: new Date().toISOString() },
        );
      }
    } finally {
      await old.destroy();
    }
    const ds = await openDatabase(t);
    try {
      const rows = await query<Record<string, unknown>>(
        ds,
        `SELECT "id", "mutualCount", CASE WHEN "sameEmployer" THEN 1 ELSE 0 END AS "sameEmployer"
           FROM "invitation" WHERE "id" IN (:open, :closed)`,
        { open, closed },
      );
      const byId = Object.fromEntries(
        rows.map((r) => [r.id, [Number(r.mutualCount), Number(r.sameEmployer)]]),
      );
      expect(byId).toEqual({ [open]: [1, 1], [closed]: [0, 0] });
    } finally {
      await ds.destroy();
    }
  });
});

describe("migration RestrictedUntil", () => {
  it("stores the restriction of a sender restricted when it runs, and of no one else", async () => {
    const t = await target();
    const engine = t.databaseUrl ? "postgres" : "sqlite";
    const before = migrationsFor(engine).findIndex((m) => m.name.startsWith("RestrictedUntil"));
    expect(before).toBeGreaterThan(0);
    const old = await openDatabase({ ...t, migrationsUpTo: before });
    const day = 24 * 60 * 60 * 1000;
    const now = Date.now();
    const [recent, longAgo] = [randomUUID(), randomUUID()];
    const reporters = Array.from({ length: 5 }, () => randomUUID());
    const lastReport = new Date(now - 2 * day);
    try {
      for (const id of [recent, longAgo, ...reporters]) {
        await query(
          old,
          `INSERT INTO "member" ("id", "name", "email", "passwordHash", "createdAt")
           VALUES (:id, :id, :email, 'x', :createdAt)`,
          { id, email: `${id}@example.com`, createdAt: new Date(now - 90 * day) },
        );
      }
      // Five reporters each report both senders: `recent` within the last days (restricted
      // until 7 days after the fifth report), `longAgo` 60 days ago (long over).
      for (const [sender, base] of [
        [recent, now - 6 * day],
        [longAgo, now - 60 * day],
      ] as const) {
        for (const [i, reporter] of reporters.entries()) {
          const invitation = randomUUID();
          const at = new Date(
            sender === recent && i === 4 ? lastReport.getTime() : base + i * 1000,
          );
          await query(
            old,
            `INSERT INTO "invitation" ("id", "senderId", "recipientId", "pairKey", "status", "sentAt")
             VALUES (:id, :s, :r, :id, 'REPORTED', :at)`,
            { id: invitation, s: sender, r: reporter, at },
          );
          await query(
            old,
            `INSERT INTO "report" ("id", "reporterId", "senderId", "invitationId", "reason", "createdAt")
             VALUES (:id, :r, :s, :inv, 'SPAM', :at)`,
            { id: randomUUID(), r: reporter, s: sender, inv: invitation, at },
          );
        }
      }
    } finally {
      await old.destroy();
    }
    const ds = await openDatabase(t);
    try {
      const rows = await query<{ id: string; restrictedUntil: unknown }>(
        ds,
        `SELECT "id", "restrictedUntil" FROM "member" WHERE "id" IN (:recent, :longAgo)`,
        { recent, longAgo },
      );
      const byId = Object.fromEntries(
        rows.map((r) => [
          r.id,
          r.restrictedUntil === null ? null : toDate(r.restrictedUntil).getTime(),
        ]),
      );
      expect(byId).toEqual({ [recent]: lastReport.getTime() + 7 * day, [longAgo]: null });
    } finally {
      await ds.destroy();
    }
  });
});
