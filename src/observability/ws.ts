import type { IncomingMessage } from "node:http";
import { getOperationAST, type ExecutionResult, type GraphQLError } from "graphql";
import type { Disposable, ServerOptions, Context as WsContext } from "graphql-ws";
import { useServer, type Extra } from "graphql-ws/use/ws";
import type { WebSocket, WebSocketServer } from "ws";
import { isUnexpected } from "./apollo";
import { msSince, outcomeOf, requestIdFrom, rootFieldOf, typeOf } from "./labels";
import type { Logger } from "../common/logger";
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
}

/** One WebSocket connection. */
interface ConnectionState {
  id: string;
  start: number;
  operations: Map<string, OperationState>;
}

/**
 * `useServer` from graphql-ws, observed: each connection gets an id (the upgrade request's
 * `x-request-id` when sane, echoed in the 101 response), and its connect, close, and every
 * operation's start and end are logged with it; the gauges of open connections and listening
 * subscriptions, the operation counters and the delivered events move with them. The hooks
 * given are called as they are, and their answers kept.
 */
export function observedUseServer(logger: Logger, metrics: Metrics) {
  return function useObservedServer<
    P extends Record<string, unknown>,
    E extends Record<PropertyKey, unknown>,
  >(
    options: ServerOptions<P, Extra & Partial<E>>,
    ws: WebSocketServer,
    keepAlive?: number,
  ): Disposable {
    type Ctx = WsContext<P, Extra & Partial<E>>;
    const ids = new WeakMap<IncomingMessage, string>();
    const connections = new WeakMap<WebSocket, ConnectionState>();
    const connectionOf = (ctx: Ctx): ConnectionState => {
      const socket = ctx.extra.socket;
      let state = connections.get(socket);
      // Registered on "connection"; the fallback only guards against a socket seen first here.
      if (!state) connections.set(socket, (state = newConnection(requestIdFrom(undefined))));
      return state;
    };
    const memberOf = (ctx: Ctx) => (ctx.extra as { viewerId?: string }).viewerId ?? null;

    const finish = (ctx: Ctx, opId: string) => {
      const connection = connectionOf(ctx);
      const op = connection.operations.get(opId);
      if (!op) return;
      connection.operations.delete(opId);
      // One reading of the clock for the log line and the histogram alike.
      const durationMs = msSince(op.start);
      const common = {
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
        metrics.activeSubscriptions.dec({ operation: op.field });
        logger.info({ ...common, delivered: op.delivered }, "subscription completed");
      } else {
        metrics.operation(op.field, op.type, op.outcome, durationMs / 1000);
        logger.info(common, "operation completed");
      }
    };
    const logUnexpected = (ctx: Ctx, opId: string, errors: readonly GraphQLError[] | undefined) => {
      for (const error of errors ?? []) {
        if (!isUnexpected(error)) continue;
        const err = error.originalError ?? error;
        logger.error({ connId: connectionOf(ctx).id, opId, err }, "unexpected error");
      }
    };

    const observed: ServerOptions<P, Extra & Partial<E>> = {
      ...options,
      onConnect: async (ctx) => {
        const answer = await options.onConnect?.(ctx);
        if (answer !== false) {
          logger.info({ connId: connectionOf(ctx).id, memberId: memberOf(ctx) }, "ws connected");
        }
        return answer;
      },
      onClose: async (ctx, code, reason) => {
        const connection = connectionOf(ctx);
        // Before the given hook: whoever it tells that the socket is gone sees the gauges
        // already settled (graphql-ws completes the operations of a closed socket later).
        for (const opId of [...connection.operations.keys()]) finish(ctx, opId);
        logger.info(
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
        await options.onClose?.(ctx, code, reason);
      },
      onSubscribe: async (ctx, opId, payload) => {
        connectionOf(ctx).operations.set(opId, {
          start: performance.now(),
          name: payload.operationName ?? null,
          field: "unknown",
          type: "unknown",
          outcome: "ok",
          listening: false,
          delivered: 0,
        });
        return options.onSubscribe?.(ctx, opId, payload);
      },
      onOperation: async (ctx, opId, payload, args, result) => {
        const answer = await options.onOperation?.(ctx, opId, payload, args, result);
        const op = connectionOf(ctx).operations.get(opId);
        if (op) {
          const operation = getOperationAST(args.document, args.operationName);
          // The document's own name, when the client sent none alongside it.
          op.name = operation?.name?.value ?? op.name;
          op.field = rootFieldOf(operation);
          op.type = typeOf(operation);
          const stream = answer ?? result;
          if (op.type === "subscription" && Symbol.asyncIterator in stream) {
            op.listening = true;
            metrics.activeSubscriptions.inc({ operation: op.field });
            const durationMs = msSince(op.start);
            metrics.operation(op.field, op.type, "ok", durationMs / 1000);
            logger.info(
              {
                connId: connectionOf(ctx).id,
                opId,
                operation: op.name,
                field: op.field,
                memberId: memberOf(ctx),
                durationMs,
              },
              "subscription started",
            );
          }
        }
        return answer;
      },
      onNext: async (ctx, opId, payload, args, result) => {
        const answer = await options.onNext?.(ctx, opId, payload, args, result);
        const sent = (answer ?? result) as ExecutionResult;
        logUnexpected(ctx, opId, (result as ExecutionResult).errors);
        const op = connectionOf(ctx).operations.get(opId);
        if (op?.listening) {
          if (!sent.errors?.length) {
            op.delivered++;
            metrics.eventsDelivered.inc({ operation: op.field });
          }
        } else if (op) {
          op.outcome = outcomeOf(sent.errors);
        }
        return answer;
      },
      onError: async (ctx, opId, payload, errors) => {
        const answer = await options.onError?.(ctx, opId, payload, errors);
        logUnexpected(ctx, opId, errors);
        const op = connectionOf(ctx).operations.get(opId);
        if (op) {
          op.outcome = outcomeOf(answer ?? errors);
          finish(ctx, opId);
        }
        return answer;
      },
      onComplete: async (ctx, opId, payload) => {
        await options.onComplete?.(ctx, opId, payload);
        finish(ctx, opId);
      },
    };

    // ws emits "headers" for the 101 response, then "connection" with the same request.
    ws.on("headers", (headers, request) => {
      const id = requestIdFrom(request.headers["x-request-id"]);
      ids.set(request, id);
      headers.push(`x-request-id: ${id}`);
    });
    const disposable = useServer(observed, ws, keepAlive);
    ws.on("connection", (socket, request) => {
      const connection = newConnection(ids.get(request) ?? requestIdFrom(undefined));
      connections.set(socket, connection);
      metrics.wsConnections.inc();
      logger.debug({ connId: connection.id }, "ws opened");
      socket.once("close", () => metrics.wsConnections.dec());
    });
    return disposable;
  };
}

function newConnection(id: string): ConnectionState {
  return { id, start: performance.now(), operations: new Map() };
}
