import type { DataSource } from "typeorm";
import type { Config } from "../config";
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
}
