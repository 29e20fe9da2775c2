import { getIntrospectionQuery } from "graphql";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { query } from "../src/db/sql";
import { codeOf, gql, ok, signUp, type GqlResult, type TestMember } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe } from "./helpers/ws";

// Depth, alias, token and cost limits, over HTTP and over WebSocket alike; body size,
// batching, CSRF prevention; introspection and error masking in production (docs/security.md:
// "Query limits", "Request bodies", "Production mode").

const servers: TestServer[] = [];
async function serverWith(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer({ env });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await closeAll();
  for (const s of sockets.splice(0)) s.terminate();
});

afterAll(async () => {
  await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
});

// ---------------------------------------------------------------------------------------------
// A bare graphql-transport-ws socket, to see each message and close code as sent.

const sockets: WebSocket[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Message = any;

interface RawSocket {
  messages: Message[];
  send(message: object): void;
  /** The first message (already received or coming) that `match`es; rejects on close. */
  next(match: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
}

/** Opens a socket, sends connection_init with the token and waits for the ack. */
async function openSocket(server: TestServer, token: string): Promise<RawSocket> {
  const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
  sockets.push(socket);
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  let closed: { code: number } | null = null;
  const wake = () => waiters.forEach((w) => w());
  socket.on("message", (raw) => {
    messages.push(JSON.parse(String(raw)));
    wake();
  });
  socket.on("close", (code) => {
    closed = { code };
    wake();
  });
  const raw: RawSocket = {
    messages,
    send: (message) => socket.send(JSON.stringify(message)),
    next: (match, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) done(() => resolve(found));
          else if (closed) done(() => reject(new Error(`socket closed ${closed!.code}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no such message in ${timeoutMs} ms`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
  };
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  raw.send({ type: "connection_init", payload: { authorization: `Bearer ${token}` } });
  await raw.next((m) => m.type === "connection_ack");
  return raw;
}

let nextId = 0;

/** Sends one operation and resolves with its first `next` or `error` message. */
async function overWs(
  socket: RawSocket,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Message> {
  const id = String(++nextId);
  socket.send({ id, type: "subscribe", payload: { query, variables } });
  return socket.next((m) => m.id === id && (m.type === "next" || m.type === "error"));
}

/** The errors of a WS answer: an `error` message's payload or a `next` message's errors. */
function wsErrors(message: Message): Message[] {
  return message.type === "error" ? message.payload : (message.payload.errors ?? []);
}

/** What a client can rely on in a limit error: its code and the limit's numbers. */
function limitOf(error: Message) {
  const { code, limit, max, found } = error?.extensions ?? {};
  return { code, limit, max, found };
}

/** A response body as JSON, for the checks below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function jsonOf(res: Response): Promise<any> {
  return res.json();
}

function firstError(res: GqlResult) {
  return res.errors?.[0];
}

// ---------------------------------------------------------------------------------------------

describe("with small limits configured", () => {
  let server: TestServer;
  let member: TestMember;
  let socket: RawSocket;

  beforeAll(async () => {
    server = await serverWith({
      QUERY_MAX_DEPTH: "4",
      QUERY_MAX_ALIASES: "3",
      QUERY_MAX_TOKENS: "300",
      QUERY_MAX_COST: "100",
      BODY_LIMIT: "4kb",
    });
    member = await signUp(server);
  });

  beforeEach(async () => {
    socket = await openSocket(server, member.token);
  });

  /** Expects the same refusal over HTTP (400) and over WebSocket, for the same text. */
  async function refusedBoth(
    query: string,
    expected: { code: string; limit?: string; max?: number; found?: number },
    variables: Record<string, unknown> = {},
  ) {
    const http = await gql(server, query, variables, member.token);
    expect(http.status, JSON.stringify(http.errors)).toBe(400);
    expect(http.data).toBeNull();
    expect(http.errors).toHaveLength(1);
    const ws = wsErrors(await overWs(socket, query, variables));
    expect(ws).toHaveLength(1);
    for (const error of [firstError(http), ws[0]]) {
      expect(limitOf(error)).toEqual({
        limit: undefined,
        max: undefined,
        found: undefined,
        ...expected,
      });
      // The HTTP status stays on HTTP: nothing of it leaks into the error's extensions.
      expect(error.extensions.http).toBeUndefined();
    }
    expect(ws[0].message).toBe(firstError(http).message);
  }

  /** Expects the text to pass every limit: over HTTP no error at all. */
  async function accepted(query: string, variables: Record<string, unknown> = {}) {
    const res = await gql(server, query, variables, member.token);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.status).toBe(200);
    return res.data;
  }

  describe("depth (QUERY_MAX_DEPTH=4)", () => {
    it("accepts an operation exactly 4 fields deep", async () => {
      const data = await accepted(`{ viewer { connections { edges { cursor } } } }`);
      expect(data.viewer.connections.edges).toEqual([]);
    });

    it("refuses 5 deep, naming the limit and the depth found", async () => {
      await refusedBoth(`{ viewer { connections { edges { node { id } } } } }`, {
        code: "GRAPHQL_VALIDATION_FAILED",
        limit: "depth",
        max: 4,
        found: 5,
      });
    });

    it("counts through named and inline fragments", async () => {
      await refusedBoth(
        `query { viewer { ...C } }
         fragment C on Member { connections { ... on MemberConnection { edges { node { id } } } } }`,
        { code: "GRAPHQL_VALIDATION_FAILED", limit: "depth", max: 4, found: 5 },
      );
    });

    it("counts a subscription like any operation", async () => {
      await refusedBoth(
        `subscription { notificationAdded { invitation { sender { connections { totalCount } } } } }`,
        { code: "GRAPHQL_VALIDATION_FAILED", limit: "depth", max: 4, found: 5 },
      );
    });
  });

  describe("aliases (QUERY_MAX_ALIASES=3)", () => {
    it("accepts 3", async () => {
      const data = await accepted(`{ a: viewer { id } b: viewer { id } c: viewer { name } }`);
      expect(data.a.id).toBe(member.id);
    });

    it("refuses 4", async () => {
      await refusedBoth(`{ a: viewer { id } b: viewer { id } c: viewer { id } d: viewer { id } }`, {
        code: "GRAPHQL_VALIDATION_FAILED",
        limit: "aliases",
        max: 3,
        found: 4,
      });
    });

    it("counts a fragment each time it is spread", async () => {
      await refusedBoth(
        `query { viewer { ...Two } also: viewer { ...Two } }
         fragment Two on Member { x: id y: name }`,
        { code: "GRAPHQL_VALIDATION_FAILED", limit: "aliases", max: 3, found: 5 },
      );
    });
  });

  describe("tokens (QUERY_MAX_TOKENS=300)", () => {
    it("refuses a longer document as a parse failure, before building it", async () => {
      const query = `{ viewer { ${"id ".repeat(300)} } }`;
      const http = await gql(server, query, {}, member.token);
      expect(http.status).toBe(400);
      expect(codeOf(http)).toBe("GRAPHQL_PARSE_FAILED");
      expect(firstError(http).message).toMatch(/300 tokens/);
      const ws = wsErrors(await overWs(socket, query));
      expect(ws[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
      expect(ws[0].message).toBe(firstError(http).message);
    });

    it("accepts a document just under it", async () => {
      // 283 tokens, and cheap: the list's values are tokens but not fields.
      const relations = "SAME_EMPLOYER ".repeat(270);
      const data = await accepted(
        `{ receivedInvitations(filter: { relations: [${relations}] }) { totalCount } }`,
      );
      expect(data.receivedInvitations.totalCount).toBe(0);
    });
  });

  describe("cost (QUERY_MAX_COST=100; page size 20 by default, 100 at most)", () => {
    // 1 for the list + n × (edges 1 + node 1 + id 1)
    const PAGE = `query ($n: Int) { receivedInvitations(first: $n) { edges { node { id } } } }`;

    it("multiplies a list by `first` given as a variable: 1 + 33 × 3 = 100 passes", async () => {
      await accepted(PAGE, { n: 33 });
    });

    it("... and 1 + 34 × 3 = 103 does not", async () => {
      await refusedBoth(
        PAGE,
        { code: "GRAPHQL_VALIDATION_FAILED", limit: "cost", max: 100, found: 103 },
        { n: 34 },
      );
    });

    it("counts a list without `first` at the default page size (1 + 20 × 3 = 61)", async () => {
      await accepted(`{ receivedInvitations { edges { node { id } } } }`);
    });

    it("counts a bulk mutation by its number of ids (1 + 25 × 4 = 101)", async () => {
      const BULK = `mutation ($ids: [ID!]!) {
        acceptInvitations(ids: $ids) { succeeded { id } failed { id } }
      }`;
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `id-${i}`);
      await refusedBoth(
        BULK,
        { code: "GRAPHQL_VALIDATION_FAILED", limit: "cost", max: 100, found: 101 },
        { ids: ids(25) },
      );
      const data = await accepted(BULK, { ids: ids(24) });
      expect(data.acceptInvitations.failed).toHaveLength(24);
    });

    it("refuses a costly mutation before it runs: nothing is written", async () => {
      const email = `costly-${Date.now()}@example.com`;
      const res = await gql(
        server,
        `mutation ($input: SignUpInput!) {
          signUp(input: $input) { member { connections(first: 100) { totalCount } } }
        }`,
        { input: { name: "Costly", email, password: "correct horse battery" } },
      );
      expect(res.status).toBe(400);
      expect(limitOf(firstError(res))).toEqual({
        code: "GRAPHQL_VALIDATION_FAILED",
        limit: "cost",
        max: 100,
        found: 103,
      });
      const rows = await query(
        server.dataSource,
        `SELECT "id" FROM "member" WHERE "email" = :email`,
        {
          email,
        },
      );
      expect(rows).toEqual([]);
    });

    it("over WebSocket, a subscription within the cost starts", async () => {
      const query = `subscription ($n: Int) {
        notificationAdded { actor { connections(first: $n) { totalCount } } }
      }`;
      // 1 + actor (1 + connections (1 + n × 1)): 100 for n = 97, 101 for n = 98.
      const refused = wsErrors(await overWs(socket, query, { n: 98 }));
      expect(limitOf(refused[0])).toEqual({
        code: "GRAPHQL_VALIDATION_FAILED",
        limit: "cost",
        max: 100,
        found: 101,
      });
      const sub = await subscribe(server, member.token, query, { n: 97 });
      await sub.close();
    });
  });

  describe("the request body (BODY_LIMIT=4kb)", () => {
    it("answers a larger body 413 with a JSON error, and runs nothing", async () => {
      const email = `big-${Date.now()}@example.com`;
      const res = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `mutation ($input: SignUpInput!) { signUp(input: $input) { token } }`,
          variables: {
            input: { name: "n".repeat(4200), email, password: "correct horse battery" },
          },
        }),
      });
      expect(res.status).toBe(413);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      const body = await jsonOf(res);
      expect(body.errors[0].extensions.code).toBe("BAD_REQUEST");
      expect(body.errors[0].message).toMatch(/larger than 4kb/);
      expect(JSON.stringify(body)).not.toMatch(/at |node_modules|Error:/);
      const rows = await query(
        server.dataSource,
        `SELECT "id" FROM "member" WHERE "email" = :email`,
        {
          email,
        },
      );
      expect(rows).toEqual([]);
    });

    it("answers JSON that does not parse 400 with a JSON error, not an HTML page", async () => {
      const res = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"query": "{ viewer { id } }"`,
      });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      const body = await jsonOf(res);
      expect(body.errors[0]).toEqual({
        message: "The request body is not valid JSON.",
        extensions: { code: "BAD_REQUEST" },
      });
    });
  });
});

describe("with the default limits", () => {
  let server: TestServer;
  let member: TestMember;

  beforeAll(async () => {
    server = await serverWith();
    member = await signUp(server);
  });

  it("refuses 11 levels (default QUERY_MAX_DEPTH 10)", async () => {
    const res = await gql(
      server,
      `{ viewer { connections { edges { node { connections { edges { node {
          connections { edges { node { id } } } } } } } } } } }`,
      {},
      member.token,
    );
    expect(limitOf(firstError(res))).toEqual({
      code: "GRAPHQL_VALIDATION_FAILED",
      limit: "depth",
      max: 10,
      found: 11,
    });
  });

  it("refuses 31 aliases (default QUERY_MAX_ALIASES 30)", async () => {
    const fields = Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(" ");
    const res = await gql(server, `{ ${fields} }`);
    expect(limitOf(firstError(res))).toMatchObject({ limit: "aliases", max: 30, found: 31 });
  });

  it("refuses the 100 × 100 fan-out of nested lists (default QUERY_MAX_COST 5000)", async () => {
    const res = await gql(
      server,
      `{ members(search: "a", first: 100) { edges { node { connections(first: 100) {
          edges { node { id } } } } } } }`,
      {},
      member.token,
    );
    expect(limitOf(firstError(res))).toMatchObject({ limit: "cost", max: 5000 });
    expect(firstError(res).extensions.found).toBeGreaterThan(30_000);
  });

  it("lets the full introspection query through: introspection is not counted for depth", async () => {
    // Apollo Sandbox's and codegen's query is 15 levels deep (graphql-js bounds its lists).
    const res = await gql(server, getIntrospectionQuery({ descriptions: true }));
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema.queryType.name).toBe("Query");
  });

  it("refuses batched requests (an array body)", async () => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ viewer { id } }" }, { query: "{ viewer { id } }" }]),
    });
    expect(res.status).toBe(400);
    const body = await jsonOf(res);
    expect(body.errors[0].extensions.code).toBe("BAD_REQUEST");
    expect(body.errors[0].message).toMatch(/batching/i);
  });

  describe("CSRF prevention", () => {
    const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { token } }`;

    it("refuses a POST a browser could send cross-site (text/plain), and runs nothing", async () => {
      const email = `csrf-${Date.now()}@example.com`;
      const res = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({
          query: SIGN_UP,
          variables: { input: { name: "Csrf", email, password: "correct horse battery" } },
        }),
      });
      expect(res.status).toBe(400);
      const body = await jsonOf(res);
      expect(body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
      const rows = await query(
        server.dataSource,
        `SELECT "id" FROM "member" WHERE "email" = :email`,
        {
          email,
        },
      );
      expect(rows).toEqual([]);
    });

    it("refuses a simple GET, and serves one with a preflight header", async () => {
      const url = `${server.url}?query=${encodeURIComponent("{ viewer { id } }")}`;
      const simple = await fetch(url);
      expect(simple.status).toBe(400);
      expect((await jsonOf(simple)).errors[0].message).toMatch(/Cross-Site Request Forgery/);
      const preflighted = await fetch(url, {
        headers: { "apollo-require-preflight": "true", authorization: `Bearer ${member.token}` },
      });
      expect(preflighted.status).toBe(200);
      expect(await jsonOf(preflighted)).toEqual({ data: { viewer: { id: member.id } } });
    });
  });

  it("subscriptions with the same text share one parsed document", async () => {
    const query = `subscription { notificationAdded { id kind } }`;
    const documents: unknown[] = [];
    const listener = (e: { document: unknown }) => documents.push(e.document);
    server.events.on("subscribed", listener);
    try {
      const others = [await signUp(server), await signUp(server)];
      for (const m of [member, ...others]) await subscribe(server, m.token, query);
      // The same operation written differently is another text, another document.
      await subscribe(server, member.token, `subscription { notificationAdded { id  kind } }`);
    } finally {
      server.events.off("subscribed", listener);
    }
    expect(documents).toHaveLength(4);
    expect(documents[1]).toBe(documents[0]);
    expect(documents[2]).toBe(documents[0]);
    expect(documents[3]).not.toBe(documents[0]);
  });
});

describe("in production", () => {
  let server: TestServer;
  let member: TestMember;
  const INTROSPECTION = `query { __schema { queryType { name } } }`;

  beforeAll(async () => {
    // Members are made with one signUp each: e-mail verification (on in production) stays off.
    server = await serverWith({
      NODE_ENV: "production",
      JWT_SECRET: "p".repeat(40),
      EMAIL_VERIFICATION: "false",
    });
    member = await signUp(server);
  });

  it("refuses introspection over HTTP", async () => {
    const res = await gql(server, INTROSPECTION);
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(firstError(res).message).toMatch(/introspection/i);
  });

  it("refuses introspection over WebSocket too", async () => {
    const socket = await openSocket(server, member.token);
    const errors = wsErrors(await overWs(socket, INTROSPECTION));
    expect(errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(errors[0].message).toMatch(/introspection/i);
  });

  it("sends no stack trace with errors", async () => {
    const res = await gql(server, `{ viewer { nope } }`);
    expect(codeOf(res)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(firstError(res).extensions.stacktrace).toBeUndefined();
  });

  it("masks an internal error: no SQL, no table names", async () => {
    ok(await gql(server, `{ viewer { id } }`, {}, member.token)); // the token's member is known
    await query(server.dataSource, `ALTER TABLE "member" RENAME TO "member_gone"`);
    let res: GqlResult;
    try {
      res = await gql(server, `{ viewer { id name headline } }`, {}, member.token);
    } finally {
      await query(server.dataSource, `ALTER TABLE "member_gone" RENAME TO "member"`);
    }
    expect(res.errors?.length).toBeGreaterThan(0);
    for (const e of res.errors!) {
      expect(e.message).toBe("Internal server error");
      expect(e.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    }
    expect(JSON.stringify(res.errors)).not.toMatch(/member|relation|table|select|sqlite/i);
  });

  it("answers introspection when INTROSPECTION=true", async () => {
    const open = await serverWith({
      NODE_ENV: "production",
      JWT_SECRET: "p".repeat(40),
      INTROSPECTION: "true",
    });
    const res = await gql(open, INTROSPECTION);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });
});
