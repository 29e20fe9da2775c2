import type { DataSource } from "typeorm";
import type { Config } from "../config";
import type { Logger } from "../observability/logger";
import type { WriteQueue } from "../db/write-queue";
import type { Clock } from "./clock";
import type { AppPubSub } from "./pubsub";

/** What every service is built from; one set per running server. */
export interface Deps {
  config: Config;
  dataSource: DataSource;
  queue: WriteQueue;
  pubSub: AppPubSub;
  clock: Clock;
  /** For what fails outside any request (jobs, the Redis connections). */
  logger: Logger;
}
