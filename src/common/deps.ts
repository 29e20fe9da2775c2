import type { DataSource } from "typeorm";
import type { Config } from "../config";
import type { Logger } from "../observability/logger";
import type { WriteQueue } from "../db/write-queue";
import type { Clock } from "./clock";
import type { AppPubSub } from "./pubsub";

/** What every service is built from; one set per running server. */
export interface Deps {
  config: Config;
  /** Writes: the write queue's transactions (and migrations, backups, health). */
  dataSource: DataSource;
  /**
   * Reads outside a transaction: on SQLite a second connection that sees committed rows only
   * (see `openReads`); on PostgreSQL the same pool. Inside a transaction, read through its `em`.
   */
  reads: DataSource;
  queue: WriteQueue;
  pubSub: AppPubSub;
  clock: Clock;
  /** For what fails outside any request (jobs, the Redis connections). */
  logger: Logger;
}
