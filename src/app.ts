import { systemClock, type Clock } from "./common/clock";
import { createLogger, type Logger } from "./common/logger";
import { Cursors } from "./common/pagination";
import { createBroker, publishAll, Topic, type Broker, type Signal } from "./common/pubsub";
import type { DataSource } from "typeorm";
import type { Config } from "./config";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { LocalVersions, type VersionStore } from "./db/changes";
import { RedisVersions } from "./db/redis-versions";
import { openDatabase, openReads, QueryCounter } from "./db/data-source";
import { Writer } from "./db/writer";
import type { Deps } from "./deps";
import { entities } from "./entities";
import { createServices, type Services } from "./services";
import { Outbox } from "./mail/outbox";
import { createMailTransport } from "./mail/transport";

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
  const versions = versionStore(config, dataSource, logger);
  // Signals go out only after their transaction committed.
  // After each commit: its signals, and (once the services exist) the notification mailer.
  let committed: (signals: Signal[]) => void = () => {};
  const writer = new Writer(
    dataSource,
    (signals) => {
      publishAll(broker.pubsub, signals);
      committed(signals);
    },
    versions,
  );
  const mail = new Outbox(
    { config, writer, reads, clock, logger },
    createMailTransport(config, logger),
  );
  const deps: Deps = {
    config,
    dataSource,
    reads,
    writer,
    pubsub: broker.pubsub,
    cursors: new Cursors(config.jwtSecret),
    clock,
    logger,
    mail,
  };
  const services = createServices(deps);
  // A stored notification may be mailed: the mailer looks after the commit, never inside it.
  committed = (signals) => {
    const mailNow = signals.some(
      (s) => s.topic === Topic.NotificationAdded && (s.payload as { mail?: true }).mail,
    );
    if (mailNow) services.notificationMail.kick();
  };
  return {
    deps,
    services,
    broker,
    counter,
    async close() {
      await services.notificationMail.stop();
      await mail.stop();
      await broker.close();
      await versions?.close?.();
      if (reads !== dataSource) await reads.destroy();
      await dataSource.destroy();
    },
  };
}

/**
 * Where the response cache's versions live: in this process on SQLite (other processes on the
 * file are seen through data_version), in Redis on PostgreSQL; none (no cache) on PostgreSQL
 * without Redis, where another instance's writes could not be seen.
 */
function versionStore(config: Config, dataSource: DataSource, logger: Logger): VersionStore | null {
  if (dataSource.options.type === "better-sqlite3") return LocalVersions.forSqlite(dataSource);
  if (config.redisUrl) return new RedisVersions(config.redisUrl, deploymentId(config), logger);
  return null;
}

/**
 * A name for the data this server serves: instances on the same database share rate-limit
 * counters and cache versions in Redis, while separate deployments (or test servers) on one
 * Redis do not.
 */
export function deploymentId(config: Pick<Config, "databaseUrl" | "sqlitePath">): string {
  const data = config.databaseUrl ?? resolve(config.sqlitePath);
  return createHash("sha256").update(data).digest("base64url").slice(0, 16);
}
