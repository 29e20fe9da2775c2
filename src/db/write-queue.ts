import type { DataSource, EntityManager } from "typeorm";
import type { PendingEvent } from "../common/pubsub";

/** Thrown by a transaction that found its premises changed under it: it is run again. */
export class RetryTransaction extends Error {
  constructor() {
    super("The data changed during the transaction; it is retried.");
  }
}

/** Runs after a transaction commits, with the events it recorded (never after a rollback). */
export type Publish = (events: PendingEvent[]) => void;

const MAX_ATTEMPTS = 8;

/**
 * Every write transaction goes through here, and so does the outbox rule: a transaction
 * records its events, and they are published only once it has committed.
 *
 * SQLite: TypeORM drives it through a single connection, where two interleaved transactions
 * would collide, so transactions run one at a time in the process; `BEGIN IMMEDIATE` takes
 * the file's write lock up front, so another process's commit (a second server, `npm run
 * jobs`) makes it wait for `busy_timeout` instead of failing a read-then-write transaction
 * with SQLITE_BUSY_SNAPSHOT.
 *
 * PostgreSQL: transactions run concurrently from a pool (READ COMMITTED). Operations lock
 * the member rows they concern first (`lockMembers`), which serializes everything touching
 * one member or pair across instances; one that still loses a race (a unique index such as
 * the pair's one open invitation or a notification's sequence number, a deadlock) is retried
 * from the start, so the rules see the winner's commit and answer as they would in sequence.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly postgres: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publish: Publish = () => {},
  ) {
    this.postgres = dataSource.options.type === "postgres";
  }

  /** Runs `work` in its own transaction; `events` it records are published after commit. */
  async transaction<T>(
    work: (em: EntityManager, events: PendingEvent[]) => Promise<T>,
  ): Promise<T> {
    const { result, events } = this.postgres ? await this.retried(work) : await this.queued(work);
    this.publish(events);
    return result;
  }

  private queued<T>(work: (em: EntityManager, events: PendingEvent[]) => Promise<T>) {
    const run = this.tail.then(() => this.immediate(work));
    // The queue must go on after a failed transaction; the caller still sees the failure.
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** SQLite: one transaction holding the write lock from its first statement. */
  private async immediate<T>(work: (em: EntityManager, events: PendingEvent[]) => Promise<T>) {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.query("BEGIN IMMEDIATE");
      try {
        const events: PendingEvent[] = [];
        // Services use insert/update/delete, never `save` (which would nest a transaction).
        const result = await work(runner.manager, events);
        await runner.query("COMMIT");
        return { result, events };
      } catch (err) {
        await runner.query("ROLLBACK");
        throw err;
      }
    } finally {
      await runner.release();
    }
  }

  /** PostgreSQL: retried with a growing, jittered pause when it loses a race. */
  private async retried<T>(work: (em: EntityManager, events: PendingEvent[]) => Promise<T>) {
    for (let attempt = 1; ; attempt++) {
      const events: PendingEvent[] = [];
      try {
        const result = await this.dataSource.transaction((em) => work(em, events));
        return { result, events };
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(err)) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      }
    }
  }
}

/** 40001 serialization failure, 40P01 deadlock, 23505 unique violation (a race lost). */
function isRetryable(err: unknown): boolean {
  if (err instanceof RetryTransaction) return true;
  const code =
    (err as { code?: string; driverError?: { code?: string } })?.driverError?.code ??
    (err as { code?: string })?.code;
  return code === "40001" || code === "40P01" || code === "23505";
}
