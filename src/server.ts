import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, deploymentId, type App } from "./app";
import { AuthRateLimits } from "./auth/auth-limits";
import { Authenticator } from "./auth/authenticate";
import type { Clock } from "./common/clock";
import type { Logger } from "./common/logger";
import type { Config } from "./config";
import { OperationContext } from "./context";
import { healthCheck } from "./health";
import { DIRECTORY_FIELDS } from "./members/directory";
import { Observability } from "./observability";
import { buildAppSchema } from "./schema";
import { clientIp } from "./security/client-ip";
import { createRateLimiter } from "./security/rate-limiter";
import { attachHttp } from "./transport/http";
import { OriginPolicy } from "./transport/origins";
import { OperationPipeline } from "./transport/pipeline";
import { attachSse, STREAM_PATH } from "./transport/sse";
import { attachWebSocket } from "./transport/ws";
import { MemberSockets } from "./transport/ws-limits";
import { unsubscribeHandler } from "./notifications/unsubscribe";

/** How often the outbox retries failed mail and picks up what a crashed instance left. */
const MAIL_RETRY_INTERVAL_MS = 30_000;

/** A running server: one HTTP server for GraphQL over HTTP, graphql-ws, graphql-sse and /healthz. */
export interface RunningServer {
  port: number;
  /** `http://127.0.0.1:PORT/graphql` */
  url: string;
  /** `ws://127.0.0.1:PORT/graphql` */
  wsUrl: string;
  /** `http://127.0.0.1:PORT/graphql/stream`: subscriptions over Server-Sent Events */
  streamUrl: string;
  httpServer: Server;
  /** Database, services and pubsub. */
  app: App;
  /** Logs and metrics. */
  observability: Observability;
  /** Closes WebSockets and event streams, drains HTTP, closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  clock?: Clock;
  /** The start-up lines; default: info lines of `logger`. */
  log?: (message: string) => void;
  /** Where the JSON logs go; default: stdout at `config.logLevel`. */
  logger?: Logger;
}

/**
 * The composition root: opens the app (database, pubsub, services), builds the schema and the
 * operation pipeline once, attaches the HTTP, WebSocket and SSE transports to one HTTP server, and
 * listens on `config.port` (0 picks a free port).
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const observability = new Observability(config, opts.logger);
  const app = await createApp(config, opts.clock, observability.logger);
  // What is open so far, closed in reverse if the start fails half way (a busy port).
  const opened: (() => Promise<void>)[] = [() => app.close()];
  try {
    observability.watch(app);
    const schema = await buildAppSchema(app.deps.pubsub);
    // With Redis, the instances that share a database share the logIn / signUp counters.
    const limiter = await createRateLimiter(config, deploymentId(config));
    opened.push(() => limiter.close());
    const pipeline = new OperationPipeline(schema, config, new AuthRateLimits(limiter, config));
    const authenticator = new Authenticator(app.deps);
    const origins = new OriginPolicy(config.corsOrigins);
    const clientIpOf = (req: Parameters<typeof clientIp>[0]) => clientIp(req, config.trustProxy);
    let stopping: Promise<void> | null = null;

    const httpServer = createServer();
    const transport = { httpServer, config, schema, pipeline, authenticator, observability };
    const contextFor = (viewerId: string, ip: string) =>
      new OperationContext(viewerId, app.services, app.deps, ip, false);
    // One count of open connections per member over both subscription transports: a member
    // cannot double their allowance by using WebSockets and event streams.
    const memberSockets = new MemberSockets(config.wsMaxConnectionsPerMember);
    const ws = attachWebSocket({ ...transport, clientIpOf, origins, contextFor, memberSockets });
    opened.push(() => ws.dispose());
    const sse = attachSse({ ...transport, clientIpOf, origins, contextFor, memberSockets });
    opened.push(() => sse.dispose());
    const apollo = await attachHttp({
      ...transport,
      app,
      origins,
      clientIpOf,
      health: healthCheck(app, () => stopping !== null),
      unsubscribe: unsubscribeHandler(app.services.notificationMail),
      directoryFields: DIRECTORY_FIELDS,
      // /graphql/stream is under Express's /graphql prefix: taken before GraphQL over HTTP.
      before: [sse.handle],
      plugins: [
        {
          serverWillStart: async () => ({
            drainServer: async () => {
              await Promise.all([ws.dispose(), sse.dispose()]);
            },
          }),
        },
      ],
    });
    opened.push(() => apollo.stop());
    const port = await listen(httpServer, config);
    announce(opts.log ?? ((m: string) => observability.logger.info(m)), config, port);
    if (config.emailVerification) {
      (opts.log ?? ((m: string) => observability.logger.info(m)))(
        `Sign-up verifies email addresses; mail goes to ${app.deps.mail.describe}`,
      );
    }
    app.services.jobs.start(config.jobsIntervalMs);
    app.deps.mail.start(MAIL_RETRY_INTERVAL_MS);
    app.services.notificationMail.start(MAIL_RETRY_INTERVAL_MS);

    const host = ["0.0.0.0", "::"].includes(config.host) ? "127.0.0.1" : config.host;
    return {
      port,
      url: `http://${host}:${port}/graphql`,
      wsUrl: `ws://${host}:${port}/graphql`,
      streamUrl: `http://${host}:${port}${STREAM_PATH}`,
      httpServer,
      app,
      observability,
      stop() {
        stopping ??= (async () => {
          // 1001 Going Away: clients reconnect elsewhere and resume with notificationAdded(after:).
          ws.closeAll(1001, "Server shutting down");
          // Streams end without `complete`: graphql-sse clients take it for a dropped
          // connection, reconnect and resume the same way.
          // New ones are refused from now on (503 SERVER_STOPPING): reconnect elsewhere.
          await sse.dispose();
          await app.services.jobs.stop();
          await apollo.stop();
          await limiter.close();
          await app.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

/** The start-up lines: where the API, its subscriptions and (outside production) its explorers are. */
function announce(log: (message: string) => void, config: Config, port: number): void {
  const host = ["0.0.0.0", "::"].includes(config.host) ? "localhost" : config.host;
  const base = `${host}:${port}`;
  log(
    `Invitations API ready at http://${base}/graphql (subscriptions: ws://${base}/graphql, ` +
      `or over SSE at http://${base}${STREAM_PATH})`,
  );
  if (!config.production) {
    log(`Explorers: Apollo Sandbox at http://${base}/graphql, GraphiQL at http://${base}/graphiql`);
  }
}

/** Listens on `config.port` and `config.host`; resolves with the port bound. */
function listen(httpServer: Server, config: Config): Promise<number> {
  return new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => {
      httpServer.off("error", reject);
      resolve((httpServer.address() as AddressInfo).port);
    });
  });
}
