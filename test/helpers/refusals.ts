import { expect } from "vitest";
import WebSocket from "ws";
import { ErrorCode } from "../../src/common/errors";
import { snapshotTables } from "./db";
import { connect, gql, inviteOk, ok, signUp, type TestMember } from "./http";
import { startTestServer, type TestServer } from "./server";

// What a refused request must look like, checked the same way for every case of the bad-input
// sweep (test/bad-input-sweep.test.ts), the transport garbage (test/bad-requests.test.ts) and
// the text stored verbatim (test/verbatim-text.test.ts): a 4xx or GraphQL errors whose
// extensions.code is a known one (never a 500, never INTERNAL_SERVER_ERROR), nothing written,
// and the server still answering.

/** A server with four members: `a` sent `pending` to `b`; `c` and `d` are connected. */
export interface Fixture {
  server: TestServer;
  a: TestMember;
  b: TestMember;
  /** Connected to d; a stranger to a. */
  c: TestMember;
  d: TestMember;
  /** a's pending invitation to b. */
  pending: string;
  /** b's notification of it. */
  bNotification: { id: string; cursor: string };
}

/**
 * Starts a server and fills `into` with the fixture's members (so that closures made before
 * the server started can read them). Every case must reach the argument it tests, not stop
 * at the logIn / signUp rate limits: they are lifted.
 */
export async function startFixture(into: Partial<Fixture> = {}): Promise<Fixture> {
  const server = await startTestServer({
    env: {
      LOGIN_MAX_PER_IP: "1000000",
      LOGIN_MAX_PER_EMAIL: "1000000",
      SIGNUP_MAX_PER_IP: "1000000",
      SIGNUP_MAX_PER_EMAIL: "1000000",
    },
  });
  const [a, b, c, d] = [
    await signUp(server),
    await signUp(server),
    await signUp(server),
    await signUp(server),
  ];
  const pending = await inviteOk(server, a, b.id, "a note");
  await connect(server, c, d);
  const notes = ok(
    await gql(server, `query { notifications { edges { cursor node { id } } } }`, {}, b.token),
  );
  const bNotification = {
    id: notes.notifications.edges[0].node.id,
    cursor: notes.notifications.edges[0].cursor,
  };
  return Object.assign(into, { server, a, b, c, d, pending, bNotification });
}

/** The codes a refusal may carry: the API's (src/common/errors.ts) and Apollo's own. */
export const KNOWN_CODES = new Set<string>([
  ...Object.values(ErrorCode).filter((c) => c !== ErrorCode.INTERNAL_SERVER_ERROR),
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/** An HTTP answer as it came: status, content type, the JSON body if it is JSON. */
export interface Answer {
  status: number;
  contentType: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
}

/** Sends one request to the GraphQL endpoint (POST unless told), `query` as the URL's query. */
export async function send(
  server: TestServer,
  init: { method?: string; body?: RequestInit["body"]; headers?: Record<string, string> },
  query = "",
): Promise<Answer> {
  const res = await fetch(server.url + query, { method: init.method ?? "POST", ...init });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: judged by its status alone.
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", json, text };
}

/** What a refused request must look like; null when it does, else what is wrong. */
export function refusal(res: Answer, acceptedIsFine: boolean): string | null {
  if (res.status >= 500 || res.status < 200) {
    return `HTTP ${res.status}: ${res.text.slice(0, 300)}`;
  }
  const errors: { extensions?: { code?: string } }[] | undefined = res.json?.errors;
  if (errors?.length) {
    const unclear = errors.filter((e) => !KNOWN_CODES.has(e.extensions?.code ?? ""));
    return unclear.length ? `errors without a clear code: ${JSON.stringify(unclear)}` : null;
  }
  // A 4xx from the transport (413, 415, 400 for unparsable JSON) carries no GraphQL body.
  if (res.status >= 400) return null;
  return acceptedIsFine ? null : `accepted: ${res.text.slice(0, 300)}`;
}

/**
 * Runs `requests`, each of which must be refused (or, with `acceptedIsFine`, be harmless):
 * see `refusal`. Then the tables must be as before and the server must still answer a plain
 * query as `f.a`. Returns the last answer.
 */
export async function expectRefused(
  f: Fixture,
  requests: (() => Promise<Answer>) | (() => Promise<Answer>)[],
  acceptedIsFine = false,
): Promise<Answer> {
  const before = await snapshotTables(f.server);
  let res: Answer | undefined;
  for (const request of [requests].flat()) {
    res = await request();
    expect(refusal(res, acceptedIsFine)).toBeNull();
  }
  expect(await snapshotTables(f.server)).toEqual(before);
  const alive = await gql(f.server, `query { viewer { id } }`, {}, f.a.token);
  expect(alive.data?.viewer?.id).toBe(f.a.id);
  return res!;
}

/**
 * Subscribes once over a raw graphql-transport-ws socket (`payload` is the subscribe message's
 * payload as JSON text) and reports the first thing that happens. A refusal over WebSocket is
 * GraphQL errors with codes, or a 44xx close code (the socket's 4xx); 4500 counts as a 500.
 */
export function subscribeOnce(server: TestServer, token: string, payload: string): Promise<Answer> {
  const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number, json: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      resolve({ status, contentType: "", json, text: JSON.stringify(json) });
    };
    // A refusal comes at once; an accepted subscription would wait for events.
    const timer = setTimeout(() => done(200, { accepted: "no answer within 5 s" }), 5_000);
    socket.on("open", () => {
      socket.send(
        JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }),
      );
    });
    socket.on("message", (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === "connection_ack") {
        socket.send(`{"id":"1","type":"subscribe","payload":${payload}}`);
      } else if (msg.type === "next" || msg.type === "error") {
        // `error` carries the errors themselves; `next` a result with errors (or an event).
        done(200, msg.type === "error" ? { errors: msg.payload } : msg.payload);
      } else if (msg.type === "complete") {
        done(200, { completed: true });
      }
    });
    socket.on("close", (code) => done(code >= 4400 && code < 4500 ? 400 : 500, { closed: code }));
    socket.on("error", (err) => done(500, { error: String(err) }));
  });
}
