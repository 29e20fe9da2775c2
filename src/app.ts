import { systemClock, type Clock } from "./common/clock";
import { createLogger, type Logger } from "./common/logger";
import { Cursors } from "./common/pagination";
import { createBroker, publishAll, type Broker } from "./common/pubsub";
import type { Config } from "./config";
import { DataVersions } from "./db/changes";
import { openDatabase, openReads, QueryCounter } from "./db/data-source";
import { Writer } from "./db/writer";
import type { Deps } from "./deps";
import { entities } from "./entities";
import { createServices, type Services } from "./services";

/** Everything but the transports: database, pubsub, services. The server and scripts share it. */
export interface App {
  deps: Deps;
  services: Services;
  /** The pubsub's connection (in-process or Redis): health and shutdown. */
  broker: Broker;
  /** Every SQL statement run, counted and timed. */
  counter: QueryCounter;
  close(): Promise<void>;
}

/** Opens (and migrates) the database, connects the pubsub, and builds the services. */
export async function createApp(
  config: Config,
  clock: Clock = systemClock,
  logger: Logger = createLogger(config.logLevel),
): Promise<App> {
  const counter = new QueryCounter();
  const dataSource = await openDatabase({ ...config, entities }, counter);
  const reads = await openReads(dataSource, counter);
  const broker = createBroker(config.redisUrl, logger);
  const deps: Deps = {
    config,
    dataSource,
    reads,
    // Signals go out only after their transaction committed.
    writer: new Writer(
      dataSource,
      (signals) => publishAll(broker.pubsub, signals),
      DataVersions.forDataSource(dataSource),
    ),
    pubsub: broker.pubsub,
    cursors: new Cursors(config.jwtSecret),
    clock,
    logger,
  };
  return {
    deps,
    services: createServices(deps),
    broker,
    counter,
    async close() {
      await broker.close();
      if (reads !== dataSource) await reads.destroy();
      await dataSource.destroy();
    },
  };
}
