import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import cors from "cors";
import express from "express";
import {
  GraphQLError,
  Kind,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { DataSource } from "typeorm";
import { WebSocketServer } from "ws";
import { createApp } from "./app";
import { bearerToken, verifyToken } from "./auth/token";
import type { Clock } from "./common/clock";
import { ErrorCode } from "./common/errors";
import type { Config } from "./config";
import type { Context } from "./context";
import type { JobsReport } from "./jobs/jobs.service";
import { createLoaders, type Loaders } from "./loaders";
import { Member } from "./members/member.entity";
import { buildAppSchema } from "./schema";

/** A running server: one HTTP server for GraphQL over HTTP, graphql-ws and /healthz. */
export interface RunningServer {
  port: number;
  /** `http://127.0.0.1:PORT/graphql` */
  url: string;
  /** `ws://127.0.0.1:PORT/graphql` */
  wsUrl: string;
  dataSource: DataSource;
  /** SQL statements run so far (tests diff it around a request to catch N+1 queries). */
  queryCount(): number;
  /** Emits "subscribed" `{ memberId, field }` once a subscription listens on the server. */
  events: EventEmitter;
  /** Runs the reminder and expiry jobs once now (tests move a ManualClock, then call this). */
  runJobs(): Promise<JobsReport>;
  /** Closes WebSockets, drains HTTP, closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  clock?: Clock;
  log?: (message: string) => void;
}

/**
 * Opens and migrates the database, builds the schema once, and listens on `config.port`
 * (0 picks a free port). Express + Apollo serve POST /graphql; graphql-ws shares the same
 * HTTP server and path for subscriptions.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const log = opts.log ?? ((m: string) => console.log(m));
  const app = await createApp(config, opts.clock);
  const { deps, services, counter } = app;
  const dataSource = deps.dataSource;
  const schema = await buildAppSchema(deps.pubSub);
  const events = new EventEmitter();

  /** The member a token names, if the token is valid and the member still exists. */
  // Members are never deleted, so once a token's member was found it stays found: remember
  // it and save a query on every request (bounded, in case of a flood of valid tokens).
  const knownMembers = new Set<string>();
  const memberFromToken = async (token: string): Promise<string | null> => {
    const id = verifyToken(token, config.jwtSecret);
    if (!id) return null;
    if (knownMembers.has(id)) return id;
    if (!(await dataSource.getRepository(Member).existsBy({ id }))) return null;
    if (knownMembers.size >= 100_000) knownMembers.clear();
    knownMembers.add(id);
    return id;
  };
  // Loaders are made on first use: many operations (and every idle subscription) need none.
  const contextFor = (viewerId: string | null, cache: boolean): Context => {
    let loaders: Loaders | undefined;
    return {
      viewerId,
      services,
      deps,
      get loaders() {
        return (loaders ??= createLoaders(dataSource, this.viewerId, cache));
      },
      set loaders(value: Loaders) {
        loaders = value;
      },
    };
  };

  const web = express();
  const httpServer = createServer(web);
  const wsServer = new WebSocketServer({ server: httpServer, path: "/graphql" });
  const wsCleanup = useServer<Record<string, unknown>, { viewerId?: string }>(
    {
      schema,
      // Every subscription needs a member: a missing or bad token closes the socket (4403).
      onConnect: async (ctx) => {
        // Apollo Sandbox forwards its headers as typed, so accept either spelling.
        const params = ctx.connectionParams ?? {};
        const token = bearerToken(params.authorization ?? params.Authorization);
        const viewerId = token ? await memberFromToken(token) : null;
        if (!viewerId) return false;
        ctx.extra.viewerId = viewerId;
        return true;
      },
      context: (ctx) => contextFor(ctx.extra.viewerId ?? null, false),
      onSubscribe: (_ctx, _id, payload) => {
        if (requestHasNul(payload)) return [nulError()];
      },
      // Apollo's formatError does not run for graphql-ws: the same masking and codes here.
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return;
        return { ...result, errors: result.errors.map((e) => formatWsError(e)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatWsError(e)),
      onOperation: (ctx, _id, _payload, args) => {
        const field = rootField(args.document, args.operationName);
        // graphql-ws starts iterating right after this hook; tell listeners on the next turn.
        setImmediate(() => events.emit("subscribed", { memberId: ctx.extra.viewerId, field }));
      },
    },
    wsServer,
  );

  const formatWsError = (error: GraphQLError): GraphQLError => {
    const formatted = error.toJSON();
    if (formatted.extensions?.code === undefined && !error.path) {
      // graphql-ws reports parse and validation failures without a code; give them Apollo's.
      const code = error.message.startsWith("Syntax Error")
        ? "GRAPHQL_PARSE_FAILED"
        : "GRAPHQL_VALIDATION_FAILED";
      return { ...formatted, extensions: { ...formatted.extensions, code } } as never;
    }
    return maskError(formatted, error, config.production) as unknown as GraphQLError;
  };

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: (formatted, error) => maskError(formatted, error, config.production),
    plugins: [
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

  let stopping: Promise<void> | null = null;
  web.get("/healthz", async (_req, res) => {
    if (stopping) {
      // Tell the load balancer first, while in-flight work drains.
      res.status(503).json({ status: "stopping" });
      return;
    }
    const database = await dataSource.query("SELECT 1").then(
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
    cors(),
    express.json({ limit: config.bodyLimit }),
    (req, res, next) => {
      // PostgreSQL cannot store U+0000 and would answer with a 500; refuse it up front.
      if (requestHasNul(req.body)) res.status(400).json({ errors: [nulError().toJSON()] });
      else next();
    },
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const header = req.headers.authorization;
        if (!header) return contextFor(null, true);
        const token = bearerToken(header);
        const viewerId = token ? await memberFromToken(token) : null;
        if (!viewerId) {
          throw new GraphQLError("The token is invalid or expired.", {
            extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
          });
        }
        return contextFor(viewerId, true);
      },
    }),
  );

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
    events,
    queryCount: () => counter.count,
    runJobs: () => services.jobs.runOnce(),
    stop() {
      stopping ??= (async () => {
        // 1001 Going Away: clients reconnect (elsewhere) and resume with notificationAdded(after:).
        for (const client of wsServer.clients) client.close(1001, "Server shutting down");
        await services.jobs.stop();
        await apollo.stop();
        await app.close();
      })();
      return stopping;
    },
  };
}

/** The root field of the operation a subscription runs (for the "subscribed" event). */
function rootField(document: { definitions: readonly unknown[] }, operationName?: string | null) {
  const op = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      (d as { kind: string }).kind === Kind.OPERATION_DEFINITION &&
      (!operationName || (d as OperationDefinitionNode).name?.value === operationName),
  );
  const sel = op?.selectionSet.selections[0];
  return sel && sel.kind === Kind.FIELD ? sel.name.value : undefined;
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

// A NUL written as an escape inside the GraphQL text: \u0000 or \u{0}.
const ESCAPED_NUL = /\\u(0000|\{0+\})/i;

/** Whether a request holds U+0000: in any string, or escaped in the GraphQL text itself. */
function requestHasNul(body: unknown): boolean {
  const query = (body as { query?: unknown } | null)?.query;
  return hasNul(body) || (typeof query === "string" && ESCAPED_NUL.test(query));
}

function hasNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === "object") return Object.values(value).some(hasNul);
  return false;
}

function nulError(): GraphQLError {
  return new GraphQLError("Strings must not contain the NUL character (U+0000).", {
    extensions: { code: ErrorCode.BAD_USER_INPUT },
  });
}
