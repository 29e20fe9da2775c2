/**
 * Trusted documents (docs/trusted-documents.md), over real HTTP and a real WebSocket: with
 * TRUSTED_DOCUMENTS=only the server answers the manifest's documents (by id, or as their
 * exact text) and refuses anything else with 400 PERSISTED_QUERY_NOT_FOUND before any parse,
 * on the fast path, through Express, on GET and over graphql-ws; an unknown id is refused in
 * both modes; `allow` serves ids and texts; a document sent by id still meets every limit;
 * Apollo's persisted-query registration adds nothing.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { TrustedDocuments } from "../src/transport/trusted-documents";
import * as operations from "../web/src/operations";
import { gql, signUp, type TestMember } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

const MANIFEST: Record<string, string> = JSON.parse(
  readFileSync(join(__dirname, "../schema/trusted-documents.json"), "utf8"),
);

const idOf = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const hexOf = (text: string) => idOf(text).slice("sha256:".length);

/** An operation no first-party client sends. */
const AD_HOC = `query { viewer { id name } }`;
/** An id no document has. */
const UNKNOWN_ID = `sha256:${"0".repeat(64)}`;

interface Answer {
  status: number;
  // Checked field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** Accept headers: GraphQL over HTTP's own type, and plain JSON only. */
const GRAPHQL_RESPONSE = "application/graphql-response+json, application/json";
const JSON_ONLY = "application/json";

/**
 * POSTs a body as given. `origin` sends it as a browser page would, which takes it through
 * Express; without one (and with a declared length) it takes the fast path, and this checks
 * which path served it.
 */
async function post(
  server: TestServer,
  body: object,
  opts: { token?: string; origin?: string; accept?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: opts.accept ?? GRAPHQL_RESPONSE,
  };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.origin) headers.origin = opts.origin;
  const before = server.fastPathCount();
  const res = await fetch(server.url, { method: "POST", headers, body: JSON.stringify(body) });
  expect(server.fastPathCount() - before, "the path taken").toBe(opts.origin ? 0 : 1);
  // Outside production an error carries its stack, whose last frames name the path taken.
  const text = await res.text();
  const parsed = JSON.parse(text, (key, value) => (key === "stacktrace" ? "(a stack)" : value));
  return { status: res.status, body: parsed };
}

/** GET /graphql with these URL parameters (and Apollo's CSRF header). */
async function get(server: TestServer, params: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${server.url}?${new URLSearchParams(params)}`, {
    headers: { accept: GRAPHQL_RESPONSE, "apollo-require-preflight": "1" },
  });
  return { status: res.status, body: await res.json() };
}

const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

function expectNotFound(answer: Answer): void {
  expect(answer.status).toBe(400);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toHaveLength(1);
  expect(answer.body.errors[0].message).toBe("PersistedQueryNotFound");
  expect(codeOf(answer)).toBe("PERSISTED_QUERY_NOT_FOUND");
}

/**
 * Subscribes over graphql-ws with this payload; resolves with the first event's data once one
 * comes, or with the errors the server refused the operation with. `listening` runs once the
 * server says the subscription listens.
 */
function subscribeWith(
  server: TestServer,
  token: string,
  payload: Record<string, unknown>,
  listening: () => Promise<unknown> = async () => {},
): Promise<{ data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const client = createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  return new Promise((resolve, reject) => {
    const onSubscribed = () => void listening().catch(reject);
    server.events.once("subscribed", onSubscribed);
    const done = (result: Awaited<ReturnType<typeof subscribeWith>>) => {
      server.events.off("subscribed", onSubscribed);
      void client.dispose();
      resolve(result);
    };
    // graphql-ws passes the whole payload through (documentId is not in its type).
    client.subscribe(payload as { query: string }, {
      next: (result) =>
        done(result.errors ? { errors: result.errors as never } : { data: result.data }),
      error: (err) =>
        Array.isArray(err) ? done({ errors: err }) : reject(new Error(`socket: ${String(err)}`)),
      complete: () => reject(new Error("completed without an event")),
    });
  });
}

/** Signs up through the example client's own sign-up, by id. */
async function signUpById(server: TestServer, name: string): Promise<TestMember> {
  const email = `${name.toLowerCase().replace(/\W/g, "")}-${Date.now()}@example.com`;
  const password = "correct horse battery";
  const answer = await post(server, {
    documentId: idOf(operations.SIGN_UP),
    variables: { input: { name, email, password } },
  });
  expect(answer.body.errors).toBeUndefined();
  const { token, member } = answer.body.data.signUp;
  return { token, id: member.id, email, password, name };
}

describe("the manifest", () => {
  it("holds every operation of the example client, under the hash of its exact text", () => {
    const texts = Object.values(operations);
    expect(texts.length).toBeGreaterThan(10);
    for (const text of texts) expect(MANIFEST[idOf(text)]).toBe(text);
  });

  it("is refused at start-up when an id is not the hash of its document", () => {
    const file = join(mkdtempSync(join(tmpdir(), "trusted-")), "manifest.json");
    writeFileSync(file, JSON.stringify({ [UNKNOWN_ID]: AD_HOC }));
    expect(() => TrustedDocuments.load(file, "only")).toThrow(/not "sha256:"/);
    writeFileSync(file, "[]");
    expect(() => TrustedDocuments.load(file, "only")).toThrow(/not a JSON object/);
    expect(() => TrustedDocuments.load(join(file, "missing"), "allow")).toThrow(/cannot be read/);
  });
});

describe("TRUSTED_DOCUMENTS=only", () => {
  let server: TestServer;
  let ada: TestMember;
  let bob: TestMember;
  let origin: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: { TRUSTED_DOCUMENTS: "only", LOGIN_MAX_PER_EMAIL: "3" },
    });
    origin = new URL(server.url).origin;
    ada = await signUpById(server, "Ada Only");
    bob = await signUpById(server, "Bob Only");
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses an ad-hoc query with 400 on the fast path, through Express and on GET", async () => {
    const token = ada.token;
    expectNotFound(await post(server, { query: AD_HOC }, { token }));
    // A client that accepts only application/json gets 400 too (not 200, as for a parse error).
    expectNotFound(await post(server, { query: AD_HOC }, { token, accept: JSON_ONLY }));
    const viaExpress = await post(server, { query: AD_HOC }, { token, origin });
    expectNotFound(viaExpress);
    expectNotFound(await post(server, { query: AD_HOC }, { token, origin, accept: JSON_ONLY }));
    expectNotFound(await get(server, { query: AD_HOC }));
    // The same answer both ways.
    expect(viaExpress).toEqual(await post(server, { query: AD_HOC }, { token }));
  });

  it("refuses an ad-hoc subscription over graphql-ws", async () => {
    const result = await subscribeWith(server, ada.token, {
      query: `subscription { notificationAdded { id } }`,
    });
    expect(result.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ["PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND"],
    ]);
  });

  it("never parses a refused text: a huge document that does not parse is not found", async () => {
    const garbage = "{".repeat(90_000);
    expectNotFound(await post(server, { query: garbage }));
    expectNotFound(await post(server, { query: garbage }, { origin }));
    // Under the socket's message limit (WS_MAX_MESSAGE_BYTES, 64 KiB).
    const overWs = await subscribeWith(server, ada.token, { query: garbage.slice(0, 60_000) });
    expect(overWs.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("runs every operation of the example client by id, over HTTP and graphql-ws", async () => {
    // An invitation from Bob to Ada and Ada's notification of it, for the operations that act.
    const sent = await post(
      server,
      { documentId: idOf(operations.SEND), variables: { input: { recipientId: ada.id } } },
      { token: bob.token },
    );
    const invitationId = sent.body.data.sendInvitation.invitation.id;
    const variables: Record<keyof typeof operations, Record<string, unknown> | null> = {
      LOG_IN: { email: ada.email, password: ada.password },
      VERIFY_EMAIL: { token: "not-a-token" },
      HOME: {},
      NOTIFICATIONS: {},
      ACCEPT: { id: invitationId, message: "Hello" },
      IGNORE: { id: invitationId },
      DECLINE: { id: invitationId },
      NOTIFICATION_ADDED: null, // over graphql-ws, below
      SIGN_UP: {
        input: { name: "Cy", email: `cy-${Date.now()}@example.com`, password: "pw-pw-pw-pw" },
      },
      SEARCH: { search: "Bob" },
      SEND: { input: { recipientId: bob.id } },
      RECEIVED: { filter: { status: "PENDING" }, orderBy: "NEWEST" },
      SETTINGS: {},
      SAVE_SETTINGS: { settings: { reminders: true }, preferences: [] },
      REPORT: { id: invitationId },
      BLOCK: { id: bob.id },
      UNBLOCK: { id: bob.id },
      BLOCKED: {},
    };
    for (const [name, text] of Object.entries(operations)) {
      const vars = variables[name as keyof typeof operations];
      if (vars === null) continue;
      const answer = await post(
        server,
        { documentId: idOf(text), variables: vars },
        { token: ada.token },
      );
      // The document ran: any error is the operation's own (a bad token, a state conflict).
      expect(answer.status, name).toBe(200);
      expect("data" in answer.body, name).toBe(true);
      for (const error of answer.body.errors ?? []) {
        expect(["NOT_FOUND", "CONFLICT", "BAD_USER_INPUT"], `${name}: ${error.message}`).toContain(
          error.extensions?.code,
        );
      }
    }

    // The subscription the page opens: `query: ""` and the id, as graphql-ws requires.
    const cursor = null;
    const event = await subscribeWith(
      server,
      bob.token,
      { query: "", documentId: idOf(operations.NOTIFICATION_ADDED), variables: { after: cursor } },
      () =>
        post(
          server,
          { documentId: idOf(operations.SEND), variables: { input: { recipientId: bob.id } } },
          { token: ada.token },
        ),
    );
    expect(event.errors).toBeUndefined();
    expect(event.data).toMatchObject({ notificationAdded: { kind: expect.any(String) } });
  });

  it("takes Apollo's persisted-query extension, on POST, GET and graphql-ws", async () => {
    const persistedQuery = { version: 1, sha256Hash: hexOf(operations.BLOCKED) };
    const byPost = await post(server, { extensions: { persistedQuery } }, { token: ada.token });
    expect(byPost.body).toEqual({ data: { blockedMembers: [] } });
    const byGet = await fetch(
      `${server.url}?${new URLSearchParams({ extensions: JSON.stringify({ persistedQuery }) })}`,
      { headers: { authorization: `Bearer ${ada.token}`, "apollo-require-preflight": "1" } },
    );
    expect(await byGet.json()).toEqual({ data: { blockedMembers: [] } });
    // GET with a documentId too.
    const res = await fetch(
      `${server.url}?${new URLSearchParams({ documentId: idOf(operations.BLOCKED) })}`,
      { headers: { authorization: `Bearer ${ada.token}`, "apollo-require-preflight": "1" } },
    );
    expect(await res.json()).toEqual({ data: { blockedMembers: [] } });
    // Over graphql-ws, a subscription's id in the extension: it listens (no refusal).
    const listening = new Promise((resolve) => server.events.once("subscribed", resolve));
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${ada.token}` },
    });
    const stop = client.subscribe(
      {
        query: "",
        extensions: {
          persistedQuery: { version: 1, sha256Hash: hexOf(operations.NOTIFICATION_ADDED) },
        },
      },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    await listening;
    stop();
    await client.dispose();
  });

  it("serves a manifest document sent as its exact text, and nothing one character off", async () => {
    const exact = await post(server, { query: operations.BLOCKED }, { token: ada.token });
    expect(exact.body).toEqual({ data: { blockedMembers: [] } });
    expectNotFound(await post(server, { query: operations.BLOCKED + " " }, { token: ada.token }));
  });

  it("refuses an unknown id however it is sent", async () => {
    expectNotFound(await post(server, { documentId: UNKNOWN_ID }));
    expectNotFound(await post(server, { documentId: UNKNOWN_ID }, { origin }));
    expectNotFound(await post(server, { documentId: 42 }));
    expectNotFound(await post(server, { documentId: hexOf(operations.BLOCKED) })); // no prefix
    expectNotFound(
      await post(server, { extensions: { persistedQuery: { version: 1, sha256Hash: "f00" } } }),
    );
    expectNotFound(await get(server, { documentId: UNKNOWN_ID }));
    // Two ids that disagree name no document.
    expectNotFound(
      await post(server, {
        documentId: idOf(operations.BLOCKED),
        extensions: { persistedQuery: { version: 1, sha256Hash: hexOf(operations.HOME) } },
      }),
    );
    const overWs = await subscribeWith(server, ada.token, { query: "", documentId: UNKNOWN_ID });
    expect(overWs.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("refuses a known id with another text as a bad request", async () => {
    const answer = await post(server, { documentId: idOf(operations.BLOCKED), query: AD_HOC });
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe("BAD_REQUEST");
    const overWs = await subscribeWith(server, ada.token, {
      query: AD_HOC,
      documentId: idOf(operations.NOTIFICATION_ADDED),
    });
    expect(overWs.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
  });

  it("registers nothing through Apollo's persisted queries", async () => {
    const persistedQuery = { version: 1, sha256Hash: hexOf(AD_HOC) };
    // Apollo's registration: the text with its hash.
    expectNotFound(
      await post(server, { query: AD_HOC, extensions: { persistedQuery } }, { token: ada.token }),
    );
    expectNotFound(
      await post(
        server,
        { query: AD_HOC, extensions: { persistedQuery } },
        { token: ada.token, origin },
      ),
    );
    // The hash alone afterwards: still unknown.
    expectNotFound(await post(server, { extensions: { persistedQuery } }, { token: ada.token }));
  });

  it("puts a document sent by id through the limits: logIn's per-email limit", async () => {
    const logIn = (password: string) =>
      post(server, {
        documentId: idOf(operations.LOG_IN),
        variables: { email: bob.email, password },
      });
    for (let i = 0; i < 3; i++)
      expect(codeOf(await logIn("wrong password"))).toBe("UNAUTHENTICATED");
    const limited = await logIn(bob.password);
    expect(limited.status).toBe(429);
    expect(codeOf(limited)).toBe("RATE_LIMITED");
  });
});

describe("TRUSTED_DOCUMENTS=allow (the default)", () => {
  let server: TestServer;
  let ada: TestMember;

  beforeAll(async () => {
    server = await startTestServer();
    ada = await signUp(server, { name: "Ada Allow" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("serves ad-hoc texts and ids alike", async () => {
    const adHoc = await post(server, { query: AD_HOC }, { token: ada.token });
    expect(adHoc.body).toEqual({ data: { viewer: { id: ada.id, name: "Ada Allow" } } });
    const byId = await post(
      server,
      { documentId: idOf(operations.BLOCKED) },
      { token: ada.token, origin: new URL(server.url).origin },
    );
    expect(byId.body).toEqual({ data: { blockedMembers: [] } });
    const text = await gql(server, operations.BLOCKED, {}, ada.token);
    expect(text.data).toEqual({ blockedMembers: [] });
  });

  it("parses a text: the same garbage is a parse error here", async () => {
    const answer = await post(server, { query: "{".repeat(90_000) });
    expect(codeOf(answer)).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("refuses an unknown id, and serves the text sent with it without keeping it", async () => {
    expectNotFound(await post(server, { documentId: UNKNOWN_ID }));
    const persistedQuery = { version: 1, sha256Hash: hexOf(AD_HOC) };
    expectNotFound(await post(server, { extensions: { persistedQuery } }, { token: ada.token }));
    // Apollo's second request after a miss: the text with its hash. Served...
    const registered = await post(
      server,
      { query: AD_HOC, extensions: { persistedQuery } },
      { token: ada.token },
    );
    expect(registered.body.data.viewer.id).toBe(ada.id);
    // ...and not kept.
    expectNotFound(await post(server, { extensions: { persistedQuery } }, { token: ada.token }));
    const overWs = await subscribeWith(server, ada.token, { query: "", documentId: UNKNOWN_ID });
    expect(overWs.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});
