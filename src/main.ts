import "reflect-metadata";
import { ConfigError, loadConfig } from "./config";
import { startServer } from "./server";

/** Entry point: read the configuration, start, and stop cleanly on SIGTERM / SIGINT. */
async function main() {
  const config = loadConfig();
  const server = await startServer({ config });
  const shutdown = (signal: string) => {
    console.log(`${signal}: closing connections and the database`);
    server.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
  process.exit(1);
});
