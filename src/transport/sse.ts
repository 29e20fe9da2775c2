import { channel } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import express, {
  type Request as ExpressRequest,
  type RequestHandler,
  type Response as ExpressResponse,
} from "express";
import {
  getOperationAST,
  GraphQLError,
  type ExecutionResult,
  type OperationDefinitionNode,
} from "graphql";
import { createHandler, type OperationResult } from "graphql-sse";
import { TOKEN_REFUSED, type TokenHolder } from "../auth/authenticate";
import { ErrorCode } from "../common/errors";
import { outcomeOf, rootFieldOf, typeOf } from "../observability/labels";
import { badRequestBody, bodyErrors, verifyUtf8 } from "./request-body";
import type { SubscriptionTransportOptions } from "./ws";
import { atExpiry } from "./ws-limits";

/** Where subscriptions are served over Server-Sent Events (graphql-sse). */
export const STREAM_PATH = "/graphql/stream";

/**
 * Diagnostics channels the SSE transport publishes on, with the messages of the WebSocket's
 * (`WS_CHANNELS` in ws.ts); free when nobody subscribes.
 * - `invitations:sse:subscribed` `{ server, memberId, field, document }`: a stream's
 *   subscription listens;
 * - `invitations:sse:closed` `{ server, memberId }`: a member's stream ended and its slot in the
 *   per-member connection limit is free again.
 */
export const SSE_CHANNELS = {
  subscribed: "invitations:sse:subscribed",
  closed: "invitations:sse:closed",
} as const;

export type SseTransportOptions = SubscriptionTransportOptions;

/** The SSE transport: a handler for the HTTP server's `before` list, and its shutdown. */
export interface SseTransport {
  /** Takes a request to `/graphql/stream` (true), or leaves it to the other routes (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Ends every open stream without graphql-sse's `complete`: a client takes it for a dropped
   * connection, opens its stream again (elsewhere) and resumes with `notificationAdded(after:)`.
   */
  closeAll(): void;
  /** Refuses new streams (503) and ends the open ones. */
  dispose(): Promise<void>;
}

/** One open stream: whose it is, and how it ends early. */
interface StreamState {
  /** The request's id in the logs (the access log's, echoed as `x-request-id`). */
  reqId: unknown;
  holder: TokenHolder;
  ip: string;
  /** The request body exactly as sent, for the pipeline. */
  payload: StreamPayload;
  /** Resolves with the last result to send when the token expires or the account goes. */
  revoked: Promise<ExecutionResult>;
  /** When the request came (a `performance.now()`), for the time to start its operation. */
  start: number;
  /** The root field once the subscription listens (its metrics label). */
  field?: string;
  delivered: number;
  /** The subscription's events once it listens: ended with the request, whatever else does. */
  events?: AsyncGenerator<ExecutionResult, undefined>;
}

/** A stream's request body: GraphQL over HTTP's fields, and whatever else the client sent. */
type StreamPayload = {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  extensions?: Record<string, unknown> | null;
} & Record<string, unknown>;

/**
 * GraphQL subscriptions over Server-Sent Events at `/graphql/stream`, for clients whose
 * network refuses WebSocket upgrades: graphql-sse in its distinct connections mode, one POST
 * with `Accept: text/event-stream` per subscription, answered with its event stream. It holds
 * to the WebSocket's rules: a member's Bearer token (401 without one), the same per-member
 * connection limit (429), the token's expiry and the account's deletion end the stream, every
 * operation goes through the operation pipeline and every error through its formatter. The
 * request itself is checked as over HTTP: the same origins, the same body limit and body
 * refusals. Only subscriptions run here; a query or mutation is refused with BAD_REQUEST
 * (it belongs on /graphql, where the response cache and the HTTP limits apply).
 */
export function attachSse(opts: SseTransportOptions): SseTransport {
  const { config, pipeline, observability } = opts;
  const { logger, metrics } = observability;
  const subscribed = channel(SSE_CHANNELS.subscribed);
  const closed = channel(SSE_CHANNELS.closed);
  /** How to end each open stream (its response) at shutdown. */
  const open = new Set<() => void>();
  let stopping = false;

  const graphqlSse = createHandler<IncomingMessage, StreamState>({
    // Authentication is done before (a missing token is a 401 here, not an anonymous
    // stream), and null turns graphql-sse's single connection mode off for good.
    authenticate: () => null,
    // The pipeline has validated the document with every rule (and cached it): graphql-sse
    // would run graphql-js's rules a second time on each stream.
    validate: () => [],
    onSubscribe: async (req) => {
      const stream = req.context;
      const prepared = await pipeline.run(stream.payload, stream.ip, "sse");
      if ("errors" in prepared) return refused(stream, null, prepared.errors);
      const contextValue = opts.contextFor(stream.holder.id, stream.ip);
      return {
        schema: opts.schema,
        document: prepared.document,
        operationName: stream.payload.operationName,
        variableValues: stream.payload.variables,
        // graphql-sse types the context as a plain record; ours is a class.
        contextValue: contextValue as unknown as undefined,
      };
    },
    onOperation: (_ctx, req, args, result) => {
      // graphql-js answers a subscription that could not start with a result, not a stream.
      if (!isAsyncIterable(result)) return;
      const stream = req.context;
      const field = rootFieldOf(getOperationAST(args.document, args.operationName));
      stream.field = field;
      metrics.activeSubscriptions.inc({ operation: field });
      metrics.operation(field, "subscription", "ok", secondsSince(stream.start));
      logger.info(
        { reqId: stream.reqId, memberId: stream.holder.id, field },
        "sse subscription started",
      );
      if (subscribed.hasSubscribers) {
        const { document } = args;
        const memberId = stream.holder.id;
        // graphql-sse starts iterating right after this hook; tell listeners on the next turn.
        setImmediate(() =>
          subscribed.publish({ server: opts.httpServer, memberId, field, document }),
        );
      }
      stream.events = untilRevoked(result, stream.revoked);
      return stream.events;
    },
    onNext: (_ctx, req, result) => {
      if (!result.errors?.length) {
        const stream = req.context;
        stream.delivered++;
        if (stream.field) metrics.eventsDelivered.inc({ operation: stream.field });
        return;
      }
      return { ...result, errors: result.errors.map((e) => pipeline.formatGraphQLError(e)) };
    },
  });

  /** The refusal of an operation before it runs, counted as WebSocket ones are. */
  const refused = (
    stream: StreamState,
    operation: OperationDefinitionNode | null | undefined,
    errors: readonly GraphQLError[],
  ): OperationResult => {
    const seconds = secondsSince(stream.start);
    metrics.operation(rootFieldOf(operation), typeOf(operation), outcomeOf(errors), seconds);
    return refusal(errors);
  };

  /** Serves one authenticated, parsed request: its stream, from the slot to the end. */
  const serve = async (req: ExpressRequest, res: ExpressResponse): Promise<void> => {
    const holder = res.locals.holder as TokenHolder;
    const max = config.wsMaxConnectionsPerMember;
    if (!opts.memberSockets.acquire(holder.id)) {
      res.status(429).json(errorBody(tooManyConnectionsMessage(max), ErrorCode.RATE_LIMITED, max));
      return;
    }
    let revoke!: (last: ExecutionResult) => void;
    const revoked = new Promise<ExecutionResult>((resolve) => (revoke = resolve));
    const ended = { errors: [tokenEnded()] };
    // The stream lives no longer than its token, nor than its member (on any instance).
    const cancelExpiry = atExpiry(holder.expiresAt, () => revoke(ended));
    const cancelWatch = opts.authenticator.watch(holder.id, () => revoke(ended));
    const start = performance.now();
    const stream: StreamState = {
      reqId: res.getHeader("x-request-id"),
      start,
      holder,
      ip: opts.clientIpOf(req),
      payload: req.body as StreamPayload,
      revoked,
      delivered: 0,
    };
    try {
      const [body, init] = await graphqlSse({
        method: "POST",
        url: req.originalUrl,
        headers: {
          // Checked already: graphql-sse wants the exact value for distinct connections mode.
          get: (key) => (key === "accept" ? "text/event-stream" : headerOf(req, key)),
        },
        body: req.body as Record<string, unknown>,
        raw: req,
        context: stream,
      });
      // A proxy keeps nothing of a member's events (no-store rather than graphql-sse's
      // no-cache), and nginx passes them on at once instead of buffering.
      const headers = { ...init.headers, "cache-control": "no-store", "x-accel-buffering": "no" };
      res.writeHead(init.status, init.statusText, headers);
      if (body === null || typeof body === "string") {
        res.end(body ?? undefined);
        return;
      }
      const end = () => res.end();
      open.add(end);
      // Opened while the server began to stop: closeAll did not see it.
      if (stopping) end();
      // A client that goes away ends graphql-sse's stream, and with it the subscription.
      res.once("close", () => {
        body.return(undefined).catch((err: unknown) => {
          logger.warn({ err, reqId: stream.reqId }, "sse subscription did not end cleanly");
        });
      });
      try {
        for await (const chunk of body) {
          if (!res.writable) break;
          await new Promise<void>((resolve, reject) =>
            res.write(chunk, (err) => (err ? reject(err) : resolve())),
          );
        }
      } finally {
        open.delete(end);
        if (!res.writableEnded) res.end();
      }
    } finally {
      // graphql-sse ends the operation when the client goes away; this is the guarantee.
      await stream.events?.return(undefined).catch((err: unknown) => {
        logger.warn({ err, reqId: stream.reqId }, "sse subscription did not end cleanly");
      });
      cancelExpiry();
      cancelWatch();
      opts.memberSockets.release(holder.id);
      if (stream.field) metrics.activeSubscriptions.dec({ operation: stream.field });
      logger.info(
        {
          reqId: stream.reqId,
          memberId: holder.id,
          field: stream.field ?? null,
          delivered: stream.delivered,
          durationMs: Math.round(performance.now() - start),
        },
        "sse stream closed",
      );
      if (closed.hasSubscribers) closed.publish({ server: opts.httpServer, memberId: holder.id });
    }
  };

  /** The token check: 401 without a member, as HTTP answers a bad token. */
  const authenticate: RequestHandler = async (req, res, next) => {
    const header = req.headers.authorization;
    const holder = await opts.authenticator.holderOfHeader(header);
    if (!holder) {
      const message = header ? TOKEN_REFUSED : NO_TOKEN;
      res.status(401).json(errorBody(message, ErrorCode.UNAUTHENTICATED));
      return;
    }
    res.locals.holder = holder;
    next();
  };

  const web = express();
  web.set("etag", false);
  web.disable("x-powered-by");
  web.use(
    STREAM_PATH,
    // CORS as for /graphql (preflights included); and, as the WebSocket's upgrade, a page of
    // an origin not admitted is refused before anything runs.
    opts.origins.http(),
    (req, res, next) => {
      if (opts.origins.allows(req.headers.origin, req.headers.host)) return next();
      res.status(403).json(badRequestBody("This origin may not open event streams."));
    },
    (req, res, next) => {
      if (req.method === "POST") return next();
      res.setHeader("allow", "POST");
      res.status(405).json(badRequestBody(ONLY_POST));
    },
    (req, res, next) => {
      if (req.accepts("text/event-stream")) return next();
      res.status(406).json(badRequestBody(EVENT_STREAM_ONLY));
    },
    (_req, res, next) => {
      if (!stopping) return next();
      res.setHeader("connection", "close");
      res.status(503).json(errorBody(STOPPING_MESSAGE, ErrorCode.SERVER_STOPPING));
    },
    authenticate,
    express.json({ limit: config.bodyLimit, verify: verifyUtf8 }),
    (req, res, next) => {
      if (!req.is("application/json")) {
        res.status(415).json(badRequestBody(JSON_ONLY));
        return;
      }
      // A document by id needs no text here either (graphql-sse wants a string: an empty one).
      const body = req.body as Record<string, unknown> | null;
      if (body && typeof body === "object" && body.query === undefined && namesDocument(body)) {
        body.query = "";
      }
      const wrong = wrongShape(req.body);
      if (wrong) {
        res.status(400).json(badRequestBody(wrong));
        return;
      }
      serve(req, res).catch(next);
    },
  );
  web.use(STREAM_PATH, bodyErrors(config.bodyLimit, observability.logger));

  return {
    handle(req, res) {
      // Every request passes here: a prefix test first, and no allocation for the others.
      const url = req.url;
      if (!url?.startsWith(STREAM_PATH)) return false;
      if (url.length > STREAM_PATH.length && url[STREAM_PATH.length] !== "?") return false;
      observability.track(req, res, STREAM_PATH);
      web(req, res);
      return true;
    },
    closeAll() {
      for (const end of [...open]) end();
    },
    async dispose() {
      stopping = true;
      this.closeAll();
    },
  };
}

const NO_TOKEN = "An event stream needs a member's token: send Authorization: Bearer <token>.";
const ONLY_POST =
  "Event streams are opened with POST, a JSON body and Accept: text/event-stream (graphql-sse's distinct connections mode).";
const EVENT_STREAM_ONLY =
  "This path answers with text/event-stream only; queries and mutations go to /graphql.";
const JSON_ONLY = "The request body must be JSON (Content-Type: application/json).";
const STOPPING_MESSAGE = "The server is shutting down: open the stream again.";

function tooManyConnectionsMessage(max: number): string {
  return `At most ${max} connections (WebSockets and event streams) per member at once; close one first.`;
}

/** A JSON error body for a request refused before GraphQL, with its code. */
function errorBody(message: string, code: string, limit?: number) {
  const extensions = limit === undefined ? { code } : { code, limit };
  return { errors: [{ message, extensions }] };
}

/**
 * The last event of a stream whose token expired or whose member is gone: UNAUTHENTICATED,
 * with the words of a refused token (the WebSocket closes with 4403 for both alike).
 */
function tokenEnded(): GraphQLError {
  return new GraphQLError(TOKEN_REFUSED, { extensions: { code: ErrorCode.UNAUTHENTICATED } });
}

/** Whether a body names its document by id (`documentId`, or Apollo's persisted query). */
function namesDocument(body: Record<string, unknown>): boolean {
  const extensions = body.extensions as { persistedQuery?: unknown } | null | undefined;
  return body.documentId !== undefined || extensions?.persistedQuery !== undefined;
}

/** What is wrong with a body graphql-sse would refuse (uncoded), or null when it is fine. */
function wrongShape(body: unknown): string | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return "The request body must be one JSON object (batches are not supported).";
  }
  const { query, variables, extensions } = body as Record<string, unknown>;
  // graphql-sse needs a string (a persisted document is sent with `query: ""` and its id).
  if (typeof query !== "string") return "The body must have a `query` string.";
  const isObject = (v: unknown) => v == null || (typeof v === "object" && !Array.isArray(v));
  if (!isObject(variables)) return "`variables` must be a JSON object.";
  if (!isObject(extensions)) return "`extensions` must be a JSON object.";
  return null;
}

/**
 * A refusal before the operation runs, as graphql-sse answers a document that does not
 * validate on an event stream: one `next` event with the errors, then `complete` (an
 * iterable, because graphql-sse takes a bare result only with a `data` key).
 */
function refusal(errors: readonly GraphQLError[]): OperationResult {
  return (async function* () {
    yield { errors };
  })();
}

/**
 * The subscription's events until `revoked` resolves: then its last result (the token's end),
 * and the end of the stream. Not a generator: ending it must not wait for an event. It has
 * `throw` as well, because graphql-sse ends (`return()`) only what looks like a generator.
 */
function untilRevoked(
  source: AsyncIterable<ExecutionResult>,
  revoked: Promise<ExecutionResult>,
): AsyncGenerator<ExecutionResult, undefined> {
  const events = source[Symbol.asyncIterator]();
  let done = false;
  let last: ExecutionResult | null = null;
  /** Wakes the `next()` waiting for an event when the stream is revoked. */
  let wake: (() => void) | null = null;
  // One reaction for the stream's whole life (racing each `next()` against `revoked` would
  // add one per event, kept until the token expires).
  void revoked.then((value) => {
    last = value;
    wake?.();
  });
  const finish = async () => {
    if (done) return;
    done = true;
    await events.return?.();
  };
  const ended = { done: true as const, value: undefined };
  const iterator: AsyncGenerator<ExecutionResult, undefined> = {
    async next() {
      if (!done && last === null) {
        const step = await new Promise<IteratorResult<ExecutionResult> | null>(
          (resolve, reject) => {
            wake = () => resolve(null);
            events.next().then(resolve, reject);
          },
        );
        wake = null;
        if (step?.done) {
          done = true;
          return ended;
        }
        if (step && last === null) return step;
      }
      if (done || last === null) return ended;
      const value: ExecutionResult = last;
      await finish();
      return { done: false, value };
    },
    async return() {
      await finish();
      return ended;
    },
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function headerOf(req: IncomingMessage, key: string): string | undefined {
  const value = req.headers[key];
  return Array.isArray(value) ? value.join(", ") : value;
}
