import { Initial1795683128203 } from "./1795683128203-initial";

/** PostgreSQL migrations in order (the same entities as the SQLite set). */
export const postgresMigrations = [Initial1795683128203];
