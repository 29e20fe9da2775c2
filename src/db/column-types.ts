/**
 * Column types that differ between the engines. Entities are declared once; the engine is
 * chosen by DATABASE_URL, which is read here when the entities load (as `loadConfig` reads
 * it), so one process always uses one engine.
 */
export const POSTGRES = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "");

/** A point in time: `timestamptz` on PostgreSQL; TypeORM's UTC text `datetime` on SQLite. */
// (Typed as one literal: TypeORM's @Column overloads do not accept a union of the two.)
export const DATE_TYPE = (POSTGRES ? "timestamptz" : "datetime") as "datetime";
