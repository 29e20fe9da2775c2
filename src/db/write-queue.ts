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
    const run = this.tail.then(() => this.dataSource.transaction(work));
    // The queue must go on after a failed transaction; the caller still sees the failure.
    this.tail = run.catch(() => undefined);
    return run;
  }
}
