import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApolloServerPlugin } from "@apollo/server";
import type { Express } from "express";
import type { Broker } from "../common/pubsub";
import type { Config } from "../config";
import type { QueryCounter } from "../db/data-source";
import { observabilityPlugin, type ObservedContext } from "./apollo";
import { metricsHandler, RequestLog, routeOf } from "./http";
import { traceRequest, tracingOn } from "../common/tracing";
import { createLogger, type Logger } from "../common/logger";
import { Metrics } from "./metrics";
import { WsObserver } from "./ws";

export { createLogger, type Logger } from "../common/logger";

/** Logs and metrics for one running server (docs/operations.md). */
export class Observability {
  readonly logger: Logger;
  readonly metrics = new Metrics();
  private readonly requests = new RequestLog();
  /** graphql-ws's `useServer`, with connections and operations logged and counted. */
  readonly ws: WsObserver;
  /** Request id, access log and metrics for a request served without Express. */
  readonly track: (req: IncomingMessage, res: ServerResponse, path: string) => void;

  /** `logger` defaults to JSON lines on stdout at `config.logLevel`. */
  constructor(
    private readonly config: Config,
    logger?: Logger,
  ) {
    this.logger = logger ?? createLogger(config.logLevel);
    this.ws = new WsObserver(this.logger, this.metrics);
    this.track = this.requests.tracker(this.logger, this.metrics);
  }

  /**
   * Mount first on the Express app: the request id and access log for every request, and
   * GET /metrics. /metrics needs METRICS_TOKEN when one is set; without one it is open
   * outside production and absent (404) in production, where operation counts that move
   * in real time would tell a watcher what other members just did.
   */
  mount(web: Express): void {
    web.use(this.requests.middleware(this.logger, this.metrics));
    if (this.config.metricsToken || !this.config.production) {
      web.get("/metrics", metricsHandler(this.metrics, this.config.metricsToken));
    }
  }

  /** The Apollo plugin; `requestOf` finds the HTTP request behind an operation's context. */
  apolloPlugin<C extends ObservedContext>(
    requestOf: (context: C) => IncomingMessage | undefined,
  ): ApolloServerPlugin<C> {
    return observabilityPlugin(this.logger, this.metrics, this.requests, requestOf);
  }

  /**
   * Runs `handle` for one HTTP request: the place where the request's trace starts (when
   * tracing is on), so that everything the handler does belongs to it.
   */
  serve(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
    if (!tracingOn()) return handle();
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    traceRequest(req, res, routeOf(query < 0 ? url : url.slice(0, query)), handle);
  }

  /** Times the database's statements and counts the pubsub's publishes. */
  watch(app: { counter: QueryCounter; broker: Broker }): void {
    app.counter.onQuery = (seconds, ok) =>
      this.metrics.queryDuration.observe({ outcome: ok ? "ok" : "error" }, seconds);
    app.broker.onPublish((topic) => this.metrics.eventsPublished.inc({ topic }));
  }
}
