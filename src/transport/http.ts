import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type RequestHandler } from "express";
import type { GraphQLSchema } from "graphql";
import type { App } from "../app";
import type { Authenticator } from "../auth/authenticate";
import type { Config } from "../config";
import { OperationContext, type Context } from "../context";
import { serveClient } from "../explorer/client";
import { serveGraphiql } from "../explorer/graphiql";
import { landingPagePlugin } from "../explorer/sandbox";
import type { Observability } from "../observability";
import { graphqlFastPath } from "./fast-path";
import type { OriginPolicy } from "./origins";
import type { OperationPipeline } from "./pipeline";
import { bodyErrors, verifyUtf8 } from "./request-body";
import { ResponseCache } from "./response-cache";

export interface HttpTransportOptions {
  httpServer: Server;
  config: Config;
  schema: GraphQLSchema;
  app: App;
  pipeline: OperationPipeline;
  authenticator: Authenticator;
  observability: Observability;
  origins: OriginPolicy;
  /** The client's address as rate limits count it. */
  clientIpOf(req: IncomingMessage): string;
  /** GET /healthz. */
  health: RequestHandler;
  /** GET and POST /unsubscribe: the one-click unsubscribe of notification mail. */
  unsubscribe: RequestHandler;
  /** Top-level query fields that read the whole directory (the cache keeps them apart). */
  directoryFields: ReadonlySet<string>;
  /**
   * Handlers that may take a request before GraphQL over HTTP sees it (a path under /graphql
   * served by another transport); each returns true if it took the request.
   */
  before?: ((req: IncomingMessage, res: ServerResponse) => boolean)[];
  /** More Apollo plugins (the WebSocket transport's drain). */
  plugins: ApolloServerPlugin<Context>[];
}

/**
 * GraphQL over HTTP on `httpServer`: POST (and GET) /graphql through Apollo, either straight
 * from the HTTP server (the fast path, for servers and tools) or through Express (browsers:
 * CORS, every other body), plus /healthz, /metrics, the example client at /app and, outside
 * production, Apollo Sandbox on GET /graphql and GraphiQL at /graphiql.
 * Returns Apollo, whose `stop` drains the server.
 */
export async function attachHttp(opts: HttpTransportOptions): Promise<ApolloServer<Context>> {
  const { config, app, pipeline, observability } = opts;
  const { plugin: checks, ...apolloOptions } = pipeline.apolloOptions();
  // Repeated queries answered from memory until a write changes what they read; none
  // without a version store (PostgreSQL without Redis).
  const versions = app.deps.writer.versions;
  const cache =
    config.responseCacheBytes > 0 && versions
      ? new ResponseCache(versions, config.responseCacheBytes, opts.directoryFields)
      : null;
  if (cache) observability.metrics.sources.responseCache = () => cache.counts;
  const apollo = new ApolloServer<Context>({
    schema: opts.schema,
    ...apolloOptions,
    includeStacktraceInErrorResponses: !config.production,
    // Both are Apollo 5's defaults; stated because the limits count per operation.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    plugins: [
      checks,
      observability.apolloPlugin((context) => context.request),
      landingPagePlugin(config),
      ...(cache ? [cache.plugin()] : []),
      // Apollo installs cache control by default: a willResolveField hook wrapping every
      // field of every response. Nothing here sets cache hints, so it is pure overhead.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer: opts.httpServer }),
      ...opts.plugins,
    ],
  });
  await apollo.start();

  /** The context of an HTTP request: its viewer (401 for a bad token) and the request. */
  const contextOf = async (req: IncomingMessage): Promise<Context> => {
    const viewerId = await opts.authenticator.viewerOfRequest(req.headers.authorization);
    return new OperationContext(viewerId, app.services, app.deps, opts.clientIpOf(req), true, req);
  };

  const web = express();
  // No ETag on GraphQL answers (a POST is not cached; the hash costs CPU on every request) and
  // no X-Powered-By (it only tells a scanner what runs here).
  web.set("etag", false);
  web.disable("x-powered-by");
  observability.mount(web);
  web.get("/healthz", opts.health);
  web.get("/unsubscribe", opts.unsubscribe);
  web.post("/unsubscribe", opts.unsubscribe);
  web.use(
    "/graphql",
    opts.origins.http(),
    express.json({ limit: config.bodyLimit, verify: verifyUtf8 }),
    expressMiddleware(apollo, { context: ({ req }) => contextOf(req) }),
  );
  web.use("/graphql", bodyErrors(config.bodyLimit, observability.logger));
  web.use("/app", serveClient(config.appDir));
  // GraphiQL from the project's own bundle: an explorer that works offline.
  if (!config.production) web.use("/graphiql", serveGraphiql(config.graphiqlDir));

  const fastPath = graphqlFastPath({
    apollo,
    bodyLimit: config.bodyLimit,
    context: contextOf,
    track: observability.track,
    onError: (error) => observability.logger.error({ err: error }, "GraphQL fast path failed"),
  });
  observability.metrics.sources.fastPath = () => fastPath.served;
  const before = opts.before ?? [];
  opts.httpServer.on("request", (req, res) =>
    observability.serve(req, res, () => {
      if (before.some((take) => take(req, res))) return;
      if (!fastPath.handle(req, res)) web(req, res);
    }),
  );
  return apollo;
}
