import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { SpanKind, SpanStatusCode, type Span } from "@opentelemetry/api";
import pg from "pg";
import { statementOperation, statementShape, tracer, tracingHere } from "../common/tracing";
import {
  DataSource,
  type AfterQueryEvent,
  type DataSourceOptions,
  type EntitySubscriberInterface,
  type Logger,
  type QueryRunner,
} from "typeorm";
import { migrationsFor } from "./migrations";

interface BetterSqlite {
  pragma(sql: string): unknown;
  function(name: string, options: { deterministic: boolean }, fn: (v: unknown) => unknown): void;
}

/**
 * Counts every SQL statement, so tests can assert that a list costs a constant number, and
 * times each one for `onQuery` (the server's query-duration histogram) once it is set.
 *
 * TypeORM reports a duration only to `logQuerySlow`, only past `maxQueryExecutionTime`, and
 * in whole milliseconds of `Date.now()`, while most statements here take well under one. So
 * the clock starts in `logQuery`, which the drivers call right before the statement (after
 * PostgreSQL's pool has given a connection), and stops in the `afterQuery` event, which they
 * broadcast right after the answer or the failure. better-sqlite3 runs the statement
 * synchronously in between; the time also holds the few microtask turns TypeORM awaits
 * before it, and on SQLite's one connection a statement run from another turn meanwhile.
 */
export class QueryCounter implements Logger, EntitySubscriberInterface {
  count = 0;
  /** Told each statement's duration in seconds and whether it succeeded. */
  onQuery: ((seconds: number, ok: boolean) => void) | null = null;
  // Per query runner: start times of statements not finished yet, keyed by the parameters
  // array TypeORM hands to both logQuery and afterQuery (a new array per statement on both
  // drivers), or by the text when there is none. Under load dozens are in flight on SQLite's
  // one runner (TypeORM awaits between the two calls), where a list searched on every
  // statement cost several percent of the server's CPU (in a profile). Bounded: a statement TypeORM
  // streams is never announced as finished.
  private readonly running = new WeakMap<object, Map<unknown, Running[]>>();

  logQuery(query: string, parameters?: unknown[], runner?: QueryRunner): void {
    this.count++;
    const traced = tracingHere();
    if ((!this.onQuery && !traced) || !runner) return;
    let started = this.running.get(runner);
    if (!started) this.running.set(runner, (started = new Map()));
    if (started.size >= 1000) started.delete(started.keys().next().value);
    const key = parameters ?? query;
    const statement: Running = { at: performance.now() };
    if (traced) statement.span = statementSpan(query, runner);
    const starts = started.get(key);
    if (starts) starts.push(statement);
    else started.set(key, [statement]);
  }

  afterQuery(event: AfterQueryEvent): void {
    const started = this.running.get(event.queryRunner);
    if (!started) return;
    const key = event.parameters ?? event.query;
    const starts = started.get(key);
    if (!starts) return;
    const { at, span } = starts.shift()!;
    if (starts.length === 0) started.delete(key);
    if (span) {
      if (!event.success) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    this.onQuery?.((performance.now() - at) / 1000, event.success);
  }

  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** A statement on its way: when it started, and its span when tracing is on. */
interface Running {
  at: number;
  span?: Span;
}

/**
 * A client span for one statement, a child of whatever runs it (a resolver, a transaction):
 * its shape (no literal), never its parameters.
 */
function statementSpan(query: string, runner: QueryRunner): Span {
  const postgres = runner.connection.options.type === "postgres";
  const operation = statementOperation(query);
  return tracer().startSpan(operation, {
    kind: SpanKind.CLIENT,
    attributes: {
      "db.system.name": postgres ? "postgresql" : "sqlite",
      "db.operation.name": operation,
      "db.query.text": statementShape(query),
    },
  });
}

/** Where the data lives: a SQLite file, or PostgreSQL when a URL is given. */
export interface DatabaseTarget {
  /** The entity classes (the app's list; the database layer knows no feature). */
  entities: NonNullable<DataSourceOptions["entities"]>;
  sqlitePath: string;
  databaseUrl?: string | null;
  databasePoolSize?: number;
  /** Run only the first N migrations (tests of a migration's data step); default all. */
  migrationsUpTo?: number;
}

// COUNT(*) and other bigints arrive as strings from node-postgres; our counts fit a number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

/**
 * Opens the database and runs its pending migrations.
 *
 * SQLite (default): the file and its folder are created when missing; WAL lets readers go on
 * during a write; foreign keys are enforced; a busy timeout covers another process (a second
 * server, `npm run jobs`) holding the write lock for a moment.
 * PostgreSQL (`databaseUrl`): a pool of `databasePoolSize` connections.
 */
export async function openDatabase(
  target: DatabaseTarget,
  counter = new QueryCounter(),
): Promise<DataSource> {
  const common = {
    entities: target.entities,
    migrationsRun: false,
    synchronize: false,
    logging: ["query"] as const,
    logger: counter,
  };
  const dataSource = target.databaseUrl
    ? new DataSource({
        ...common,
        type: "postgres",
        url: target.databaseUrl,
        poolSize: target.databasePoolSize ?? 10,
        migrations: migrationsFor("postgres").slice(0, target.migrationsUpTo),
        logging: ["query"],
      })
    : new DataSource({
        ...common,
        type: "better-sqlite3",
        database: prepareSqlitePath(target.sqlitePath),
        migrations: migrationsFor("sqlite").slice(0, target.migrationsUpTo),
        logging: ["query"],
        prepareDatabase: (db: BetterSqlite) => {
          addFunctions(db);
          db.pragma("journal_mode = WAL");
          db.pragma("synchronous = NORMAL");
          db.pragma("foreign_keys = ON");
          db.pragma("busy_timeout = 5000");
        },
      });
  if (target.databaseUrl) datetimeIsTimestamptz(dataSource);
  await dataSource.initialize();
  if (target.databaseUrl) prepareOnEachConnection(dataSource);
  // The counter also hears TypeORM's afterQuery event, which ends a statement's timing.
  dataSource.subscribers.push(counter);
  if (target.databaseUrl) {
    // Instances starting together: an advisory lock lets one migrate while the others wait.
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query("SELECT pg_advisory_lock(727274)");
      await dataSource.runMigrations({ transaction: "all" });
    } finally {
      await runner.query("SELECT pg_advisory_unlock(727274)").catch(() => undefined);
      await runner.release();
    }
  } else {
    await dataSource.runMigrations({ transaction: "each" });
    // Gather the statistics the query planner needs (SQLite's advice for a long-lived
    // connection): without them it may loop over the viewer's connections for every row of
    // an inbox. Cheap when the statistics are fresh.
    await dataSource.query("PRAGMA optimize=0x10002");
  }
  return dataSource;
}

/**
 * The data source reads outside a transaction go through (`Deps.reads`); `writes` is what
 * `openDatabase` returned.
 *
 * SQLite: a second connection to the same file that may only read. TypeORM drives
 * better-sqlite3 through one connection, and the writer keeps a transaction open on it
 * across awaits (a group of them, up to MAX_GROUP), so a read run on that connection in
 * between saw rows not committed yet: a transaction half applied, or one about to be rolled
 * back, or lost in a crash before its COMMIT. Under WAL this connection sees the last commit
 * only, as PostgreSQL's READ COMMITTED does. Opened after the migrations and statistics, so
 * its planner reads the statistics the writer gathered.
 * PostgreSQL, or SQLite in memory (one database per connection): `writes` itself.
 */
export async function openReads(writes: DataSource, counter: QueryCounter): Promise<DataSource> {
  const options = writes.options;
  if (options.type !== "better-sqlite3" || options.database === ":memory:") return writes;
  const reads = new DataSource({
    type: "better-sqlite3",
    database: options.database,
    entities: options.entities,
    migrationsRun: false,
    synchronize: false,
    logging: ["query"],
    logger: counter,
    prepareDatabase: (db: BetterSqlite) => {
      addFunctions(db);
      // Refuses any write, so a write that skipped the queue fails loudly instead of
      // committing on its own.
      db.pragma("query_only = ON");
      db.pragma("busy_timeout = 5000");
    },
  });
  await reads.initialize();
  reads.subscribers.push(counter);
  return reads;
}

/**
 * Entities declare points in time as `datetime`, TypeORM's UTC text on SQLite. On PostgreSQL
 * the same columns are `timestamptz`: this data source's driver is told so, which lets one set
 * of entities serve both engines without reading the engine when they are imported. (The
 * driver already converts `datetime` values as it does `timestamptz`; only the schema's type
 * name, which validation, migrations and the schema diff read, needs the mapping.)
 */
function datetimeIsTimestamptz(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as {
    normalizeType(column: { type?: unknown }): string;
  };
  const normalize = driver.normalizeType.bind(driver);
  driver.normalizeType = (column) =>
    column.type === "datetime" ? "timestamp with time zone" : normalize(column);
}

/** SQL functions both SQLite connections need. */
function addFunctions(db: BetterSqlite): void {
  // SQLite's built-in LOWER folds ASCII only ("É" stays "É"); names, employers and
  // schools are international, and PostgreSQL's LOWER folds them all. Same answer on both.
  db.function("lower", { deterministic: true }, (value: unknown) =>
    typeof value === "string" ? value.toLowerCase() : value,
  );
}

function prepareSqlitePath(path: string): string {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  return path;
}

/** Statements prepared per connection at most; beyond, a statement is parsed each time. */
const MAX_PREPARED = 500;

/**
 * PostgreSQL: every parameterised statement runs as a named prepared statement on its pooled
 * connection (node-postgres sends Parse once per connection and name, then only Bind and
 * Execute), so the server neither parses nor plans the same text again. The app's SQL is a
 * bounded set of texts; the name is a hash of the text, so a text can never meet another's
 * statement, and past MAX_PREPARED names a connection parses as before.
 */
function prepareOnEachConnection(dataSource: DataSource): void {
  type Query = (...args: unknown[]) => unknown;
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  const patch = (client: { query: Query; prepared?: Set<string> }) => {
    if (client.prepared) return;
    const prepared = (client.prepared = new Set<string>());
    const query = client.query.bind(client);
    client.query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
      if (typeof text !== "string" || !Array.isArray(values) || rest.length > 0) {
        return query(text, values, ...rest);
      }
      const name = "s" + createHash("sha1").update(text).digest("base64url");
      if (!prepared.has(name)) {
        if (prepared.size >= MAX_PREPARED) return query(text, values);
        prepared.add(name);
      }
      return query({ name, text, values });
    };
  };
  pool.on("connect", patch);
  for (const client of pool._clients ?? []) patch(client);
}

interface PgPool {
  on(
    event: "connect",
    listener: (client: { query: (...args: unknown[]) => unknown }) => void,
  ): void;
  /** node-postgres's own list of the pool's clients (those connected before the patch). */
  _clients?: { query: (...args: unknown[]) => unknown }[];
}
