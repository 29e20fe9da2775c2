import { systemClock, type Clock } from "./common/clock";
import { setCursorSecret } from "./common/pagination";
import type { Deps } from "./common/deps";
import { createPubSubHandle, publishAll, type PubSubHandle } from "./common/pubsub";
import type { Config } from "./config";
import { openDatabase, openReads, QueryCounter } from "./db/data-source";
import { DataVersions } from "./db/changes";
import { WriteQueue } from "./db/write-queue";
import { createLogger, type Logger } from "./observability/logger";
import { createServices, type Services } from "./services";

/** Everything but the transport: database, pubsub, services. The server and scripts share it. */
export interface App {
  deps: Deps;
  services: Services;
  pubsub: PubSubHandle;
  counter: QueryCounter;
  close(): Promise<void>;
}

/** Opens (and migrates) the database, connects the pubsub, and builds the services. */
export async function createApp(
  config: Config,
  clock: Clock = systemClock,
  logger: Logger = createLogger(config.logLevel),
): Promise<App> {
  setCursorSecret(config.jwtSecret);
  const counter = new QueryCounter();
  const dataSource = await openDatabase(config, counter);
  const reads = await openReads(dataSource, counter);
  const pubsub = createPubSubHandle(config.redisUrl, logger);
  const deps: Deps = {
    config,
    dataSource,
    reads,
    // The outbox rule: events go out only after their transaction committed.
    queue: new WriteQueue(
      dataSource,
      (events) => publishAll(pubsub.pubSub, events),
      DataVersions.forDataSource(dataSource),
    ),
    pubSub: pubsub.pubSub,
    clock,
    logger,
  };
  return {
    deps,
    services: createServices(deps),
    pubsub,
    counter,
    async close() {
      await pubsub.close();
      if (reads !== dataSource) await reads.destroy();
      await dataSource.destroy();
    },
  };
}
