/**
 * The writer on a real database. On SQLite the transactions that queue up in one turn of
 * the event loop share one commit, each in its own savepoint: one that fails must be rolled
 * back alone, the others committed, and only their signals published, in order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataSource, EntityManager } from "typeorm";
import type { Signal } from "../src/common/pubsub";
import { Changes, written } from "../src/db/changes";
import { openDatabase } from "../src/db/data-source";
import { entities } from "../src/entities";
import { query } from "../src/db/sql";
import { MAX_GROUP, Writer } from "../src/db/writer";
import { DATABASE_URL, ON_POSTGRES, testDatabase } from "./helpers/server";

let dir: string;
let db: DataSource;
let published: string[];
let writer: Writer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "writer-"));
  const sqlitePath = join(dir, "writer.sqlite");
  db = await openDatabase({
    entities,
    sqlitePath,
    databaseUrl: DATABASE_URL ? await testDatabase(sqlitePath) : null,
  });
  await query(db, `DROP TABLE IF EXISTS "writer_probe"`);
  await query(db, `CREATE TABLE "writer_probe" ("v" VARCHAR(20) NOT NULL)`);
  published = [];
  writer = new Writer(db, (signals) => {
    for (const e of signals) published.push(e.memberId);
  });
});
afterAll(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (em: EntityManager, v: string) =>
  query(em, `INSERT INTO "writer_probe" ("v") VALUES (:v)`, { v });
const stored = async (): Promise<string[]> =>
  (await query<{ v: string }>(db, `SELECT "v" FROM "writer_probe" ORDER BY "v"`)).map((r) => r.v);
/** The probe table is read by no member. */
const nothingRead = (result: unknown) => written(result, Changes.none);
/** A signal whose memberId names the transaction (the writer publishes it as it is). */
const event = (name: string) =>
  ({ topic: "notificationAdded", memberId: name, payload: {} }) as unknown as Signal;

describe("the writer", () => {
  it("rolls back a failed transaction alone; the others commit and publish, in order", async () => {
    await query(db, `DELETE FROM "writer_probe"`);
    published.length = 0;
    const failure = new Error("the rules said no");
    let secondSawFirst: string[] = [];
    // Started in one turn: on SQLite they share one commit.
    const results = await Promise.allSettled([
      writer.transaction(async (em, signals) => {
        await insert(em, "a");
        signals.push(event("a"));
        return written("first", Changes.none);
      }),
      writer.transaction(async (em, signals) => {
        await insert(em, "b");
        signals.push(event("b"));
        secondSawFirst = (await query<{ v: string }>(em, `SELECT "v" FROM "writer_probe"`)).map(
          (r) => r.v,
        );
        throw failure;
      }),
      writer.transaction(async (em, signals) => {
        await insert(em, "c");
        signals.push(event("c"));
        return written("third", Changes.none);
      }),
    ]);
    expect(results).toEqual([
      { status: "fulfilled", value: "first" },
      { status: "rejected", reason: failure },
      { status: "fulfilled", value: "third" },
    ]);
    expect(await stored()).toEqual(["a", "c"]);
    expect(published).toEqual(["a", "c"]);
    // In sequence, the second saw the first's row (and its own).
    if (!ON_POSTGRES) expect(secondSawFirst.sort()).toEqual(["a", "b"]);
  });

  it("a statement that fails inside a transaction fails only that one", async () => {
    await query(db, `DELETE FROM "writer_probe"`);
    const results = await Promise.allSettled([
      writer.transaction((em) => insert(em, "x").then(nothingRead)),
      writer.transaction((em) =>
        query(em, `INSERT INTO "no_such_table" ("v") VALUES ('y')`).then(nothingRead),
      ),
      writer.transaction((em) => insert(em, "z").then(nothingRead)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await stored()).toEqual(["x", "z"]);
  });

  it(`more than ${MAX_GROUP} at once: all committed, each answered once`, async () => {
    await query(db, `DELETE FROM "writer_probe"`);
    published.length = 0;
    const n = MAX_GROUP * 3 + 5;
    const names = Array.from({ length: n }, (_, i) => `v${String(i).padStart(4, "0")}`);
    const answers = await Promise.all(
      names.map((name, i) =>
        writer
          .transaction(async (em, signals) => {
            await insert(em, name);
            signals.push(event(name));
            if (i % 7 === 3) throw new Error(`no ${name}`);
            return written(name, Changes.none);
          })
          .catch((e: Error) => e.message),
      ),
    );
    const kept = names.filter((_, i) => i % 7 !== 3);
    expect(answers).toEqual(names.map((name, i) => (i % 7 === 3 ? `no ${name}` : name)));
    expect(await stored()).toEqual(kept);
    // PostgreSQL runs them concurrently from its pool: published once each, in any order.
    expect(ON_POSTGRES ? [...published].sort() : published).toEqual(kept);
  });

  it("nested work keeps going: a transaction queued by one that finished is run too", async () => {
    await query(db, `DELETE FROM "writer_probe"`);
    const inner = await writer
      .transaction(async (em) => {
        await insert(em, "outer");
        return written("outer done", Changes.none);
      })
      .then(() =>
        writer.transaction((em) =>
          insert(em, "inner").then(() => written("inner done", Changes.none)),
        ),
      );
    expect(inner).toBe("inner done");
    expect(await stored()).toEqual(["inner", "outer"]);
  });
});
