import type { IncomingMessage } from "node:http";
import {
  execute,
  getOperationAST,
  subscribe,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
} from "graphql";
import type { Disposable, ServerOptions, Context as WsContext } from "graphql-ws";
import { useServer, type Extra } from "graphql-ws/use/ws";
import type { WebSocket, WebSocketServer } from "ws";
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Context as TraceContext,
  type Span,
  trace,
} from "@opentelemetry/api";
import type { Logger } from "../common/logger";
import { tracer, tracingOn } from "../common/tracing";
import { isUnexpected } from "./apollo";
import { msSince, outcomeOf, requestIdFrom, rootFieldOf, typeOf } from "./labels";
import type { Metrics, OperationType, Outcome } from "./metrics";

/** One operation on a socket, from its `subscribe` message to its end. */
interface OperationState {
  start: number;
  name: string | null;
  field: string;
  type: OperationType;
  outcome: Outcome;
  /** A subscription whose event stream is open (counted in graphql_subscriptions_active). */
  listening: boolean;
  delivered: number;
  /** Its span while tracing is on: from `subscribe` to the answer, or until it listens. */
  span?: Span;
}

/** One WebSocket connection. */
interface ConnectionState {
  id: string;
  start: number;
  operations: Map<string, OperationState>;
  /** The trace the upgrade request continued (its `traceparent`), while tracing is on. */
  trace?: TraceContext;
}

type Ctx = WsContext<Record<string, unknown>, Extra & Record<PropertyKey, unknown>>;
type Options = ServerOptions<Record<string, unknown>, Extra & Record<PropertyKey, unknown>>;

/**
 * `useServer` from graphql-ws, observed: each connection gets an id (the upgrade request's
 * `x-request-id` when sane, echoed in the 101 response), and its connect, close, and every
 * operation's start and end are logged with it; the gauges of open connections and listening
 * subscriptions, the operation counters and the delivered events move with them. The hooks
 * given are called as they are, and their answers kept.
 */
export class WsObserver {
  private readonly ids = new WeakMap<IncomingMessage, string>();
  private readonly connections = new WeakMap<WebSocket, ConnectionState>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** graphql-ws's `useServer` on `ws`, with `options`' hooks observed. */
  useServer<P extends Record<string, unknown>, E extends Record<PropertyKey, unknown>>(
    options: ServerOptions<P, Extra & Partial<E>>,
    ws: WebSocketServer,
    keepAlive?: number,
  ): Disposable {
    // ws emits "headers" for the 101 response, then "connection" with the same request.
    ws.on("headers", (headers, request) => {
      const id = requestIdFrom(request.headers["x-request-id"]);
      this.ids.set(request, id);
      headers.push(`x-request-id: ${id}`);
    });
    const traces = new WeakMap<IncomingMessage, TraceContext>();
    if (tracingOn()) {
      ws.on("headers", (_headers, request) =>
        traces.set(request, propagation.extract(ROOT_CONTEXT, request.headers)),
      );
    }
    const observed = this.observe(options as unknown as Options);
    const disposable = useServer(observed as typeof options, ws, keepAlive);
    ws.on("connection", (socket, request) => {
      const connection = newConnection(this.ids.get(request) ?? requestIdFrom(undefined));
      connection.trace = traces.get(request);
      this.connections.set(socket, connection);
      this.metrics.wsConnections.inc();
      this.logger.debug({ connId: connection.id }, "ws opened");
      socket.once("close", () => this.metrics.wsConnections.dec());
    });
    return disposable;
  }

  /** Each operation's span, by the execution arguments its subscribe hook returned. */
  private readonly spans = new WeakMap<object, Span>();

  /**
   * graphql-ws's execute and subscribe, run inside the operation's span: the resolvers, SQL,
   * transaction and publish of a query or mutation over WebSocket land in its trace. (The
   * events of a subscription are executed later, as they come: traces of their own.)
   */
  private traced(options: Options): Pick<Options, "execute" | "subscribe"> {
    const inSpanOf =
      <R>(run: (args: ExecutionArgs) => R) =>
      (args: ExecutionArgs): R => {
        const span = this.spans.get(args);
        return span
          ? context.with(trace.setSpan(context.active(), span), () => run(args))
          : run(args);
      };
    return {
      execute: inSpanOf(options.execute ?? execute),
      subscribe: inSpanOf(options.subscribe ?? subscribe),
    };
  }

  /** The options with each hook wrapped by its observer below. */
  private observe(options: Options): Options {
    return {
      ...options,
      onConnect: async (ctx) => this.connected(ctx, await options.onConnect?.(ctx)),
      onClose: async (ctx, code, reason) => {
        this.closed(ctx, code, reason);
        await options.onClose?.(ctx, code, reason);
      },
      onSubscribe: async (ctx, opId, payload) => {
        const connection = this.connectionOf(ctx);
        const op = newOperation(payload.operationName);
        if (tracingOn()) op.span = operationSpan(connection);
        connection.operations.set(opId, op);
        const answer = await options.onSubscribe?.(ctx, opId, payload);
        // graphql-ws hands these same arguments to execute / subscribe: found there again.
        if (op.span && answer && !Array.isArray(answer)) this.spans.set(answer, op.span);
        return answer;
      },
      ...(tracingOn() ? this.traced(options) : {}),
      onOperation: async (ctx, opId, payload, args, result) => {
        const answer = await options.onOperation?.(ctx, opId, payload, args, result);
        this.started(ctx, opId, args, answer ?? result);
        return answer;
      },
      onNext: async (ctx, opId, payload, args, result) => {
        const answer = await options.onNext?.(ctx, opId, payload, args, result);
        this.sent(ctx, opId, result as ExecutionResult, (answer ?? result) as ExecutionResult);
        return answer;
      },
      onError: async (ctx, opId, payload, errors) => {
        const answer = await options.onError?.(ctx, opId, payload, errors);
        this.failed(ctx, opId, errors, answer ?? errors);
        return answer;
      },
      onComplete: async (ctx, opId, payload) => {
        await options.onComplete?.(ctx, opId, payload);
        this.finish(ctx, opId);
      },
    };
  }

  private connected<T>(ctx: Ctx, answer: T): T {
    if (answer !== false) {
      this.logger.info(
        { connId: this.connectionOf(ctx).id, memberId: memberOf(ctx) },
        "ws connected",
      );
    }
    return answer;
  }

  /**
   * Before the given hook: whoever it tells that the socket is gone sees the gauges already
   * settled (graphql-ws completes the operations of a closed socket later).
   */
  private closed(ctx: Ctx, code: number | undefined, reason: string | undefined): void {
    const connection = this.connectionOf(ctx);
    for (const opId of [...connection.operations.keys()]) this.finish(ctx, opId);
    this.logger.info(
      {
        connId: connection.id,
        memberId: memberOf(ctx),
        code,
        reason: reason || undefined,
        acknowledged: ctx.acknowledged,
        durationMs: msSince(connection.start),
      },
      "ws closed",
    );
  }

  /** The operation is set up; a subscription starts listening here. */
  private started(ctx: Ctx, opId: string, args: ExecutionArgs, stream: unknown): void {
    const connection = this.connectionOf(ctx);
    const op = connection.operations.get(opId);
    if (!op) return;
    const operation = getOperationAST(args.document, args.operationName);
    // The document's own name, when the client sent none alongside it.
    op.name = operation?.name?.value ?? op.name;
    op.field = rootFieldOf(operation);
    op.type = typeOf(operation);
    // The document's own name: the client's label, letters, digits and underscores only.
    op.span?.updateName(`${op.type} ${operation?.name?.value ?? op.field}`);
    op.span?.setAttributes({
      "graphql.operation.type": op.type,
      "graphql.operation.name": operation?.name?.value ?? "",
      "graphql.root_field": op.field,
    });
    if (op.type !== "subscription" || !(Symbol.asyncIterator in (stream as object))) return;
    op.listening = true;
    // A subscription's span covers its setup; the events it delivers are counted on the log.
    op.span?.setAttribute("graphql.outcome", "listening");
    op.span?.end();
    this.metrics.activeSubscriptions.inc({ operation: op.field });
    const durationMs = msSince(op.start);
    this.metrics.operation(op.field, op.type, "ok", durationMs / 1000);
    this.logger.info(
      {
        connId: connection.id,
        opId,
        operation: op.name,
        field: op.field,
        memberId: memberOf(ctx),
        durationMs,
      },
      "subscription started",
    );
  }

  /** A result went out: an event of a subscription, or a query's or mutation's answer. */
  private sent(ctx: Ctx, opId: string, result: ExecutionResult, sent: ExecutionResult): void {
    this.logUnexpected(ctx, opId, result.errors);
    const op = this.connectionOf(ctx).operations.get(opId);
    if (op?.listening) {
      if (!sent.errors?.length) {
        op.delivered++;
        this.metrics.eventsDelivered.inc({ operation: op.field });
      }
    } else if (op) {
      op.outcome = outcomeOf(sent.errors);
    }
  }

  private failed(
    ctx: Ctx,
    opId: string,
    errors: readonly GraphQLError[],
    sent: readonly { extensions?: Record<string, unknown> }[],
  ): void {
    this.logUnexpected(ctx, opId, errors);
    const op = this.connectionOf(ctx).operations.get(opId);
    if (!op) return;
    op.outcome = outcomeOf(sent);
    this.finish(ctx, opId);
  }

  /** Ends an operation: its log line, and its counters or the subscription gauge. */
  private finish(ctx: Ctx, opId: string): void {
    const connection = this.connectionOf(ctx);
    const op = connection.operations.get(opId);
    if (!op) return;
    connection.operations.delete(opId);
    if (op.span && !op.listening) {
      op.span.setAttribute("graphql.outcome", op.outcome);
      if (op.outcome === "INTERNAL_SERVER_ERROR") op.span.setStatus({ code: SpanStatusCode.ERROR });
      op.span.end();
    }
    // One reading of the clock for the log line and the histogram alike.
    const durationMs = msSince(op.start);
    const line = {
      connId: connection.id,
      opId,
      operation: op.name,
      field: op.field,
      type: op.type,
      outcome: op.outcome,
      memberId: memberOf(ctx),
      durationMs,
    };
    if (op.listening) {
      this.metrics.activeSubscriptions.dec({ operation: op.field });
      this.logger.info({ ...line, delivered: op.delivered }, "subscription completed");
    } else {
      this.metrics.operation(op.field, op.type, op.outcome, durationMs / 1000);
      this.logger.info(line, "operation completed");
    }
  }

  private logUnexpected(ctx: Ctx, opId: string, errors: readonly GraphQLError[] | undefined) {
    for (const error of errors ?? []) {
      if (!isUnexpected(error)) continue;
      const err = error.originalError ?? error;
      this.logger.error({ connId: this.connectionOf(ctx).id, opId, err }, "unexpected error");
    }
  }

  /** The socket's connection state (registered on "connection"; made here if seen first). */
  private connectionOf(ctx: Ctx): ConnectionState {
    const socket = ctx.extra.socket;
    let state = this.connections.get(socket);
    if (!state) this.connections.set(socket, (state = newConnection(requestIdFrom(undefined))));
    return state;
  }
}

/** A server span for one operation on a socket, in the trace the socket's upgrade continued. */
function operationSpan(connection: ConnectionState): Span {
  return tracer().startSpan(
    "graphql-ws operation",
    { kind: SpanKind.SERVER, attributes: { "network.protocol.name": "websocket" } },
    connection.trace ?? ROOT_CONTEXT,
  );
}

function memberOf(ctx: Ctx): string | null {
  return (ctx.extra as { viewerId?: string }).viewerId ?? null;
}

function newConnection(id: string): ConnectionState {
  return { id, start: performance.now(), operations: new Map() };
}

function newOperation(name: string | null | undefined): OperationState {
  return {
    start: performance.now(),
    name: name ?? null,
    field: "unknown",
    type: "unknown",
    outcome: "ok",
    listening: false,
    delivered: 0,
  };
}
