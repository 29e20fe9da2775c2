import { query } from "../../src/db/sql";
import type { TestServer } from "./server";

/**
 * Every row of every table the entities map, as JSON, each table's rows in a stable order:
 * equal snapshots before and after a request show that it wrote nothing.
 */
export async function snapshotTables(server: TestServer): Promise<Record<string, string[]>> {
  const tables = server.dataSource.entityMetadatas.map((m) => m.tableName).sort();
  const rows = await Promise.all(
    tables.map((table) => query<unknown>(server.dataSource, `SELECT * FROM "${table}"`)),
  );
  return Object.fromEntries(
    tables.map((table, i) => [table, rows[i].map((r) => JSON.stringify(r)).sort()]),
  );
}
