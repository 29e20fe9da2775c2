/**
 * Writes a migration for whatever the entities declare beyond the current migrations:
 * migrates a scratch database, diffs it against the entities, and writes the SQL as a
 * TypeORM migration class. Run it once per engine:
 *   npm run migration:generate -- Name                                  (SQLite)
 *   DATABASE_URL=postgres://postgres@127.0.0.1/postgres npm run migration:generate -- Name
 * (PostgreSQL: a scratch database is created beside the one named, then dropped.)
 */
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openDatabase } from "../src/db/data-source";
import { entities } from "../src/entities";

async function main() {
  const name = process.argv[2];
  if (!name || !/^[A-Za-z]\w*$/.test(name)) throw new Error("usage: migration:generate -- Name");
  const url = process.env.DATABASE_URL;
  const engine = url ? "postgres" : "sqlite";
  let scratchUrl: string | null = null;
  let admin: pg.Client | null = null;
  const scratch = `migration_${process.pid}`;
  if (url) {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${scratch}`);
    const u = new URL(url);
    u.pathname = `/${scratch}`;
    scratchUrl = u.toString();
  }
  try {
    const ds = await openDatabase({
      entities,
      sqlitePath: join(tmpdir(), `migration-${process.pid}.sqlite`),
      databaseUrl: scratchUrl,
    });
    const sql = await ds.driver.createSchemaBuilder().log();
    await ds.destroy();
    if (sql.upQueries.length === 0) {
      console.log(`The entities match the ${engine} migrations: nothing to generate.`);
      return;
    }
    const ts = Date.now();
    const q = (s: string) => JSON.stringify(s);
    const lines = (qs: { query: string }[]) =>
      qs.map((x) => `    await queryRunner.query(${q(x.query)});`).join("\n");
    const file = join("src/db/migrations", engine, `${ts}-${name.toLowerCase()}.ts`);
    writeFileSync(
      file,
      `import type { MigrationInterface, QueryRunner } from "typeorm";

export class ${name}${ts} implements MigrationInterface {
  name = "${name}${ts}";

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(sql.upQueries)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines([...sql.downQueries].reverse())}
  }
}
`,
    );
    console.log(`Wrote ${file}; add it to src/db/migrations/${engine}/index.ts.`);
  } finally {
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${scratch}`);
      await admin.end();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
