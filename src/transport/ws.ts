import { channel } from "node:diagnostics_channel";
import type { IncomingMessage, Server } from "node:http";
import { getOperationAST, type GraphQLSchema } from "graphql";
import { CloseCode, type Context as WsContext } from "graphql-ws";
import type { Extra } from "graphql-ws/use/ws";
import { WebSocket, WebSocketServer } from "ws";
import { TOKEN_REFUSED, type Authenticator } from "../auth/authenticate";
import { unauthenticated } from "../common/errors";
import type { Config } from "../config";
import type { Context } from "../context";
import type { Observability } from "../observability";
import { rootFieldOf } from "../observability/labels";
import type { OriginPolicy } from "./origins";
import type { OperationPipeline } from "./pipeline";
import { ReleaseAfterWave } from "./release-memory";
import { atExpiry, type MemberSockets, TOO_MANY_CONNECTIONS, tooManyOperations } from "./ws-limits";

/**
 * Diagnostics channels (node:diagnostics_channel) the WebSocket transport publishes on; free
 * when nobody subscribes. Each message names the HTTP server it comes from.
 * - `invitations:ws:subscribed` `{ server, memberId, field, document }`: a subscription listens
 *   (`document`: the parsed document it runs, shared by subscriptions of the same text);
 * - `invitations:ws:closed` `{ server, memberId, code }`: a member's socket closed and its
 *   slot in the per-member connection limit is free again.
 */
export const WS_CHANNELS = {
  subscribed: "invitations:ws:subscribed",
  closed: "invitations:ws:closed",
} as const;

/** What graphql-ws keeps for each socket, besides the socket itself. */
type SocketState = {
  viewerId?: string;
  holdsSlot?: boolean;
  cancelExpiry?: () => void;
  /** Ends the watch for the member's account deletion. */
  cancelWatch?: () => void;
  ip?: string;
};

/** What both subscription transports (graphql-ws here, graphql-sse in sse.ts) are built from. */
export interface SubscriptionTransportOptions {
  httpServer: Server;
  config: Config;
  schema: GraphQLSchema;
  pipeline: OperationPipeline;
  authenticator: Authenticator;
  /** The context of an operation of `viewerId` on a socket or a stream. */
  contextFor(viewerId: string, clientIp: string): Context;
  /** The client's address as rate limits count it. */
  clientIpOf(req: IncomingMessage): string;
  /** Which browser pages may open a socket or a stream (the same origins as CORS). */
  origins: OriginPolicy;
  observability: Observability;
  /**
   * The open connections of each member, held against `wsMaxConnectionsPerMember`: one count
   * for sockets and streams together.
   */
  memberSockets: MemberSockets;
}

export type WsTransportOptions = SubscriptionTransportOptions;

/** The WebSocket transport, attached to the HTTP server. */
export interface WsTransport {
  /** Closes every socket with `code` (1001: clients reconnect elsewhere and resume). */
  closeAll(code: number, reason: string): void;
  /** Stops accepting sockets and closes graphql-ws. */
  dispose(): Promise<void>;
}

/**
 * graphql-ws (`graphql-transport-ws`) on the HTTP server's `/graphql` path. A socket needs a
 * member: a missing or bad token closes it with 4403, as do the token's expiry and the
 * member's account deletion (on any instance); a member
 * holds at most `wsMaxConnectionsPerMember` sockets (4429 past it) and a socket at most
 * `wsMaxSubscriptionsPerConnection` operations. Every operation goes through the operation
 * pipeline, like HTTP's; graphql-ws closes a socket that sends no `connection_init` in time
 * (4408), and ws one whose message is over `wsMaxMessageBytes` (1009).
 */
export function attachWebSocket(opts: WsTransportOptions): WsTransport {
  const { config, pipeline, observability } = opts;
  const subscribed = channel(WS_CHANNELS.subscribed);
  const sessions = new Sessions(opts);
  const wsServer = new WebSocketServer({
    server: opts.httpServer,
    path: "/graphql",
    maxPayload: config.wsMaxMessageBytes,
    verifyClient: opts.origins.webSocket(),
  });
  const graphqlWs = observability.ws.useServer<Record<string, unknown>, SocketState>(
    {
      schema: opts.schema,
      connectionInitWaitTimeout: config.wsConnectionInitTimeoutMs,
      onConnect: (ctx) => sessions.open(ctx),
      onClose: (ctx, code) => sessions.close(ctx, code),
      context: (ctx) => opts.contextFor(ctx.extra.viewerId!, ctx.extra.ip ?? "unknown"),
      // graphql-ws runs none of Apollo's plugins: the pipeline runs here, and the execution
      // arguments returned are used as they are.
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already registered this operation: the count includes it.
        const max = config.wsMaxSubscriptionsPerConnection;
        if (Object.keys(ctx.subscriptions).length > max) return [tooManyOperations(max)];
        // The account may be gone (a deletion whose signal this instance missed): 4403.
        if (!(await sessions.stillHeld(ctx))) return [unauthenticated(TOKEN_REFUSED)];
        const prepared = await pipeline.run(payload, ctx.extra.ip ?? "unknown");
        if ("errors" in prepared) return prepared.errors;
        const { operationName, variables: variableValues } = payload;
        return { schema: opts.schema, document: prepared.document, operationName, variableValues };
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return;
        return { ...result, errors: result.errors.map((e) => pipeline.formatGraphQLError(e)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => pipeline.formatGraphQLError(e)),
      onOperation: (ctx, _id, _payload, args) => {
        if (!subscribed.hasSubscribers) return;
        const field = rootFieldOf(getOperationAST(args.document, args.operationName));
        const { document } = args;
        const memberId = ctx.extra.viewerId;
        // graphql-ws starts iterating right after this hook; tell listeners on the next turn.
        setImmediate(() =>
          subscribed.publish({ server: opts.httpServer, memberId, field, document }),
        );
      },
    },
    wsServer,
  );
  replaceErrorLogging(wsServer, opts.httpServer, observability);
  return {
    closeAll(code, reason) {
      for (const client of wsServer.clients) client.close(code, reason);
    },
    async dispose() {
      sessions.stop();
      await graphqlWs.dispose();
    },
  };
}

type SocketContext = WsContext<Record<string, unknown>, Extra & SocketState>;

/** Who holds each socket: the token check on connect, the per-member limit, the token's expiry. */
class Sessions {
  private readonly memberSockets: MemberSockets;
  private readonly closed = channel(WS_CHANNELS.closed);
  // A wave of 1,000 closed sockets, then 2 s without a close: one full collection.
  private readonly releaseMemory: ReleaseAfterWave;

  constructor(private readonly opts: WsTransportOptions) {
    this.memberSockets = opts.memberSockets;
    const { logger } = opts.observability;
    this.releaseMemory = new ReleaseAfterWave(1000, 2000, undefined, ({ closed, ms }) =>
      logger.info({ closed, ms: Math.round(ms) }, "memory released after sockets closed"),
    );
  }

  /** graphql-ws's onConnect: true to acknowledge, false to close with 4403. */
  async open(ctx: SocketContext): Promise<boolean> {
    // Apollo Sandbox forwards its headers as typed, so accept either spelling.
    const params = ctx.connectionParams ?? {};
    const holder = await this.opts.authenticator.holderOfHeader(
      params.authorization ?? params.Authorization,
    );
    if (!holder) return false;
    const { socket } = ctx.extra;
    // Closed while the token was checked: onClose has run already, so take no slot.
    if (socket.readyState !== WebSocket.OPEN) return false;
    if (!this.memberSockets.acquire(holder.id)) {
      // Closed before graphql-ws's own 4403 for `false`, so the client sees this code.
      socket.close(TOO_MANY_CONNECTIONS, "Too many connections for this member");
      return false;
    }
    ctx.extra.holdsSlot = true;
    ctx.extra.viewerId = holder.id;
    // The upgrade request (headers, raw headers, socket references: a few KB) would live as
    // long as the socket, for the one thing read from it later: the client's address.
    ctx.extra.ip = this.opts.clientIpOf(ctx.extra.request);
    Reflect.deleteProperty(ctx.extra, "request");
    // The socket lives no longer than its token: 4403 when it expires, as for a bad one.
    ctx.extra.cancelExpiry = atExpiry(holder.expiresAt, () =>
      socket.close(CloseCode.Forbidden, "Token expired"),
    );
    // Nor than its member: a deleted account's token is a bad one, at once.
    ctx.extra.cancelWatch = this.opts.authenticator.watch(holder.id, () =>
      socket.close(CloseCode.Forbidden, "Forbidden"),
    );
    return true;
  }

  /** Whether the socket's member still exists; if not, the socket closes with 4403. */
  async stillHeld(ctx: SocketContext): Promise<boolean> {
    const id = ctx.extra.viewerId;
    if (id && (await this.opts.authenticator.exists(id))) return true;
    ctx.extra.socket.close(CloseCode.Forbidden, "Forbidden");
    return false;
  }

  /** graphql-ws's onClose: frees the member's slot. */
  close(ctx: SocketContext, code: number | undefined): void {
    this.releaseMemory.socketClosed();
    ctx.extra.cancelExpiry?.();
    ctx.extra.cancelWatch?.();
    if (!ctx.extra.holdsSlot || !ctx.extra.viewerId) return;
    this.memberSockets.release(ctx.extra.viewerId);
    ctx.extra.holdsSlot = false;
    if (this.closed.hasSubscribers) {
      this.closed.publish({ server: this.opts.httpServer, memberId: ctx.extra.viewerId, code });
    }
  }

  stop(): void {
    this.releaseMemory.stop();
  }
}

/**
 * graphql-ws reports a socket's or the server's `error` event with console.error and a stack,
 * and closes the socket with 1011. The errors that reach here are logged through the app's
 * logger instead: ws has already closed a socket whose message was over the size limit (1009);
 * the HTTP server's errors, which the WebSocket server relays, are the start-up's to report
 * until it listens (a busy port), and worth a warning after; any other socket error still
 * closes the socket.
 */
function replaceErrorLogging(
  wsServer: WebSocketServer,
  httpServer: Server,
  observability: Observability,
): void {
  const { logger } = observability;
  wsServer.removeAllListeners("error");
  wsServer.on("error", (err) => {
    const level = httpServer.listening ? "warn" : "debug";
    logger[level]({ reason: err.message }, "websocket server error");
  });
  wsServer.on("connection", (socket) => {
    socket.removeAllListeners("error");
    socket.on("error", (err) => {
      logger.info({ reason: err.message }, "websocket closed on a protocol error");
      if (socket.readyState === WebSocket.OPEN) socket.close(CloseCode.InternalServerError);
    });
  });
}
