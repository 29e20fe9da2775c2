import { createClient as createSseClient, NetworkError } from "graphql-sse";
import { createClient } from "graphql-ws/client";
import {
  API_URL,
  documentPayload,
  isPersistedQueryNotFound,
  NOTIFICATION_ADDED,
  WS_URL,
  type Notification,
} from "./api";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "ended";

export interface LiveOptions {
  token: string;
  /** The cursor of the newest notification the page has, read at every (re)connect. */
  cursor(): string | null;
  onNotification(notification: Notification): void;
  onStatus(status: LiveStatus, detail?: string): void;
  /** The stream was opened (again) and the server listens: a chance to catch up on anything missed. */
  onConnected?(): void;
}

/** Subscriptions over Server-Sent Events, for networks that refuse WebSockets. */
const SSE_URL = `${API_URL}/stream`;

/**
 * The wait before reconnect attempt n: 0.25 s doubling up to 4 s, plus jitter, so that a
 * restarted server is not hit by every page at the same moment.
 */
function backoff(attempt: number): number {
  return Math.min(250 * 2 ** attempt, 4000) + Math.random() * 250;
}

/** Close codes after which trying again cannot help: 4403 is a bad or expired token. */
const FINAL_CLOSE_CODES = new Set([4403]);

const SESSION_ENDED = "Your session has ended: log in again.";

/**
 * How one connection ended: for good (with what to say), worth another attempt, or refused
 * because the server does not know the document's id (then sent as text).
 */
type End = { final: string } | { retry: true; overSse?: boolean } | { asText: true };

/** The subscription as sent: by id (with the empty text the protocols require), or as text. */
type Document = Awaited<ReturnType<typeof documentPayload>>;

/** What a connection tells the loop in `startLive`. */
interface Listener {
  connected(): void;
  notification(n: Notification): void;
  ended(end: End): void;
}

/**
 * Streams the member's notifications for as long as the page lives: over graphql-ws, or over
 * graphql-sse (POST /graphql/stream) once a WebSocket could not connect at all, as behind a
 * proxy that refuses upgrades. Every connection subscribes to
 * `notificationAdded(after: <newest cursor>)`, so after a drop or a server restart the server
 * first replays what was missed, then goes live: no gap, no duplicate. Both clients' own
 * retries would resend the FIRST cursor, so the reconnecting is done here instead, with a
 * fresh subscription each time.
 */
export function startLive(opts: LiveOptions): { stop(): void } {
  let stopped = false;
  let current: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  /** Once a WebSocket could not connect, the page stays on SSE. */
  let overSse = false;
  /**
   * Whether a WebSocket of this page was ever acknowledged: then the network lets them
   * through, and a failed reconnect (a server restarting) is no reason to leave them.
   */
  let wsWorked = false;
  /** Once the server did not know the subscription's id: its text from then on. */
  let asText = false;

  const connect = () => {
    if (stopped) return;
    opts.onStatus(attempt === 0 ? "connecting" : "reconnecting");
    let closed = false;
    let close: () => void = () => void (closed = true);
    const dispose = () => close();
    const mine = () => current === dispose;
    const listener: Listener = {
      connected: () => {
        if (!mine()) return;
        if (!overSse) wsWorked = true;
        attempt = 0;
        opts.onStatus("live");
        opts.onConnected?.();
      },
      notification: (n) => mine() && opts.onNotification(n),
      ended: (end) => {
        dispose();
        if (stopped || !mine()) return;
        if ("final" in end) {
          stopped = true;
          opts.onStatus("ended", end.final);
          return;
        }
        if ("asText" in end) {
          asText = true;
          connect();
          return;
        }
        if (end.overSse && !overSse && !wsWorked) {
          // The WebSocket never got through: SSE at once, not after a wait.
          overSse = true;
          connect();
          return;
        }
        opts.onStatus("reconnecting");
        timer = setTimeout(connect, backoff(attempt++));
      },
    };
    const variables = { after: opts.cursor() };
    const open = overSse ? overEventStream : overWebSocket;
    current = dispose;
    // The id is hashed once per page; by then this attempt may have been stopped or replaced.
    void documentPayload(NOTIFICATION_ADDED, asText).then((document) => {
      if (closed || stopped || !mine()) return;
      close = open(opts.token, { ...document, variables }, listener);
    });
  };

  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      current?.();
    },
  };
}

/** One graphql-ws connection with the subscription; returns what closes it. */
function overWebSocket(
  token: string,
  request: Document & { variables: Record<string, unknown> },
  listener: Listener,
): () => void {
  let acknowledged = false;
  const client = createClient({
    url: WS_URL,
    lazy: true,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    on: {
      connected: () => {
        acknowledged = true;
        listener.connected();
      },
    },
  });
  client.subscribe<{ notificationAdded: Notification }>(request, {
    next: (result) => {
      const n = result.data?.notificationAdded;
      if (n) listener.notification(n);
    },
    error: (err) => listener.ended(wsEnd(err, acknowledged)),
    complete: () => listener.ended({ retry: true }),
  });
  return () => void client.dispose();
}

/** How a graphql-ws subscription's error ends it. */
function wsEnd(err: unknown, acknowledged: boolean): End {
  if (isPersistedQueryNotFound(err)) return { asText: true };
  // The server refused the operation itself (GraphQL errors): retrying repeats it.
  if (Array.isArray(err)) return { final: String(err[0]?.message ?? err) };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "number" && FINAL_CLOSE_CODES.has(code)) return { final: SESSION_ENDED };
  // Closed before the server acknowledged, and not by the server's own code (4xxx): the
  // socket never got through (a refused upgrade, a proxy that drops it).
  const byServer = typeof code === "number" && code >= 4000;
  return { retry: true, overSse: !acknowledged && !byServer };
}

/** One graphql-sse stream (distinct connections mode) with the subscription. */
function overEventStream(
  token: string,
  request: Document & { variables: Record<string, unknown> },
  listener: Listener,
): () => void {
  const client = createSseClient({
    url: SSE_URL,
    singleConnection: false,
    retryAttempts: 0,
    headers: { authorization: `Bearer ${token}` },
  });
  let refused: End | null = null;
  const unsubscribe = client.subscribe<{ notificationAdded: Notification }>(
    request,
    {
      next: (result) => {
        // Errors come alone, before `complete`: a refused operation, or the token's end.
        const first = result.errors?.[0] as { message?: string; extensions?: { code?: unknown } };
        if (first) {
          if (isPersistedQueryNotFound([first])) {
            refused = { asText: true };
            return;
          }
          const unauthenticated = first.extensions?.code === "UNAUTHENTICATED";
          refused = { final: unauthenticated ? SESSION_ENDED : String(first.message) };
          return;
        }
        const n = result.data?.notificationAdded;
        if (n) listener.notification(n);
      },
      error: (err) => {
        const status = err instanceof NetworkError ? err.response?.status : undefined;
        listener.ended(status === 401 ? { final: SESSION_ENDED } : { retry: true });
      },
      complete: () => listener.ended(refused ?? { retry: true }),
    },
    // The answer's headers came: the server listens.
    { connected: () => listener.connected() },
  );
  return () => {
    unsubscribe();
    client.dispose();
  };
}
