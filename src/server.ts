import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequestListener } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type ErrorRequestHandler } from "express";
import { getOperationAST, GraphQLError, type GraphQLFormattedError } from "graphql";
import type { DataSource } from "typeorm";
import type { WriteQueue } from "./db/write-queue";
import { WebSocket, WebSocketServer } from "ws";
import { createApp } from "./app";
import { bearerToken, verifyTokenClaims } from "./auth/token";
import type { Clock } from "./common/clock";
import { ErrorCode } from "./common/errors";
import { ReleaseAfterWave } from "./common/release-memory";
import type { Config } from "./config";
import { OperationContext, type Context } from "./context";
import type { JobsReport } from "./jobs/jobs.service";
import { createLoaders } from "./loaders";
import { Member } from "./members/member.entity";
import { Observability, type Logger } from "./observability";
import { rootFieldOf } from "./observability/labels";
import { serveGraphiql } from "./explorer/graphiql";
import { landingPagePlugin } from "./explorer/sandbox";
import { buildAppSchema } from "./schema";
import { AuthRateLimits, authAttempts } from "./security/auth-limits";
import { clientIp } from "./security/client-ip";
import { DocumentCache } from "./security/documents";
import { allRules, costError, limitRules, parseOptions } from "./security/query-limits";
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from "./security/rate-limiter";
import { atExpiry, CloseCode, MemberSockets, tooManyOperations } from "./security/ws-limits";
import {
  badRequestBody,
  BODY_NOT_JSON,
  INTERNAL_ERROR_BODY,
  requestHasUnstorable,
  subscriptionOverHttpError,
  unstorableError,
  verifyUtf8,
} from "./security/request-body";
import { serveClient } from "./web/client";
import { graphqlFastPath } from "./web/fast-graphql";
import { OriginPolicy } from "./web/origins";
import { ResponseCache } from "./web/response-cache";

/**
 * The HTTP request behind a context, for the client's address. A symbol key: Apollo hands
 * plugins a copy of the context (Object.assign), which keeps it.
 */
const HTTP_REQUEST = Symbol("httpRequest");
type HttpContext = Context & { [HTTP_REQUEST]?: IncomingMessage };

/** A running server: one HTTP server for GraphQL over HTTP, graphql-ws and /healthz. */
export interface RunningServer {
  port: number;
  /** `http://127.0.0.1:PORT/graphql` */
  url: string;
  /** `ws://127.0.0.1:PORT/graphql` */
  wsUrl: string;
  dataSource: DataSource;
  /** The write queue every mutation goes through (tests hold a transaction open with it). */
  queue: WriteQueue;
  /** SQL statements run so far (tests diff it around a request to catch N+1 queries). */
  queryCount(): number;
  /** Requests the GraphQL fast path answered so far (tests check which path served one). */
  fastPathCount(): number;
  /** Queries the response cache answered (hit), computed (miss) or was told to skip (bypass). */
  responseCacheCounts(): { hit: number; miss: number; bypass: number };
  /**
   * Emits "subscribed" `{ memberId, field, document }` once a subscription listens on the
   * server (`document`: the parsed document it runs, shared by subscriptions of the same text),
   * and "disconnected" `{ memberId, code }` once a member's socket has closed and its slot in
   * the per-member connection limit is free again.
   */
  events: EventEmitter;
  /** Runs the reminder and expiry jobs once now (tests move a ManualClock, then call this). */
  runJobs(): Promise<JobsReport>;
  /** Closes WebSockets, drains HTTP, closes the database. */
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
 * Opens and migrates the database, builds the schema once, and listens on `config.port`
 * (0 picks a free port). Express + Apollo serve POST /graphql; graphql-ws shares the same
 * HTTP server and path for subscriptions.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const obs = new Observability(config, opts.logger);
  const log = opts.log ?? ((m: string) => obs.logger.info(m));
  const app = await createApp(config, opts.clock, obs.logger);
  obs.watch(app);
  const { deps, services, counter } = app;
  const dataSource = deps.dataSource;
  const schema = await buildAppSchema(deps.pubSub);
  const events = new EventEmitter();

  /** The member a token names, if the token is valid and the member still exists. */
  // Members are never deleted, so once a token's member was found it stays found: remember
  // it and save a query on every request (bounded, in case of a flood of valid tokens).
  const knownMembers = new Set<string>();
  const memberFromToken = async (
    token: string,
  ): Promise<{ id: string; expiresAt: number | null } | null> => {
    const claims = verifyTokenClaims(token, config.jwtSecret);
    if (!claims) return null;
    const id = claims.memberId;
    if (!knownMembers.has(id)) {
      if (!(await deps.reads.getRepository(Member).existsBy({ id }))) return null;
      if (knownMembers.size >= 100_000) knownMembers.clear();
      knownMembers.add(id);
    }
    return { id, expiresAt: claims.expiresAt };
  };

  // Query limits (see security/query-limits.ts): the same parse options and rules over HTTP
  // and WebSocket; the cost, which needs the variables, per operation.
  const rules = allRules(config, config.introspection);
  const documents = new DocumentCache(schema, rules, parseOptions(config));
  // logIn / signUp limits. With Redis, the instances that share a database share the counters.
  const limiter: RateLimiter = config.redisUrl
    ? new RedisRateLimiter(config.redisUrl, deploymentId(config), deps.clock)
    : new MemoryRateLimiter(deps.clock);
  await limiter.ready();
  const authLimits = new AuthRateLimits(limiter, config);
  const ipOf = (req: IncomingMessage) =>
    clientIp(req.socket.remoteAddress, req.headers["x-forwarded-for"], config.trustProxy);
  const memberSockets = new MemberSockets(config.wsMaxConnectionsPerMember);
  // A wave of 1,000 closed sockets, then 2 s without a close: one full GC (common/release-memory).
  const releaseMemory = new ReleaseAfterWave(1000, 2000, undefined, ({ closed, ms }) =>
    obs.logger.info({ closed, ms: Math.round(ms) }, "memory released after sockets closed"),
  );
  const contextFor = (viewerId: string | null, cache: boolean): Context =>
    new OperationContext(viewerId, services, deps, (id) => createLoaders(deps.reads, id, cache));

  const web = express();
  // No ETag on GraphQL answers (a POST is not cached; the hash cost CPU on every request) and
  // no X-Powered-By (it only tells a scanner what runs here).
  web.set("etag", false);
  web.disable("x-powered-by");
  obs.mount(web);
  // POST /graphql from servers and tools skips Express (web/fast-graphql.ts); set once Apollo
  // has started.
  let fastPath: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null;
  let fastServed = 0;
  const httpServer = createServer((req, res) => {
    if (fastPath?.(req, res)) fastServed++;
    else web(req, res);
  });
  // CORS_ORIGINS: the same browser origins on HTTP and on the WebSocket upgrade.
  const origins = new OriginPolicy(config.corsOrigins);
  // ws closes a socket whose message is over maxPayload with 1009 (Message Too Big).
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: "/graphql",
    maxPayload: config.wsMaxMessageBytes,
    verifyClient: origins.webSocket(),
  });
  const wsCleanup = obs.useServer<
    Record<string, unknown>,
    { viewerId?: string; holdsSlot?: boolean; cancelExpiry?: () => void; ip?: string }
  >(
    {
      schema,
      // graphql-ws closes a socket that sends no connection_init in time with 4408.
      connectionInitWaitTimeout: config.wsConnectionInitTimeoutMs,
      // Every subscription needs a member: a missing or bad token closes the socket (4403).
      onConnect: async (ctx) => {
        // Apollo Sandbox forwards its headers as typed, so accept either spelling.
        const params = ctx.connectionParams ?? {};
        const token = bearerToken(params.authorization ?? params.Authorization);
        const member = token ? await memberFromToken(token) : null;
        if (!member) return false;
        const { socket } = ctx.extra;
        // Closed while the token was checked: onClose has run already, so take no slot.
        if (socket.readyState !== WebSocket.OPEN) return false;
        if (!memberSockets.acquire(member.id)) {
          // Closed before graphql-ws's own 4403 for `false`, so the client sees this code.
          socket.close(CloseCode.TooManyConnections, "Too many connections for this member");
          return false;
        }
        ctx.extra.holdsSlot = true;
        ctx.extra.viewerId = member.id;
        // The upgrade request (headers, raw headers, socket references: a few KB) would live
        // as long as the socket, for the one thing read from it later: the client's address.
        ctx.extra.ip = ipOf(ctx.extra.request);
        Reflect.deleteProperty(ctx.extra, "request");
        // The socket lives no longer than its token: 4403 when it expires, as for a bad one.
        if (member.expiresAt !== null) {
          ctx.extra.cancelExpiry = atExpiry(member.expiresAt, () =>
            socket.close(CloseCode.Forbidden, "Token expired"),
          );
        }
        return true;
      },
      onClose: (ctx, code) => {
        releaseMemory.socketClosed();
        ctx.extra.cancelExpiry?.();
        if (ctx.extra.holdsSlot && ctx.extra.viewerId) {
          memberSockets.release(ctx.extra.viewerId);
          ctx.extra.holdsSlot = false;
          events.emit("disconnected", { memberId: ctx.extra.viewerId, code });
        }
      },
      context: (ctx) => contextFor(ctx.extra.viewerId ?? null, false),
      // graphql-ws runs none of Apollo's plugins: every check of the HTTP path happens here,
      // and the execution arguments returned are used as they are.
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already registered this operation: the count includes it.
        const max = config.wsMaxSubscriptionsPerConnection;
        if (Object.keys(ctx.subscriptions).length > max) return [tooManyOperations(max)];
        if (requestHasUnstorable(payload)) return [unstorableError()];
        const prepared = documents.prepare(payload.query);
        if ("errors" in prepared) return prepared.errors;
        const { document } = prepared;
        const { operationName, variables } = payload;
        const tooCostly = costError(schema, document, variables, operationName, config);
        if (tooCostly) return [tooCostly];
        const operation = getOperationAST(document, operationName);
        const attempts = authAttempts(schema, document, operation, variables);
        if (attempts.length > 0) {
          const refused = await authLimits.check(ctx.extra.ip ?? "unknown", attempts);
          if (refused) return [refused];
        }
        return { schema, document, operationName, variableValues: variables };
      },
      // Apollo's formatError does not run for graphql-ws: the same masking and codes here.
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return;
        return { ...result, errors: result.errors.map((e) => formatWsError(e)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatWsError(e)),
      onOperation: (ctx, _id, _payload, args) => {
        const field = rootFieldOf(getOperationAST(args.document, args.operationName));
        // graphql-ws starts iterating right after this hook; tell listeners on the next turn.
        const { document } = args;
        setImmediate(() =>
          events.emit("subscribed", { memberId: ctx.extra.viewerId, field, document }),
        );
      },
    },
    wsServer,
  );

  const formatWsError = (error: GraphQLError): GraphQLError => {
    const formatted = withoutHttp(error.toJSON());
    if (formatted.extensions?.code === undefined && !error.path) {
      // graphql-ws reports parse and validation failures without a code; give them Apollo's.
      const code = error.message.startsWith("Syntax Error")
        ? "GRAPHQL_PARSE_FAILED"
        : "GRAPHQL_VALIDATION_FAILED";
      return { ...formatted, extensions: { ...formatted.extensions, code } } as never;
    }
    return maskError(formatted, error, config.production) as unknown as GraphQLError;
  };

  // Cost and logIn / signUp limits, once the operation is known and before it runs.
  const limitsListener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ request, document, contextValue, operation }) {
      if (operation?.operation === "subscription") throw subscriptionOverHttpError();
      const { operationName, variables } = request;
      const tooCostly = costError(schema, document, variables, operationName, config);
      if (tooCostly) throw tooCostly;
      const attempts = authAttempts(schema, document, operation, variables);
      if (attempts.length > 0) {
        const req = (contextValue as HttpContext)[HTTP_REQUEST];
        const refused = await authLimits.check(req ? ipOf(req) : "unknown", attempts);
        if (refused) throw refused;
      }
    },
  };
  const requestLimits: ApolloServerPlugin<Context> = {
    requestDidStart: async () => limitsListener,
  };

  // Repeated queries answered from memory until a write changes what they read (SQLite only).
  const responseCache =
    config.responseCacheBytes > 0 && !config.databaseUrl
      ? new ResponseCache(deps.queue.versions, config.responseCacheBytes)
      : null;
  if (responseCache) obs.metrics.responseCacheCounts = () => responseCache.counts;

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: !config.production,
    formatError: (formatted, error) => maskError(formatted, error, config.production),
    // Both are Apollo 5's defaults; stated because the limits above count per operation.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    parseOptions: parseOptions(config),
    validationRules: limitRules(config),
    plugins: [
      requestLimits,
      obs.apolloPlugin((context) => (context as HttpContext)[HTTP_REQUEST]),
      landingPagePlugin(config),
      ...(responseCache ? [responseCache.plugin()] : []),
      // Apollo installs cache control by default: a willResolveField hook wrapping every
      // field of every response. Nothing here sets cache hints, so it is pure overhead.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  /** The context of an HTTP request: its viewer (401 for a bad token) and the request. */
  const httpContext = async (req: IncomingMessage): Promise<Context> => {
    const header = req.headers.authorization;
    let viewerId: string | null = null;
    if (header) {
      const token = bearerToken(header);
      viewerId = (token ? await memberFromToken(token) : null)?.id ?? null;
      if (!viewerId) {
        throw new GraphQLError("The token is invalid or expired.", {
          extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
        });
      }
    }
    const context: HttpContext = contextFor(viewerId, true);
    context[HTTP_REQUEST] = req;
    return context;
  };

  let stopping: Promise<void> | null = null;
  web.get("/healthz", async (_req, res) => {
    if (stopping) {
      // Tell the load balancer first, while in-flight work drains.
      res.status(503).json({ status: "stopping" });
      return;
    }
    const database = await Promise.all([
      dataSource.query("SELECT 1"),
      deps.reads.query("SELECT 1"),
    ]).then(
      () => true,
      () => false,
    );
    const pubsub = await app.pubsub.health();
    const ok = database && pubsub.ok;
    res.status(ok ? 200 : 503).json({
      status: ok ? "ok" : "unavailable",
      database: database ? "ok" : "unreachable",
      engine: dataSource.options.type === "postgres" ? "postgres" : "sqlite",
      pubsub: pubsub.kind,
      ...(pubsub.kind === "redis" ? { redis: pubsub.ok ? "ok" : "unreachable" } : {}),
    });
  });
  web.use(
    "/graphql",
    origins.http(),
    express.json({ limit: config.bodyLimit, verify: verifyUtf8 }),
    (req, res, next) => {
      if (requestHasUnstorable(req.body)) {
        res.status(400).json({ errors: [unstorableError().toJSON()] });
      } else next();
    },
    expressMiddleware(apollo, { context: ({ req }) => httpContext(req) }),
  );
  fastPath = graphqlFastPath({
    apollo,
    bodyLimit: config.bodyLimit,
    context: httpContext,
    track: obs.track,
    onError: (error) => obs.logger.error({ err: error }, "GraphQL fast path failed"),
  });
  web.use("/graphql", bodyErrors(config.bodyLimit, obs.logger));
  // The example browser client (web/), built by `npm run build`.
  web.use("/app", serveClient(config.appDir));
  // GraphiQL from the project's own bundle: an explorer that works offline.
  if (!config.production) web.use("/graphiql", serveGraphiql(config.graphiqlDir));

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const localHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  log(`Invitations API ready: Apollo Sandbox at http://${shownHost}:${port}/graphql`);
  log(`Subscriptions (graphql-ws) at ws://${shownHost}:${port}/graphql`);

  services.jobs.start(config.jobsIntervalMs);

  return {
    port,
    url: `http://${localHost}:${port}/graphql`,
    wsUrl: `ws://${localHost}:${port}/graphql`,
    dataSource,
    queue: deps.queue,
    events,
    queryCount: () => counter.count,
    fastPathCount: () => fastServed,
    responseCacheCounts: () => ({ ...(responseCache?.counts ?? { hit: 0, miss: 0, bypass: 0 }) }),
    runJobs: () => services.jobs.runOnce(),
    stop() {
      stopping ??= (async () => {
        // 1001 Going Away: clients reconnect (elsewhere) and resume with notificationAdded(after:).
        for (const client of wsServer.clients) client.close(1001, "Server shutting down");
        await services.jobs.stop();
        releaseMemory.stop();
        await apollo.stop();
        await limiter.close();
        await app.close();
      })();
      return stopping;
    },
  };
}

/**
 * A JSON answer for requests the body parser refuses, instead of Express's HTML page (which
 * shows a stack trace outside production): 413 for a body over `bodyLimit`, 400 for JSON that
 * does not parse, 415 for an unsupported encoding or charset.
 */
function bodyErrors(bodyLimit: string, logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const status = Number((err as { status?: unknown }).status);
    if (!(status >= 400 && status < 500)) {
      logger.error({ err }, "request failed");
      res.status(500).json(INTERNAL_ERROR_BODY);
      return;
    }
    const type = (err as { type?: string }).type;
    const message =
      status === 413
        ? `The request body is larger than ${bodyLimit}.`
        : type === "entity.parse.failed"
          ? BODY_NOT_JSON
          : (err as { expose?: boolean }).expose
            ? String((err as Error).message)
            : "Bad request.";
    res.status(status).json(badRequestBody(message));
  };
}

/** A formatted error without Apollo's `http` extension (status and headers are HTTP-only). */
function withoutHttp(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !("http" in formatted.extensions)) return formatted;
  const { http: _http, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}

/**
 * A name for the data this server serves: instances on the same database share rate-limit
 * counters in Redis, while separate deployments (or test servers) on one Redis do not.
 */
function deploymentId(config: Config): string {
  const data = config.databaseUrl ?? resolve(config.sqlitePath);
  return createHash("sha256").update(data).digest("base64url").slice(0, 16);
}

/**
 * In production, anything that is not one of our own coded errors (or Apollo's request errors)
 * is masked: no SQL, no stack, no internals.
 */
function maskError(
  formatted: GraphQLFormattedError,
  _error: unknown,
  production: boolean,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR) {
    const masked = {
      message: "Internal server error",
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
    return production
      ? masked
      : {
          ...formatted,
          extensions: { ...formatted.extensions, code: ErrorCode.INTERNAL_SERVER_ERROR },
        };
  }
  return formatted;
}
