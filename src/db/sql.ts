import type { DataSource, EntityManager } from "typeorm";

/**
 * Hand-written SQL for the hot read paths, with TypeORM's `:name` / `:...list` parameters.
 *
 * On a 20-row inbox page TypeORM's query builder and entity hydration cost more CPU than
 * SQLite itself (a profile: `npm run bench -- --cpu-prof=DIR`); these statements go
 * straight to the driver (through TypeORM's statement cache and query counter) and the rows
 * are mapped by the small functions below. Identifiers are double-quoted: PostgreSQL folds
 * unquoted camelCase names to lower case.
 */
export function query<T>(
  db: DataSource | EntityManager,
  sql: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const dataSource = "driver" in db ? db : db.connection;
  const [text, values] = dataSource.driver.escapeQueryWithParameters(sql, params);
  return db.query(text, values);
}

/** A stored point in time: PostgreSQL returns a Date, SQLite TypeORM's UTC text. */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  // "2026-11-26 10:31:33.729" (TypeORM's SQLite format, always UTC) -> ISO 8601 with Z.
  return new Date(String(value).replace(" ", "T") + "Z");
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** A stored boolean: PostgreSQL returns true/false, SQLite 1/0. */
export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === "1";
}

/** COUNT(*) and other integer results as a number; a missing value (no row) is 0. */
export function toInt(value: unknown): number {
  return Number(value ?? 0);
}

/**
 * An INSERT / UPDATE / DELETE by hand inside a transaction (`em` of `Writer.transaction`);
 * returns how many rows it changed, the same way on both engines.
 */
export async function execute(
  em: EntityManager,
  sql: string,
  params: Record<string, unknown> = {},
): Promise<number> {
  if (!em.queryRunner) throw new Error("execute() runs inside a transaction");
  const [text, values] = em.connection.driver.escapeQueryWithParameters(sql, params);
  const result = await em.queryRunner.query(text, values, true);
  return result.affected ?? 0;
}
