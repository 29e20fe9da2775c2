import { SpanKind, type Context } from "@opentelemetry/api";
import type { DataSource, EntityManager } from "typeorm";
import { currentContext, inSpan, tracer, tracingHere, withContext } from "../common/tracing";
import type { Signal } from "../common/pubsub";
import type { Changes, VersionStore, Written } from "./changes";

/** Thrown by a transaction that found its premises changed under it: it is run again. */
export class RetryTransaction extends Error {
  constructor() {
    super("The data changed during the transaction; it is retried.");
  }
}

/** Runs after a transaction commits, with the signals it recorded (never after a rollback). */
export type Publish = (signals: Signal[]) => void;

const MAX_ATTEMPTS = 8;

/**
 * SQLite: at most this many queued transactions share one commit. Bounded so that a queue
 * that never empties still commits (and answers) every few milliseconds.
 */
export const MAX_GROUP = 32;

/**
 * A transaction's body: it writes through `em`, records the signals to publish after the
 * commit, and returns its result with the members whose reads it changed (`written`): the
 * response cache's invalidation, which no transaction can leave out.
 */
type Work<T> = (em: EntityManager, signals: Signal[]) => Promise<Written<T>>;

type Outcome =
  | { ok: true; result: unknown; signals: Signal[]; changes: Changes }
  | { ok: false; error: unknown };

/** A transaction waiting for its turn on SQLite. */
interface Queued {
  work: Work<unknown>;
  /** The trace context of the request that queued it (null while tracing is off). */
  context: Context | null;
  settle(outcome: Outcome): void;
}

/** better-sqlite3's handle, for the savepoint statements (no need for TypeORM's bookkeeping). */
interface SqliteHandle {
  exec(sql: string): unknown;
}

/**
 * Runs every write transaction, and keeps the publishing rule: a transaction records its
 * signals, and they are published only once it has committed.
 *
 * SQLite: TypeORM drives it through a single connection, where two interleaved transactions
 * would collide, so transactions run one at a time in the process; `BEGIN IMMEDIATE` takes
 * the file's write lock up front, so another process's commit (a second server, `npm run
 * jobs`) makes it wait for `busy_timeout` instead of failing a read-then-write transaction
 * with SQLITE_BUSY_SNAPSHOT. Group commit: the transactions queued in one turn of the event
 * loop share one commit, each inside its own savepoint. A COMMIT writes every page the
 * transaction changed to the WAL, and was the costliest statement of a send or a decline
 * (more than half of a mutation's time in SQLite, in a profile), while the pages a group changes
 * (index leaves, the tables' last pages) are mostly the same ones. Each caller still hears
 * back only after the commit that holds its work (or the rollback of its savepoint), so
 * nothing acknowledged can be lost, and within a group each transaction sees the ones before
 * it exactly as it would in sequence.
 *
 * PostgreSQL: transactions run concurrently from a pool (READ COMMITTED). Operations lock
 * the member rows they concern first (`lockMembers`), which serializes everything touching
 * one member or pair across instances; one that still loses a race (a unique index such as
 * the pair's one open invitation or a notification's sequence number, a deadlock) is retried
 * from the start, so the rules see the winner's commit and answer as they would in sequence.
 */
export class Writer {
  private readonly postgres: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publish: Publish = () => {},
    /** Told what each transaction changed before its caller hears back (null: no cache). */
    readonly versions: VersionStore | null = null,
  ) {
    this.postgres = dataSource.options.type === "postgres";
  }

  /**
   * Runs `work` in its own transaction (on SQLite, its own savepoint of a group's transaction);
   * the signals it records are published after the commit.
   */
  async transaction<T>(work: Work<T>): Promise<T> {
    if (!tracingHere()) return this.commit(work, false);
    return inSpan("db.transaction", {}, () => this.commit(work, true));
  }

  private async commit<T>(work: Work<T>, traced: boolean): Promise<T> {
    const { result, signals, changes } = this.postgres
      ? await this.retried(work)
      : await this.queued(work);
    // Before the caller hears back: their next read, on any instance, must not be answered
    // from before this write.
    if (this.versions && !changes.empty) await this.versions.changed(changes);
    if (traced && signals.length > 0) publishSpan(signals, () => this.publish(signals));
    else this.publish(signals);
    return result;
  }

  private readonly waiting: Queued[] = [];
  private draining = false;
  private scheduled = false;

  private queued<T>(work: Work<T>): Promise<Committed<T>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        work: work as Work<unknown>,
        context: currentContext(),
        settle: (outcome) =>
          outcome.ok
            ? resolve({
                result: outcome.result as T,
                signals: outcome.signals,
                changes: outcome.changes,
              })
            : reject(outcome.error),
      });
      // Wait for the end of this turn of the event loop: a request's whole transaction runs in
      // microtasks (better-sqlite3 is synchronous), so without the wait each one would commit
      // before the next request was even read, and no group would ever form. Every request
      // read in this turn joins the group.
      if (!this.draining && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
    });
  }

  /** Runs the queue, a group at a time, until it is empty. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) await this.group(this.waiting.splice(0, MAX_GROUP));
    } finally {
      this.draining = false;
    }
  }

  /**
   * SQLite: one transaction holding the write lock from its first statement, with each queued
   * transaction in a savepoint: one that fails is rolled back alone and the others commit.
   */
  private async group(group: Queued[]): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    const sqlite = this.dataSource.driver as unknown as { databaseConnection: SqliteHandle };
    const committed: { job: Queued; done: Written<unknown>; signals: Signal[] }[] = [];
    const failed: { job: Queued; error: unknown }[] = [];
    let next = 0;
    try {
      // The group's own statements go in the first transaction's trace (it opened the group).
      await withContext(group[0].context, () => runner.query("BEGIN IMMEDIATE"));
      for (; next < group.length; next++) {
        const job = group[next];
        sqlite.databaseConnection.exec("SAVEPOINT queued");
        const signals: Signal[] = [];
        let done: Written<unknown>;
        try {
          // Services use insert/update/delete, never `save` (which would nest a transaction).
          // In the context of the request that queued it: its statements belong to its trace.
          done = await withContext(job.context, () => job.work(runner.manager, signals));
        } catch (error) {
          // Reads go through their own connection (db/data-source.ts), which never saw the
          // rolled-back rows: nothing anyone read changed.
          // If these fail, the transaction is unusable: the catch below fails the whole group.
          sqlite.databaseConnection.exec("ROLLBACK TO queued; RELEASE queued");
          failed.push({ job, error });
          continue;
        }
        sqlite.databaseConnection.exec("RELEASE queued");
        committed.push({ job, done, signals });
      }
      await withContext(group[0].context, () => runner.query("COMMIT"));
    } catch (error) {
      await runner.query("ROLLBACK").catch(() => undefined);
      for (const { job } of committed) job.settle({ ok: false, error });
      for (const f of failed) f.job.settle({ ok: false, error: f.error });
      for (const job of group.slice(next)) job.settle({ ok: false, error });
      return;
    } finally {
      await runner.release();
    }
    for (const f of failed) f.job.settle({ ok: false, error: f.error });
    for (const { job, done, signals } of committed) {
      job.settle({ ok: true, result: done.result, signals, changes: done.changes });
    }
  }

  /** PostgreSQL: retried with a growing, jittered pause when it loses a race. */
  private async retried<T>(work: Work<T>): Promise<Committed<T>> {
    for (let attempt = 1; ; attempt++) {
      const signals: Signal[] = [];
      try {
        const done = await this.dataSource.transaction((em) => work(em, signals));
        return { result: done.result, signals, changes: done.changes };
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(err)) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      }
    }
  }
}

/**
 * The publish of a transaction's signals, as a producer span: how many and which topics
 * (their kinds, never the member ids or payloads).
 */
function publishSpan(signals: Signal[], publish: () => void): void {
  const topics = [...new Set(signals.map((s) => s.topic))].sort();
  tracer().startActiveSpan(
    "publish",
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        "messaging.operation.type": "send",
        "messaging.batch.message_count": signals.length,
        "messaging.destination.name": topics.join(","),
      },
    },
    (span) => {
      try {
        publish();
      } finally {
        span.end();
      }
    },
  );
}

interface Committed<T> {
  result: T;
  signals: Signal[];
  changes: Changes;
}

/** 40001 serialization failure, 40P01 deadlock, 23505 unique violation (a race lost). */
function isRetryable(err: unknown): boolean {
  if (err instanceof RetryTransaction) return true;
  const code =
    (err as { code?: string; driverError?: { code?: string } })?.driverError?.code ??
    (err as { code?: string })?.code;
  return code === "40001" || code === "40P01" || code === "23505";
}
