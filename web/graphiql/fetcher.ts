import type { Fetcher, FetcherOpts, FetcherParams, Observable } from "@graphiql/toolkit";
import { getOperationAST, GraphQLError, parse, type DocumentNode } from "graphql";
import { createClient, type Client, type ExecutionResult } from "graphql-ws";

/** Close codes of the API after which reconnecting with the same token cannot help. */
const FORBIDDEN = 4403; // missing, bad or expired token
const TOO_MANY_CONNECTIONS = 4429; // this member holds too many sockets already

type HeaderMap = Record<string, string>;
/**
 * A result as GraphiQL's Fetcher type names it (graphql-ws's ExecutionResult, whose errors are
 * typed as GraphQLError instances): on the wire, and here, they are plain formatted errors.
 */
type Result = ExecutionResult;

/**
 * The request headers as typed in GraphiQL's Headers tab, ready to send: values as strings,
 * and a header whose value is blank left out. The tab opens with `"authorization": ""`: empty
 * means "no header" (the request runs as nobody), since the API refuses an empty or bare
 * `Bearer` Authorization header with 401 like any bad token.
 */
export function requestHeaders(typed: FetcherOpts["headers"]): HeaderMap {
  const headers: HeaderMap = {};
  if (typed === null || typeof typed !== "object" || Array.isArray(typed)) return headers;
  for (const [name, raw] of Object.entries(typed)) {
    if (raw === null || raw === undefined) continue;
    const value = (typeof raw === "string" ? raw : JSON.stringify(raw)).trim();
    if (value === "") continue;
    if (name.toLowerCase() === "authorization" && /^bearer$/i.test(value)) continue;
    headers[name] = value;
  }
  return headers;
}

/** The Authorization header's value among `headers`, whatever its spelling, if any. */
function authorizationOf(headers: HeaderMap): string | undefined {
  const name = Object.keys(headers).find((n) => n.toLowerCase() === "authorization");
  return name === undefined ? undefined : headers[name];
}

/** Whether the operation to run is a subscription (parse errors: left to the server). */
function isSubscription(params: FetcherParams, documentAST?: DocumentNode): boolean {
  let document = documentAST;
  if (!document) {
    try {
      document = parse(params.query);
    } catch {
      return false;
    }
  }
  return getOperationAST(document, params.operationName ?? undefined)?.operation === "subscription";
}

/** What a failed socket tells the person at the page (graphql-ws rejects with a CloseEvent). */
function socketError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code, reason } = error as { code: number; reason?: string };
    const hint =
      code === FORBIDDEN
        ? ' Subscriptions need a valid token: set "authorization" to "Bearer TOKEN" in the Headers tab.'
        : "";
    return new Error(`The WebSocket closed with ${code}${reason ? ` (${reason})` : ""}.${hint}`);
  }
  return new Error(String(error));
}

/**
 * GraphiQL's fetcher for this API: queries and mutations as HTTP POSTs to `httpUrl` with the
 * headers of the Headers tab; subscriptions over graphql-ws at `wsUrl`, whose only way to
 * carry a token is the `connection_init` message: the tab's Authorization header becomes the
 * socket's `connectionParams.authorization`. A socket is tied to the token it was opened
 * with, so there is one graphql-ws client per distinct Authorization value (none included):
 * a tab with another member's token gets a socket of its own, and a changed token takes
 * effect with the next subscription. The clients are lazy: a socket opens with the first
 * subscription of its token and closes when its last one stops.
 */
export function createExplorerFetcher(httpUrl: string, wsUrl: string): Fetcher {
  const clients = new Map<string, { client: Client; active: number }>();

  function clientFor(authorization: string | undefined) {
    const key = authorization ?? "";
    let entry = clients.get(key);
    if (!entry) {
      // Clients of other tokens with nothing running hold no socket; forget them.
      for (const [other, idle] of clients) {
        if (idle.active === 0) {
          void idle.client.dispose();
          clients.delete(other);
        }
      }
      entry = {
        client: createClient({
          url: wsUrl,
          connectionParams: authorization === undefined ? {} : { authorization },
          // A refused token stays refused: report it at once instead of after 5 retries.
          shouldRetry: (e) =>
            typeof e === "object" &&
            e !== null &&
            "code" in e &&
            e.code !== FORBIDDEN &&
            e.code !== TOO_MANY_CONNECTIONS,
        }),
        active: 0,
      };
      clients.set(key, entry);
    }
    return entry;
  }

  function subscribe(params: FetcherParams, headers: HeaderMap): Observable<Result> {
    return {
      subscribe(
        observerOrNext?: Partial<Observer> | ((value: Result) => void) | null,
        onError?: ((error: unknown) => void) | null,
        onComplete?: () => void,
      ) {
        const observer: Partial<Observer> =
          typeof observerOrNext === "function" || !observerOrNext
            ? {
                next: observerOrNext ?? undefined,
                error: onError ?? undefined,
                complete: onComplete,
              }
            : observerOrNext;
        const entry = clientFor(authorizationOf(headers));
        entry.active += 1;
        let done = false;
        const finish = () => {
          if (done) return false;
          done = true;
          entry.active -= 1;
          return true;
        };
        const payload = {
          query: params.query,
          operationName: params.operationName ?? undefined,
          variables: params.variables ?? undefined,
        };
        const dispose = entry.client.subscribe<Record<string, unknown>>(payload, {
          next: (value) => observer.next?.(value as Result),
          error: (error) => {
            if (finish()) observer.error?.(socketError(error));
          },
          complete: () => {
            if (finish()) observer.complete?.();
          },
        });
        return {
          unsubscribe() {
            finish();
            dispose();
          },
        };
      },
    };
  }

  async function post(params: FetcherParams, headers: HeaderMap): Promise<Result> {
    const res = await fetch(httpUrl, {
      method: "POST",
      // The API reads tokens from the Authorization header only and sets no cookie.
      credentials: "omit",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        ...headers,
      },
      body: JSON.stringify(params),
    });
    const text = await res.text();
    try {
      return JSON.parse(text) as Result;
    } catch {
      return { errors: [new GraphQLError(`HTTP ${res.status}: ${text.slice(0, 500)}`)] };
    }
  }

  return (params, opts) => {
    const headers = requestHeaders(opts?.headers);
    return isSubscription(params, opts?.documentAST)
      ? subscribe(params, headers)
      : post(params, headers);
  };
}

interface Observer {
  next: (value: Result) => void;
  error: (error: unknown) => void;
  complete: () => void;
}
