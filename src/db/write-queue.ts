import type { DataSource, EntityManager } from "typeorm";

/**
 * Runs write transactions one at a time. TypeORM drives SQLite through a single connection,
 * where two interleaved transactions would collide ("cannot start a transaction within a
 * transaction"); queueing them in the process is the correct lock for that one connection.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in its own transaction once every earlier one has finished. */
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.immediate(work));
    // The queue must go on after a failed transaction; the caller still sees the failure.
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * `BEGIN IMMEDIATE` takes SQLite's write lock up front. With a plain (deferred) BEGIN, a
   * transaction that reads and then writes fails at once with SQLITE_BUSY_SNAPSHOT when
   * another process (`npm run jobs`, a script) committed in between; taking the lock first
   * makes it wait for `busy_timeout` instead. Services use insert/update/delete (never
   * `save`, which would open a nested transaction).
   */
  private async immediate<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.query("BEGIN IMMEDIATE");
      try {
        const result = await work(runner.manager);
        await runner.query("COMMIT");
        return result;
      } catch (err) {
        await runner.query("ROLLBACK");
        throw err;
      }
    } finally {
      await runner.release();
    }
  }
}
