// First: tracing wraps graphql before the server loads it (nothing happens when it is off).
import { tracing } from "./observability/start-tracing";
import "reflect-metadata";
import { ConfigError, loadConfig } from "./config";
import { createLogger, type Logger } from "./observability";
import { startServer } from "./server";

// Until the configuration is read, failures are logged at the default level.
let logger: Logger = createLogger("info");

/** Entry point: read the configuration, start, and stop cleanly on SIGTERM / SIGINT. */
async function main() {
  const config = loadConfig();
  logger = createLogger(config.logLevel);
  const server = await startServer({ config, logger });
  if (tracing) logger.info(`Tracing: spans go to ${tracing.endpoint} over OTLP/HTTP`);
  const shutdown = (signal: string) => {
    logger.info({ signal }, "closing connections and the database");
    server
      .stop()
      // Spans still buffered go out before the process ends.
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (err) => {
          logger.fatal({ err }, "stopping failed");
          process.exit(1);
        },
      );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  if (err instanceof ConfigError) logger.fatal(`Configuration error: ${err.message}`);
  else if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
    const { port } = err as { port?: number };
    logger.fatal(
      `Port ${port} is in use: stop what listens there, or choose another with PORT (PORT=0 picks a free one).`,
    );
  } else logger.fatal({ err }, "start-up failed");
  process.exit(1);
});
