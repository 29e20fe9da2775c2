/**
 * The write queue on a real database. On SQLite the transactions that queue up in one turn of
 * the event loop share one commit, each in its own savepoint: one that fails must be rolled
 * back alone, the others committed, and only theirs events published, in queue order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataSource, EntityManager } from "typeorm";
import type { Signal } from "../src/common/pubsub";
import { openDatabase } from "../src/db/data-source";
import { entities } from "../src/entities";
import { query } from "../src/db/sql";
import { MAX_GROUP, Writer } from "../src/db/writer";
import { DATABASE_URL, ON_POSTGRES, testDatabase } from "./helpers/server";

let dir: string;
let db: DataSource;
let published: string[];
let queue: Writer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "write-queue-"));
  const sqlitePath = join(dir, "queue.sqlite");
  db = await openDatabase({
    entities,
    sqlitePath,
    databaseUrl: DATABASE_URL ? await testDatabase(sqlitePath) : null,
  });
  await query(db, `DROP TABLE IF EXISTS "queue_probe"`);
  await query(db, `CREATE TABLE "queue_probe" ("v" VARCHAR(20) NOT NULL)`);
  published = [];
  queue = new Writer(db, (events) => {
    for (const e of events) published.push(e.memberId);
  });
});
afterAll(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (em: EntityManager, v: string) =>
  query(em, `INSERT INTO "queue_probe" ("v") VALUES (:v)`, { v });
const stored = async (): Promise<string[]> =>
  (await query<{ v: string }>(db, `SELECT "v" FROM "queue_probe" ORDER BY "v"`)).map((r) => r.v);
/** An event whose memberId names the transaction (the queue publishes it as it is). */
const event = (name: string) =>
  ({ topic: "notificationAdded", memberId: name, payload: {} }) as unknown as Signal;

describe("the write queue", () => {
  it("rolls back a failed transaction alone; the others commit and publish, in order", async () => {
    await query(db, `DELETE FROM "queue_probe"`);
    published.length = 0;
    const failure = new Error("the rules said no");
    let secondSawFirst: string[] = [];
    // Started in one turn: on SQLite they share one commit.
    const results = await Promise.allSettled([
      queue.transaction(async (em, events) => {
        await insert(em, "a");
        events.push(event("a"));
        return "first";
      }),
      queue.transaction(async (em, events) => {
        await insert(em, "b");
        events.push(event("b"));
        secondSawFirst = (await query<{ v: string }>(em, `SELECT "v" FROM "queue_probe"`)).map(
          (r) => r.v,
        );
        throw failure;
      }),
      queue.transaction(async (em, events) => {
        await insert(em, "c");
        events.push(event("c"));
        return "third";
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
    await query(db, `DELETE FROM "queue_probe"`);
    const results = await Promise.allSettled([
      queue.transaction((em) => insert(em, "x")),
      queue.transaction((em) => query(em, `INSERT INTO "no_such_table" ("v") VALUES ('y')`)),
      queue.transaction((em) => insert(em, "z")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await stored()).toEqual(["x", "z"]);
  });

  it(`more than ${MAX_GROUP} at once: all committed, each answered once`, async () => {
    await query(db, `DELETE FROM "queue_probe"`);
    published.length = 0;
    const n = MAX_GROUP * 3 + 5;
    const names = Array.from({ length: n }, (_, i) => `v${String(i).padStart(4, "0")}`);
    const answers = await Promise.all(
      names.map((name, i) =>
        queue
          .transaction(async (em, events) => {
            await insert(em, name);
            events.push(event(name));
            if (i % 7 === 3) throw new Error(`no ${name}`);
            return name;
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
    await query(db, `DELETE FROM "queue_probe"`);
    const inner = await queue
      .transaction(async (em) => {
        await insert(em, "outer");
        return "outer done";
      })
      .then(() => queue.transaction((em) => insert(em, "inner").then(() => "inner done")));
    expect(inner).toBe("inner done");
    expect(await stored()).toEqual(["inner", "outer"]);
  });
});
