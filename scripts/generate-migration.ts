/**
 * Writes a migration for whatever the entities declare beyond the current migrations:
 * migrates a scratch database, diffs it against the entities, and prints the SQL as a
 * TypeORM migration class. Usage: npm run migration:generate -- Name
 */
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/db/data-source";

async function main() {
  const name = process.argv[2];
  if (!name || !/^[A-Za-z]\w*$/.test(name)) throw new Error("usage: migration:generate -- Name");
  const ds = await openDatabase(join(tmpdir(), `migration-${process.pid}.sqlite`));
  const sql = await ds.driver.createSchemaBuilder().log();
  await ds.destroy();
  if (sql.upQueries.length === 0) {
    console.log("The entities match the migrations: nothing to generate.");
    return;
  }
  const ts = Date.now();
  const q = (s: string) => JSON.stringify(s);
  const up = sql.upQueries.map((x) => `    await queryRunner.query(${q(x.query)});`).join("\n");
  const down = sql.downQueries
    .reverse()
    .map((x) => `    await queryRunner.query(${q(x.query)});`)
    .join("\n");
  const file = join("src/db/migrations", `${ts}-${name.toLowerCase()}.ts`);
  writeFileSync(
    file,
    `import type { MigrationInterface, QueryRunner } from "typeorm";

export class ${name}${ts} implements MigrationInterface {
  name = "${name}${ts}";

  async up(queryRunner: QueryRunner): Promise<void> {
${up}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${down}
  }
}
`,
  );
  console.log(`Wrote ${file}; add it to src/db/migrations/index.ts.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
