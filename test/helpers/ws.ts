import type { EventEmitter } from "node:events";
import { parse, type OperationDefinitionNode, type FieldNode } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

/** What the WS helpers need from a running test server. */
export interface WsServer {
  wsUrl: string;
  events: EventEmitter;
}

/** One live graphql-ws subscription and everything it has received so far. */
export interface Sub {
  /** Every payload received, in order: the root field's value (e.g. the Notification). */
  events: unknown[];
  /** The next payload not yet returned by `next`; rejects after `timeoutMs` or on an error. */
  next(timeoutMs?: number): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Resolves if no payload beyond those already taken by `next` arrives within `ms`. */
  expectNone(ms?: number): Promise<void>;
  /** Unsubscribes and closes this subscription's socket. */
  close(): Promise<void>;
}

/** The payload of the test server's "subscribed" event. */
interface SubscribedEvent {
  memberId: string;
  field: string;
}

const cleanups: Array<() => Promise<void>> = [];

/** Closes every client and socket the helpers opened; call it in afterEach/afterAll. */
export async function closeAll(): Promise<void> {
  const pending = cleanups.splice(0);
  await Promise.allSettled(pending.map((c) => c()));
}

function track(cleanup: () => Promise<void>): () => Promise<void> {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    const i = cleanups.indexOf(once);
    if (i >= 0) cleanups.splice(i, 1);
    await cleanup();
  };
  cleanups.push(once);
  return once;
}

/** The root field name of a subscription document, e.g. "notificationAdded". */
function rootField(query: string): string {
  const doc = parse(query);
  const op = doc.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === "OperationDefinition",
  );
  const field = op?.selectionSet.selections.find((s): s is FieldNode => s.kind === "Field");
  if (!op || op.operation !== "subscription" || !field) {
    throw new Error(`not a subscription document: ${query}`);
  }
  return field.name.value;
}

function describeClose(e: unknown): string {
  if (e && typeof e === "object" && "code" in e) {
    const ev = e as { code: number; reason?: string };
    return `socket closed ${ev.code} ${ev.reason ?? ""}`.trim();
  }
  if (Array.isArray(e)) return `GraphQL errors: ${JSON.stringify(e)}`;
  return String(e instanceof Error ? e.message : e);
}

// Subscriptions are opened one at a time so that a "subscribed" event (which names only the
// member and the field) can be matched to the one subscription waiting for it.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Opens a graphql-ws client with `token` and subscribes to `query`. Resolves once the server
 * reports (via `server.events` "subscribed") that this subscription is listening, so an action
 * taken afterwards cannot race the registration. Rejects if the socket closes or the
 * subscription errors first, or after `readyTimeoutMs`.
 */
export function subscribe(
  server: WsServer,
  token: string | null,
  query: string,
  variables?: Record<string, unknown>,
  readyTimeoutMs = 5_000,
): Promise<Sub> {
  const run = queue.then(() => openSub(server, token, query, variables, readyTimeoutMs));
  queue = run.catch(() => undefined);
  return run;
}

function openSub(
  server: WsServer,
  token: string | null,
  query: string,
  variables: Record<string, unknown> | undefined,
  readyTimeoutMs: number,
): Promise<Sub> {
  const field = rootField(query);
  const events: unknown[] = [];
  let taken = 0;
  let failure: unknown = undefined;
  let waiter: (() => void) | null = null;
  const wake = () => {
    const w = waiter;
    waiter = null;
    w?.();
  };

  const client: Client = createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token === null ? undefined : { authorization: `Bearer ${token}` },
    onNonLazyError: () => {
      /* reported through the subscription sink / the ready promise */
    },
  });

  return new Promise<Sub>((resolve, reject) => {
    let settled = false;
    const cleanupListeners: Array<() => void> = [];
    const finish = (err?: unknown, sub?: Sub) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanupListeners.forEach((c) => c());
      if (err !== undefined) {
        void Promise.resolve(client.dispose()).catch(() => undefined);
        reject(new Error(`subscribe(${field}) failed: ${describeClose(err)}`));
      } else resolve(sub!);
    };

    // Registered BEFORE the subscribe message can be sent.
    const onSubscribed = (e: SubscribedEvent) => {
      if (e.field === field) finish(undefined, sub);
    };
    server.events.on("subscribed", onSubscribed);
    cleanupListeners.push(() => server.events.off("subscribed", onSubscribed));
    cleanupListeners.push(client.on("closed", (e) => finish(e)));
    const timer = setTimeout(
      () => finish(new Error(`no "subscribed" event within ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );

    const unsubscribe = client.subscribe<Record<string, unknown>>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) {
            failure = result.errors;
          } else {
            events.push(result.data?.[field]);
          }
          wake();
        },
        error: (err) => {
          failure = err;
          wake();
          finish(err);
        },
        complete: () => {
          if (failure === undefined) failure = new Error("subscription completed");
          wake();
        },
      },
    );

    const close = track(async () => {
      unsubscribe();
      await client.dispose();
    });

    const sub: Sub = {
      events,
      async next(timeoutMs = 5_000) {
        const deadline = Date.now() + timeoutMs;
        while (taken >= events.length) {
          if (failure !== undefined) {
            throw new Error(`${field}: ${describeClose(failure)}`);
          }
          const left = deadline - Date.now();
          if (left <= 0) {
            throw new Error(`${field}: no event within ${timeoutMs} ms (got ${events.length})`);
          }
          await new Promise<void>((res) => {
            const t = setTimeout(res, left);
            waiter = () => {
              clearTimeout(t);
              res();
            };
          });
        }
        return events[taken++];
      },
      async expectNone(ms = 300) {
        // A bounded wait is the only way to show that something did NOT arrive.
        await new Promise((res) => setTimeout(res, ms));
        if (events.length > taken) {
          throw new Error(
            `${field}: expected no event, got ${JSON.stringify(events.slice(taken))}`,
          );
        }
        if (failure !== undefined) throw new Error(`${field}: ${describeClose(failure)}`);
      },
      close,
    };
  });
}

/** The outcome of a bare connection attempt: the server's close code, or "acked". */
export type RawOutcome = number | "acked";

/**
 * Opens a raw `graphql-transport-ws` socket and sends `connection_init` with
 * `connectionParams` as its payload (no payload at all when undefined). Resolves with the close
 * code if the server closes the socket, or "acked" once it acknowledges the connection (the
 * socket is then closed by the helper).
 */
export function connectRaw(
  server: WsServer,
  connectionParams?: Record<string, unknown>,
  timeoutMs = 5_000,
): Promise<RawOutcome> {
  const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
  track(async () => {
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
      socket.terminate();
    }
  });
  return new Promise<RawOutcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no close or ack within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("open", () => {
      const init: Record<string, unknown> = { type: "connection_init" };
      if (connectionParams !== undefined) init.payload = connectionParams;
      socket.send(JSON.stringify(init));
    });
    socket.on("message", (raw) => {
      const msg = JSON.parse(String(raw)) as { type?: string };
      if (msg.type === "connection_ack") {
        clearTimeout(timer);
        socket.close(1000);
        resolve("acked");
      }
    });
    socket.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** What a raw graphql-transport-ws subscription got (see `wsOnce`). */
export interface WsOutcome {
  /** `next` payloads, in order. */
  nexts: { data?: unknown; errors?: WsError[] }[];
  /** The payload of an `error` message, if one came. */
  error: WsError[] | null;
  /** Whether a `complete` message came. */
  completed: boolean;
  /** The close code, if the server closed the socket first. */
  closeCode: number | null;
}

/** A GraphQL error as sent over the socket. */
export interface WsError {
  message: string;
  extensions?: { code?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * Subscribes once over a bare graphql-transport-ws socket, to look at the messages exactly as
 * sent, and resolves at the first of: an `error` message, a `next` carrying errors, a
 * `complete`, a close, or `timeoutMs` (then with what arrived so far).
 */
export function wsOnce(
  server: WsServer,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
  timeoutMs = 5_000,
): Promise<WsOutcome> {
  const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
  const outcome: WsOutcome = { nexts: [], error: null, completed: false, closeCode: null };
  return new Promise<WsOutcome>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      resolve(outcome);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on("open", () => {
      socket.send(
        JSON.stringify({
          type: "connection_init",
          payload: { authorization: `Bearer ${token}` },
        }),
      );
    });
    socket.on("message", (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
      } else if (msg.type === "next") {
        outcome.nexts.push(msg.payload);
        if (msg.payload?.errors?.length) finish();
      } else if (msg.type === "error") {
        outcome.error = msg.payload;
        finish();
      } else if (msg.type === "complete") {
        outcome.completed = true;
        finish();
      } else if (msg.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    });
    socket.on("close", (code) => {
      outcome.closeCode = code;
      finish();
    });
    socket.on("error", (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The errors a `wsOnce` outcome carried, from an `error` message or a `next` payload. */
export function wsErrors(o: WsOutcome): WsError[] {
  return o.error ?? o.nexts.flatMap((n) => n.errors ?? []);
}
