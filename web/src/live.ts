import { createClient, type Client } from "graphql-ws/client";
import { NOTIFICATION_ADDED, WS_URL, type Notification } from "./api";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "ended";

export interface LiveOptions {
  token: string;
  /** The cursor of the newest notification the page has, read at every (re)connect. */
  cursor(): string | null;
  onNotification(notification: Notification): void;
  onStatus(status: LiveStatus, detail?: string): void;
  /** The socket was opened (again) and acknowledged: a chance to catch up on anything missed. */
  onConnected?(): void;
}

/**
 * The wait before reconnect attempt n: 0.25 s doubling up to 4 s, plus jitter, so that a
 * restarted server is not hit by every page at the same moment.
 */
function backoff(attempt: number): number {
  return Math.min(250 * 2 ** attempt, 4000) + Math.random() * 250;
}

/** Close codes after which trying again cannot help: 4403 is a bad or expired token. */
const FINAL_CLOSE_CODES = new Set([4403]);

/**
 * Streams the member's notifications over graphql-ws, for as long as the page lives.
 * Every connection subscribes to `notificationAdded(after: <newest cursor>)`, so after a
 * dropped socket or a server restart the server first replays what was missed, then goes
 * live: no gap, no duplicate. graphql-ws's own retry would resend the FIRST cursor, so the
 * reconnecting is done here instead, with a fresh subscription each time.
 */
export function startLive(opts: LiveOptions): { stop(): void } {
  let stopped = false;
  let client: Client | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;

  const connect = () => {
    if (stopped) return;
    opts.onStatus(attempt === 0 ? "connecting" : "reconnecting");
    const current = createClient({
      url: WS_URL,
      lazy: true,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${opts.token}` },
      on: {
        connected: () => {
          attempt = 0;
          opts.onStatus("live");
          opts.onConnected?.();
        },
      },
    });
    client = current;
    current.subscribe<{ notificationAdded: Notification }>(
      { query: NOTIFICATION_ADDED, variables: { after: opts.cursor() } },
      {
        next: (result) => {
          const n = result.data?.notificationAdded;
          if (n) opts.onNotification(n);
        },
        error: (err) => ended(current, err),
        complete: () => ended(current, null),
      },
    );
  };

  const ended = (which: Client, err: unknown) => {
    void which.dispose();
    if (stopped || which !== client) return;
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === "number" && FINAL_CLOSE_CODES.has(code)) {
      stopped = true;
      opts.onStatus("ended", "Your session has ended: log in again.");
      return;
    }
    if (Array.isArray(err)) {
      // The server refused the operation itself (GraphQL errors): retrying repeats it.
      stopped = true;
      opts.onStatus("ended", String((err[0] as { message?: unknown })?.message ?? err));
      return;
    }
    opts.onStatus("reconnecting");
    timer = setTimeout(connect, backoff(attempt++));
  };

  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      void client?.dispose();
    },
  };
}
