import type { DataSource } from "typeorm";
import type { Clock } from "./common/clock";
import type { Logger } from "./common/logger";
import type { Cursors } from "./common/pagination";
import type { AppPubSub } from "./common/pubsub";
import type { Config } from "./config";
import type { Writer } from "./db/writer";
import type { Outbox } from "./mail/outbox";

/** What every service is built from; one set per running server. */
export interface Deps {
  config: Config;
  /** Writes: the writer's transactions (and migrations, backups, health). */
  dataSource: DataSource;
  /**
   * Reads outside a transaction: on SQLite a second connection that sees committed rows only
   * (see `openReads`); on PostgreSQL the same pool. Inside a transaction, read through its `em`.
   */
  reads: DataSource;
  /** Runs every write transaction and publishes its signals after the commit. */
  writer: Writer;
  pubsub: AppPubSub;
  /** Seals and opens list cursors with the server's key. */
  cursors: Cursors;
  clock: Clock;
  /** For what fails outside any request (jobs, the Redis connections). */
  logger: Logger;
  /** Mail: written in a write transaction (`enqueue`), sent after the commit (`kick`). */
  mail: Outbox;
}
