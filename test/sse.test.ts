/**
 * Subscriptions over Server-Sent Events at /graphql/stream (graphql-sse, distinct connections
 * mode), through graphql-sse's own client against the real server: the same events, limits,
 * errors and ends as over the WebSocket (docs/subscriptions-over-sse.md).
 */
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createClient, NetworkError, type ExecutionResult } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../src/auth/token";
import { codeOf, gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { NOTIFICATION_ADDED, notificationsOf } from "./helpers/notifications";
import { startTestServer, type TestServer } from "./helpers/server";
import {
  closeAll as closeWs,
  connectRaw,
  subscribe as subscribeWs,
  wsErrors,
  wsOnce,
} from "./helpers/ws";

const INVITATION_DECLINED = `subscription {
  invitationDeclined { invitation { id status responseMessage } message declinedAt }
}`;
const INVITATION_RECEIVED = `subscription { invitationReceived { id sender { id } } }`;
const DECLINE = `mutation ($id: ID!, $message: String) {
  declineInvitation(id: $id, message: $message) { id status }
}`;
const IGNORE = `mutation ($id: ID!) { ignoreInvitation(id: $id) { id status } }`;
const DELETE_ACCOUNT = `mutation ($password: String!) { deleteAccount(password: $password) }`;

// ---------------------------------------------------------------------------------------------
// An SSE subscription through graphql-sse's client

/** A GraphQL error as it arrives in an event. */
interface EventError {
  message: string;
  extensions?: { code?: string; [k: string]: unknown };
}

/** One subscription over SSE and everything it has received. */
interface SseSub {
  /** The root field's value of each event without errors, in order. */
  events: unknown[];
  /** The errors of events that carried some. */
  errors: EventError[];
  /** The next event's value; rejects after `timeoutMs`, or when the stream ends or fails. */
  next(timeoutMs?: number): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Resolves once the stream has ended: "complete" from the server, or the client's error. */
  ended: Promise<"complete" | unknown>;
  close(): void;
}

const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await closeWs();
});

/**
 * Subscribes over SSE as `member` (or with `token`) and resolves once the server reports that
 * the subscription listens: what is done afterwards cannot race it. Rejects if the stream
 * fails or ends first.
 */
function sseSubscribe(
  server: TestServer,
  member: Pick<TestMember, "id" | "token">,
  query: string,
  variables?: Record<string, unknown>,
  opts: { url?: string; token?: string } = {},
): Promise<SseSub> {
  const client = createClient({
    url: opts.url ?? server.streamUrl,
    singleConnection: false,
    retryAttempts: 0,
    headers: { authorization: `Bearer ${opts.token ?? member.token}` },
  });
  const events: unknown[] = [];
  const errors: EventError[] = [];
  let taken = 0;
  let finished: { how: "complete" | unknown } | null = null;
  let wake: (() => void) | null = null;
  let endedWith!: (how: unknown) => void;
  const ended = new Promise<unknown>((resolve) => (endedWith = resolve));
  const finish = (how: unknown) => {
    finished = { how };
    endedWith(how);
    wake?.();
  };
  const dispose = client.subscribe<Record<string, unknown>>(
    { query, variables },
    {
      next: (result: ExecutionResult<Record<string, unknown>>) => {
        if (result.errors?.length) errors.push(...(result.errors as unknown as EventError[]));
        else events.push(Object.values(result.data ?? {})[0]);
        wake?.();
      },
      error: (err) => finish(err),
      complete: () => finish("complete"),
    },
  );
  const close = () => {
    dispose();
    client.dispose();
  };
  cleanups.push(close);
  const sub: SseSub = {
    events,
    errors,
    ended,
    close,
    async next(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (taken >= events.length) {
        if (finished) throw new Error(`stream ended: ${describe_(finished.how, errors)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
        await new Promise<void>((res) => {
          const t = setTimeout(res, left);
          wake = () => {
            clearTimeout(t);
            res();
          };
        });
      }
      return events[taken++];
    },
  };
  const field = /\{\s*(\w+)/.exec(query)![1];
  return new Promise<SseSub>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error("no subscribed event within 5 s")), 5_000);
    const onSubscribed = (e: { memberId: string; field: string; transport?: string }) => {
      if (e.transport === "sse" && e.memberId === member.id && e.field === field) done();
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      server.events.off("subscribed", onSubscribed);
      if (err) reject(err);
      else resolve(sub);
    };
    server.events.on("subscribed", onSubscribed);
    void ended.then((how) => done(new Error(`stream ended: ${describe_(how, errors)}`)));
  });
}

function describe_(how: unknown, errors: EventError[]): string {
  if (how === "complete") return `complete after errors ${JSON.stringify(errors)}`;
  return how instanceof Error ? `${how.name}: ${how.message}` : String(how);
}

/** What one stream request got: the status and, for JSON, the body; for a stream, its events. */
interface Outcome {
  status: number;
  contentType: string | null;
  json?: { errors?: EventError[] };
  /** The events of an event stream, parsed, until it ended. */
  events?: { event: string; data: unknown }[];
  headers: Headers;
}

/** POSTs to /graphql/stream with fetch and reads the whole answer (the stream must end). */
async function streamOnce(
  server: TestServer,
  body: unknown,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<Outcome> {
  const res = await fetch(server.streamUrl, {
    method,
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: method === "POST" ? (typeof body === "string" ? body : JSON.stringify(body)) : undefined,
  });
  const contentType = res.headers.get("content-type");
  const text = await res.text();
  if (contentType?.startsWith("application/json")) {
    return { status: res.status, contentType, json: JSON.parse(text), headers: res.headers };
  }
  const events = text
    .split("\n\n")
    .filter((block) => block.startsWith("event:"))
    .map((block) => {
      const [eventLine, ...dataLines] = block.split("\n");
      const data = dataLines.map((l) => l.replace(/^data: ?/, "")).join("\n");
      return { event: eventLine.replace(/^event: ?/, ""), data: data ? JSON.parse(data) : null };
    });
  return { status: res.status, contentType, events, headers: res.headers };
}

/** The errors of the first `next` event of a stream. */
function streamErrors(o: Outcome): EventError[] {
  const first = o.events?.find((e) => e.event === "next")?.data as { errors?: EventError[] };
  return first?.errors ?? [];
}

const bearer = (m: TestMember) => ({ authorization: `Bearer ${m.token}` });

// ---------------------------------------------------------------------------------------------

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/**
 * Subscribes by a manifest document's id with graphql-sse's own client, which sends the
 * request as given: the id beside an empty text. Resolves once the server listens, with the
 * first result to come and the iterator.
 */
async function subscribeById(target: TestServer, member: TestMember, documentId: string) {
  const client = createClient({
    url: target.streamUrl,
    retryAttempts: 0,
    headers: { authorization: `Bearer ${member.token}` },
  });
  cleanups.push(() => client.dispose());
  const listening = new Promise<void>((resolve) =>
    target.events.on("subscribed", (e: { memberId: string; transport?: string }) => {
      if (e.transport === "sse" && e.memberId === member.id) resolve();
    }),
  );
  const results = client.iterate({ query: "", documentId } as { query: string });
  const first = results.next();
  await listening;
  return { first, results };
}

async function decline(by: TestMember, id: string, message: string | null): Promise<void> {
  const data = ok(await gql(server, DECLINE, { id, message }, by.token));
  expect(data.declineInvitation).toMatchObject({ id, status: "DECLINED" });
}

describe("events over SSE", () => {
  it("ends the subscription when its client goes away: later events go to no one", async () => {
    const [a, b] = [await signUp(server), await signUp(server)];
    const id = await inviteOk(server, a, b.id);
    const gone = await sseSubscribe(server, a, INVITATION_DECLINED);
    const freed = new Promise<void>((resolve) =>
      server.events.on("disconnected", (e: { memberId: string; transport?: string }) => {
        if (e.transport === "sse" && e.memberId === a.id) resolve();
      }),
    );
    gone.close();
    await freed;
    const delivered = async () =>
      (await server.observability.metrics.eventsDelivered.get()).values
        .filter((v) => v.labels.operation === "invitationDeclined")
        .reduce((sum, v) => sum + v.value, 0);
    const before = await delivered();
    // A stream that stays: once it has the event, the one that went away would have had it.
    const stays = await sseSubscribe(server, a, INVITATION_DECLINED);
    await decline(b, id, null);
    expect(await stays.next()).toMatchObject({ invitation: { id } });
    await new Promise((resolve) => setImmediate(resolve));
    expect((await delivered()) - before).toBe(1);
    expect(gone.events).toEqual([]);
  });

  it("a decline reaches the sender at once, with its message, and no one else", async () => {
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];
    const id = await inviteOk(server, a, b.id, "Hi there");
    const aDeclined = await sseSubscribe(server, a, INVITATION_DECLINED);
    const aNotes = await sseSubscribe(server, a, NOTIFICATION_ADDED);
    const bNotes = await sseSubscribe(server, b, NOTIFICATION_ADDED);
    const cDeclined = await sseSubscribe(server, c, INVITATION_DECLINED);

    await decline(b, id, "Sorry, I only connect with people I know");

    expect(await aDeclined.next()).toEqual({
      invitation: {
        id,
        status: "DECLINED",
        responseMessage: "Sorry, I only connect with people I know",
      },
      message: "Sorry, I only connect with people I know",
      declinedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(await aNotes.next()).toMatchObject({
      kind: "INVITATION_DECLINED",
      actor: { id: b.id },
      invitation: { id },
    });
    // Fences rather than a wait: each subscription's next event is a later one of its own, so
    // nothing else came before it.
    const e = await signUp(server);
    const fromE = await inviteOk(server, e, b.id);
    expect(await bNotes.next()).toMatchObject({
      kind: "INVITATION_RECEIVED",
      invitation: { id: fromE },
    });
    const cToE = await inviteOk(server, c, e.id);
    await decline(e, cToE, "fence for c");
    expect(await cDeclined.next()).toMatchObject({
      invitation: { id: cToE },
      message: "fence for c",
    });
    const aToE = await inviteOk(server, a, e.id);
    await decline(e, aToE, "fence for a");
    expect(await aDeclined.next()).toMatchObject({ invitation: { id: aToE } });
    expect([aDeclined, bNotes, cDeclined].map((s) => s.events.length)).toEqual([2, 1, 1]);
  });

  it("an ignore sends nothing to anyone; a later decline is the first thing the sender gets", async () => {
    const [a, b, d] = [await signUp(server), await signUp(server), await signUp(server)];
    const id = await inviteOk(server, a, b.id, "Let's connect");
    const aDeclined = await sseSubscribe(server, a, INVITATION_DECLINED);
    const aNotes = await sseSubscribe(server, a, NOTIFICATION_ADDED);
    const bNotes = await sseSubscribe(server, b, NOTIFICATION_ADDED);

    const data = ok(await gql(server, IGNORE, { id }, b.token));
    expect(data.ignoreInvitation).toEqual({ id, status: "IGNORED" });

    // Events to a member arrive in order: the decline after the ignore is the first one.
    const toD = await inviteOk(server, a, d.id);
    await decline(d, toD, "No thanks");
    expect(await aDeclined.next()).toMatchObject({ invitation: { id: toD }, message: "No thanks" });
    expect(await aNotes.next()).toMatchObject({
      kind: "INVITATION_DECLINED",
      invitation: { id: toD },
    });
    expect(aDeclined.events).toHaveLength(1);
    expect(aNotes.events).toHaveLength(1);
    // And the recipient's own first event is the next invitation she receives.
    const fromD = await inviteOk(server, d, b.id);
    expect(await bNotes.next()).toMatchObject({
      kind: "INVITATION_RECEIVED",
      invitation: { id: fromD },
    });
    expect(bNotes.events).toHaveLength(1);
  });

  it("notificationAdded(after:) replays what was missed, then goes live: no gap, no duplicate", async () => {
    const a = await signUp(server);
    const others = await Promise.all([1, 2, 3, 4].map(() => signUp(server)));
    const ids: string[] = [];
    for (const o of others) ids.push(await inviteOk(server, a, o.id));
    await decline(others[0], ids[0], "first");
    const [first] = (await notificationsOf(server, a)).nodes;
    // Missed while away.
    await decline(others[1], ids[1], "missed 1");
    await decline(others[2], ids[2], "missed 2");

    const notes = await sseSubscribe(server, a, NOTIFICATION_ADDED, { after: first.cursor });
    const replayed = [await notes.next(), await notes.next()];
    expect(replayed.map((n) => n.invitation.id)).toEqual([ids[1], ids[2]]);
    await decline(others[3], ids[3], "live");
    const live = await notes.next();
    expect(live.invitation.id).toBe(ids[3]);
    const stored = (await notificationsOf(server, a)).nodes.reverse();
    expect([first, ...replayed, live].map((n) => n.cursor)).toEqual(stored.map((n) => n.cursor));
  });
});

describe("authentication", () => {
  it("refuses a stream without a token, or with a bad one, with 401 UNAUTHENTICATED", async () => {
    const a = await signUp(server);
    const forged = signToken(a.id, "some-other-secret", "1h");
    const cases: Record<string, string>[] = [
      {},
      { authorization: "Bearer not-a-token" },
      { authorization: `Bearer ${forged}` },
      { authorization: a.token },
    ];
    for (const headers of cases) {
      const o = await streamOnce(server, { query: NOTIFICATION_ADDED }, headers);
      expect(o.status, JSON.stringify(headers)).toBe(401);
      expect(o.json?.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    }
    // As HTTP answers a bad token.
    const overHttp = await gql(server, `{ viewer { id } }`, {}, "not-a-token");
    expect(overHttp.status).toBe(401);
    const o = await streamOnce(
      server,
      { query: NOTIFICATION_ADDED },
      { authorization: "Bearer x" },
    );
    // The same error (HTTP adds a stack trace outside production).
    const { message, extensions } = overHttp.errors![0];
    expect(o.json?.errors).toEqual([{ message, extensions: { code: extensions.code } }]);
  });

  it("graphql-sse's client hears the 401 as an error, not as events", async () => {
    const a = await signUp(server);
    await expect(
      sseSubscribe(server, a, NOTIFICATION_ADDED, undefined, { token: "nope" }),
    ).rejects.toThrow(/NetworkError: Server responded with 401/);
  });

  it("ends the stream when the token expires: an UNAUTHENTICATED event, then complete", async () => {
    const [member, sender] = [await signUp(server), await signUp(server)];
    // JWT expiries are whole seconds: this one ends 2 to 3 seconds from now.
    const token = signToken(member.id, "test-secret", "3s");
    const notes = await sseSubscribe(server, member, NOTIFICATION_ADDED, undefined, { token });
    await inviteOk(server, sender, member.id);
    expect(await notes.next()).toMatchObject({ kind: "INVITATION_RECEIVED" });
    expect(await notes.ended).toBe("complete");
    expect(notes.errors).toEqual([
      { message: "The token is invalid or expired.", extensions: { code: "UNAUTHENTICATED" } },
    ]);
    const again = await streamOnce(
      server,
      { query: NOTIFICATION_ADDED },
      { authorization: `Bearer ${token}` },
    );
    expect(again.status).toBe(401);
  });

  it("ends the stream when the member deletes their account", async () => {
    const member = await signUp(server);
    const notes = await sseSubscribe(server, member, NOTIFICATION_ADDED);
    ok(await gql(server, DELETE_ACCOUNT, { password: member.password }, member.token));
    expect(await notes.ended).toBe("complete");
    expect(notes.errors.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("the request", () => {
  it("takes POST only, answering with an event stream only, JSON only", async () => {
    const a = await signUp(server);
    const get = await streamOnce(server, null, bearer(a), "GET");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(get.json?.errors?.[0].extensions?.code).toBe("BAD_REQUEST");
    const json = await streamOnce(
      server,
      { query: NOTIFICATION_ADDED },
      { ...bearer(a), accept: "application/json" },
    );
    expect(json.status).toBe(406);
    expect(json.json?.errors?.[0].extensions?.code).toBe("BAD_REQUEST");
    const form = await streamOnce(server, "query=x", {
      ...bearer(a),
      "content-type": "text/plain",
    });
    expect(form.status).toBe(415);
    expect(form.json?.errors?.[0].extensions?.code).toBe("BAD_REQUEST");
    const notJson = await streamOnce(server, "{", bearer(a));
    expect(notJson.status).toBe(400);
    expect(notJson.json?.errors?.[0]).toEqual({
      message: "The request body is not valid JSON.",
      extensions: { code: "BAD_REQUEST" },
    });
    for (const body of [
      [{ query: NOTIFICATION_ADDED }],
      {},
      { query: NOTIFICATION_ADDED, variables: [1] },
    ]) {
      const o = await streamOnce(server, body, bearer(a));
      expect(o.status, JSON.stringify(body)).toBe(400);
      expect(o.json?.errors?.[0].extensions?.code).toBe("BAD_REQUEST");
    }
  });

  it("refuses a body over BODY_LIMIT with 413, as /graphql does", async () => {
    const a = await signUp(server);
    const big = { query: NOTIFICATION_ADDED, variables: { after: "x".repeat(200_000) } };
    const o = await streamOnce(server, big, bearer(a));
    expect(o.status).toBe(413);
    expect(o.json?.errors?.[0].extensions?.code).toBe("BAD_REQUEST");
    const overHttp = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(a), origin: "http://x.test" },
      body: JSON.stringify(big),
    });
    expect(overHttp.status).toBe(413);
  });

  it("admits the origins CORS admits for /graphql, and refuses the others", async () => {
    const a = await signUp(server);
    const own = new URL(server.url).origin;
    const preflight = await fetch(server.streamUrl, {
      method: "OPTIONS",
      headers: {
        origin: own,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(own);
    const foreignPreflight = await fetch(server.streamUrl, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(foreignPreflight.status).toBe(403);
    const foreign = await streamOnce(
      server,
      { query: NOTIFICATION_ADDED },
      {
        ...bearer(a),
        origin: "https://evil.example",
      },
    );
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the operation pipeline", () => {
  /** The same document over SSE and over WS: the same errors, code and message alike. */
  async function sameAsOverWs(member: TestMember, query: string, variables = {}) {
    const o = await streamOnce(server, { query, variables }, bearer(member));
    expect(o.status).toBe(200);
    expect(o.contentType).toMatch(/^text\/event-stream/);
    expect(o.events?.map((e) => e.event)).toEqual(["next", "complete"]);
    const overWs = wsErrors(await wsOnce(server, member.token, query, variables));
    expect(streamErrors(o)).toEqual(overWs);
    return streamErrors(o);
  }

  it("refuses an invalid document, one over the depth limit, one that does not parse, as over WS", async () => {
    const a = await signUp(server);
    const invalid = await sameAsOverWs(a, `subscription { notificationAdded { nope } }`);
    expect(invalid[0].extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const deep = `subscription { notificationAdded { invitation { sender { connections { edges {
      node { connections { edges { node { connections { edges { node { id } } } } } } } } } } } } }`;
    const tooDeep = await sameAsOverWs(a, deep);
    expect(tooDeep[0].extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(tooDeep[0].message).toMatch(/fields deep/);
    const broken = await sameAsOverWs(a, `subscription { notificationAdded {`);
    expect(broken[0].extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    const badCursor = await sameAsOverWs(a, NOTIFICATION_ADDED, { after: "not a cursor" });
    expect(badCursor[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("streams subscriptions only: a query or a mutation is refused and never runs", async () => {
    const [a, b] = [await signUp(server), await signUp(server)];
    const query = await streamOnce(server, { query: `{ viewer { id } }` }, bearer(a));
    expect(query.status).toBe(200);
    expect(query.events?.map((e) => e.event)).toEqual(["next", "complete"]);
    expect(streamErrors(query)).toEqual([
      {
        message:
          "A query is not run at /graphql/stream, which streams subscriptions only: send it to /graphql.",
        extensions: { code: "BAD_REQUEST" },
      },
    ]);
    expect((query.events?.[0].data as { data?: unknown }).data).toBeUndefined();
    const id = await inviteOk(server, b, a.id);
    const mutation = await streamOnce(
      server,
      { query: DECLINE, variables: { id, message: "over SSE" } },
      bearer(a),
    );
    expect(streamErrors(mutation)[0].extensions?.code).toBe("BAD_REQUEST");
    expect(streamErrors(mutation)[0].message).toMatch(/^A mutation .* send it to \/graphql\.$/);
    const stillPending = await gql(server, `{ viewer { id } }`, {}, a.token);
    expect(codeOf(stillPending)).toBeUndefined();
    const received = ok(
      await gql(
        server,
        `{ receivedInvitations(first: 5) { edges { node { id status } } } }`,
        {},
        a.token,
      ),
    );
    expect(received.receivedInvitations.edges).toEqual([{ node: { id, status: "PENDING" } }]);
  });
});

describe("persisted documents", () => {
  it('runs a subscription sent by its id beside `query: ""`, and refuses an unknown id', async () => {
    const [a, b] = [await signUp(server), await signUp(server)];
    const manifest = JSON.parse(
      readFileSync(join(__dirname, "..", "schema", "trusted-documents.json"), "utf8"),
    ) as Record<string, string>;
    const [documentId] = Object.entries(manifest).find(([, text]) =>
      /^\s*subscription OnInvitationDeclined\b/.test(text),
    )!;
    const id = await inviteOk(server, a, b.id);
    const { first, results } = await subscribeById(server, a, documentId);
    await decline(b, id, "by id");
    expect((await first).value).toMatchObject({
      data: { invitationDeclined: { invitation: { id }, message: "by id" } },
    });
    await results.return?.();

    const unknownId = `sha256:${"0".repeat(64)}`;
    const unknown = await streamOnce(server, { query: "", documentId: unknownId }, bearer(a));
    expect(streamErrors(unknown).map((e) => e.extensions?.code)).toEqual([
      "PERSISTED_QUERY_NOT_FOUND",
    ]);
    // The id alone is enough, as over HTTP.
    const alone = await streamOnce(server, { documentId: unknownId }, bearer(a));
    expect(streamErrors(alone).map((e) => e.extensions?.code)).toEqual([
      "PERSISTED_QUERY_NOT_FOUND",
    ]);
  });

  it("with TRUSTED_DOCUMENTS=only, refuses a text (even one that does not parse) and serves ids", async () => {
    const only = await startTestServer({
      sqlitePath: server.sqlitePath,
      env: { TRUSTED_DOCUMENTS: "only" },
    });
    try {
      const member = await signUp(server);
      for (const query of [NOTIFICATION_ADDED, "subscription { not a document"]) {
        const text = await streamOnce(only, { query }, bearer(member));
        expect(streamErrors(text).map((e) => e.extensions?.code)).toEqual([
          "PERSISTED_QUERY_NOT_FOUND",
        ]);
      }
      const manifest = JSON.parse(
        readFileSync(join(__dirname, "../schema/trusted-documents.json"), "utf8"),
      ) as Record<string, string>;
      const [documentId] = Object.entries(manifest).find(([, text]) =>
        /^\s*subscription NotificationAdded\b/.test(text),
      )!;
      const { first, results } = await subscribeById(only, member, documentId);
      // The invitation through the same server (without Redis, events stay in their process),
      // by the example client's own Send document.
      const other = await signUp(server);
      const [sendId] = Object.entries(manifest).find(([, text]) =>
        /^\s*mutation Send\b/.test(text),
      )!;
      const sent = await fetch(only.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(other) },
        body: JSON.stringify({
          documentId: sendId,
          variables: { input: { recipientId: member.id, message: "by id, only" } },
        }),
      });
      const id = (
        (await sent.json()) as { data: { sendInvitation: { invitation: { id: string } } } }
      ).data.sendInvitation.invitation.id;
      expect((await first).value).toMatchObject({
        data: { notificationAdded: { kind: "INVITATION_RECEIVED", invitation: { id } } },
      });
      await results.return?.();
    } finally {
      await only.stop();
    }
  });
});

describe("connections per member (WS_MAX_CONNECTIONS_PER_MEMBER=2)", () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ env: { WS_MAX_CONNECTIONS_PER_MEMBER: "2" } });
  });
  afterAll(() => small?.stop());

  /** One more stream request of `member`, answered or refused (its response, unread). */
  const openStream = (target: TestServer, member: TestMember) =>
    fetch(target.streamUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        ...bearer(member),
      },
      body: JSON.stringify({ query: NOTIFICATION_ADDED }),
    });

  it("opens 2 streams and refuses the 3rd with 429 RATE_LIMITED, until one ends", async () => {
    const [member, other] = [await signUp(small), await signUp(small)];
    const first = await sseSubscribe(small, member, NOTIFICATION_ADDED);
    await sseSubscribe(small, member, INVITATION_RECEIVED);
    const third = await openStream(small, member);
    expect(third.status).toBe(429);
    expect(await third.json()).toEqual({
      errors: [
        {
          message:
            "At most 2 connections (WebSockets and event streams) per member at once; close one first.",
          extensions: { code: "RATE_LIMITED", limit: 2 },
        },
      ],
    });
    // Another member is not concerned.
    await sseSubscribe(small, other, NOTIFICATION_ADDED);
    // Once one ends, its slot is free again.
    const freed = new Promise<void>((resolve) =>
      small.events.on("disconnected", (e: { memberId: string; transport?: string }) => {
        if (e.transport === "sse" && e.memberId === member.id) resolve();
      }),
    );
    first.close();
    await freed;
    await sseSubscribe(small, member, NOTIFICATION_ADDED);
  });

  it("counts WebSockets and event streams together", async () => {
    const member = await signUp(small);
    await subscribeWs(small, member.token, NOTIFICATION_ADDED);
    await sseSubscribe(small, member, NOTIFICATION_ADDED);
    // The limit is reached over both transports: neither opens a third connection.
    const stream = await openStream(small, member);
    expect(stream.status).toBe(429);
    await stream.body?.cancel();
    expect(await connectRaw(small, { authorization: `Bearer ${member.token}` })).toBe(4429);
  });
});

describe("shutdown", () => {
  it("stop() ends open streams without `complete`, at once", async () => {
    const own = await startTestServer();
    const member = await signUp(own);
    const notes = await sseSubscribe(own, member, NOTIFICATION_ADDED);
    const start = Date.now();
    await own.stop();
    // Well under the drain's grace period: the streams did not hold it.
    expect(Date.now() - start).toBeLessThan(5_000);
    const how = await notes.ended;
    // A dropped connection to the client, which retries (here it may not: retryAttempts 0).
    expect(how).toBeInstanceOf(NetworkError);
    expect(notes.errors).toEqual([]);
  });
});

describe("a client behind a proxy that refuses WebSocket upgrades", () => {
  let proxy: Server;
  let proxyUrl: string;
  beforeAll(async () => {
    proxy = plainHttpProxy(new URL(server.url));
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  });

  it("cannot open a WebSocket, and gets the decline over SSE", async () => {
    const [a, b] = [await signUp(server), await signUp(server)];
    const id = await inviteOk(server, a, b.id);
    const overWs = await new Promise<unknown>((resolve) => {
      const client = createWsClient({
        url: `${proxyUrl.replace(/^http/, "ws")}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${a.token}` },
      });
      client.subscribe(
        { query: NOTIFICATION_ADDED },
        {
          next: () => undefined,
          error: (err) => {
            void client.dispose();
            resolve(err);
          },
          complete: () => resolve("complete"),
        },
      );
    });
    expect(overWs).toMatchObject({ message: "Unexpected server response: 403" });

    const declined = await sseSubscribe(server, a, INVITATION_DECLINED, undefined, {
      url: `${proxyUrl}/graphql/stream`,
    });
    await decline(b, id, "Not this time");
    expect(await declined.next()).toMatchObject({ invitation: { id }, message: "Not this time" });
  });
});

/**
 * An HTTP proxy that forwards plain requests to `target` (streaming both ways) and answers
 * every upgrade with 403, as some corporate proxies do.
 */
function plainHttpProxy(target: URL): Server {
  const proxy = createServer((req, res) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  proxy.on("upgrade", (_req, socket) => {
    socket.end("HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  });
  return proxy;
}
