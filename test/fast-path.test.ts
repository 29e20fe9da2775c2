/**
 * The GraphQL fast path (src/transport/fast-path.ts) answers POST /graphql without Express. Each
 * request here is sent twice over real HTTP: with a declared length (the fast path) and as a
 * chunked stream (which the fast path leaves to Express). Both answers must be the same:
 * status, body and headers.
 */
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BLOCKED } from "../web/src/operations";
import { signUp, type TestMember } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

let server: TestServer;
let alice: TestMember;

beforeAll(async () => {
  server = await startTestServer();
  alice = await signUp(server, { name: "Alice Fast" });
});
afterAll(async () => {
  await server?.stop();
});

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

// Set by the connection or per answer, or (Express's ETag and X-Powered-By) refused on both.
const VARYING = new Set([
  "date",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
]);

async function post(
  body: Uint8Array,
  headers: Record<string, string>,
  chunked: boolean,
): Promise<Answer> {
  const res = await fetch(server.url, {
    method: "POST",
    headers,
    // A stream has no length: undici sends it chunked.
    body: chunked
      ? new ReadableStream({
          start(controller) {
            controller.enqueue(body);
            controller.close();
          },
        })
      : body,
    ...(chunked ? { duplex: "half" } : {}),
  } as RequestInit);
  const text = await res.text();
  const out: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    if (!VARYING.has(key)) out[key] = key === "x-request-id" ? "(an id)" : value;
  });
  // Outside production an error carries its stack, whose last frames name the path taken.
  const parsed = JSON.parse(text, (key, value) => (key === "stacktrace" ? "(a stack)" : value));
  return { status: res.status, body: parsed, headers: out };
}

/** Sends the same request both ways; returns the fast answer after checking they match. */
async function bothWays(
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const all = { "content-type": "application/json", ...headers };
  const before = server.fastPathCount();
  const fast = await post(bytes, all, false);
  expect(server.fastPathCount(), "the fast path served the request with a length").toBe(before + 1);
  const slow = await post(bytes, all, true);
  expect(server.fastPathCount(), "Express served the chunked request").toBe(before + 1);
  expect(fast).toEqual(slow);
  return fast;
}

const query = (q: string, variables?: unknown) => JSON.stringify({ query: q, variables });

describe("the GraphQL fast path answers exactly as Express does", () => {
  it("a query without a token, and the headers of a plain answer", async () => {
    const a = await bothWays(query("{ viewer { id } }"));
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ data: { viewer: null } });
    expect(a.headers).toMatchObject({
      "content-type": "application/json; charset=utf-8",
      vary: "Origin",
      "access-control-expose-headers": "x-request-id",
      "x-request-id": "(an id)",
    });
    expect(a.headers.etag).toBeUndefined();
    expect(a.headers["x-powered-by"]).toBeUndefined();
  });

  it("a query with a token, with variables, with a charset", async () => {
    const a = await bothWays(
      query(
        "query Me($n: Int) { viewer { id name } receivedInvitations(first: $n) { totalCount } }",
        {
          n: 5,
        },
      ),
      { authorization: `Bearer ${alice.token}`, "content-type": "application/json; charset=utf-8" },
    );
    expect(a.body).toEqual({
      data: {
        viewer: { id: alice.id, name: "Alice Fast" },
        receivedInvitations: { totalCount: 0 },
      },
    });
  });

  it("a bad token: 401 UNAUTHENTICATED", async () => {
    const a = await bothWays(query("{ viewer { id } }"), { authorization: "Bearer nope" });
    expect(a.status).toBe(401);
  });

  it("bodies that are not JSON, not strict JSON, or not UTF-8: 400 BAD_REQUEST", async () => {
    for (const body of ['{"query": ', '"{ viewer { id } }"', "42", "  nul"]) {
      const a = await bothWays(body);
      expect(a.status, body).toBe(400);
      expect(a.body).toEqual({
        errors: [
          { message: "The request body is not valid JSON.", extensions: { code: "BAD_REQUEST" } },
        ],
      });
    }
    const notUtf8 = new Uint8Array([
      ...new TextEncoder().encode('{"query": "{ viewer { id } }", "x": "'),
      0xff,
      0x22,
      0x7d,
    ]);
    const a = await bothWays(notUtf8);
    expect(a.status).toBe(400);
    expect(a.body).toEqual({
      errors: [
        { message: "The request body is not valid UTF-8.", extensions: { code: "BAD_REQUEST" } },
      ],
    });
  });

  it("a byte order mark before the JSON is dropped, as body-parser does", async () => {
    const a = await bothWays("\ufeff" + query("{ viewer { id } }"));
    expect(a.status).toBe(200);
  });

  it("strings that cannot be stored: BAD_USER_INPUT before anything runs", async () => {
    const body = query("query($s: String!) { members(search: $s) { totalCount } }", {
      s: "a\u0000b",
    });
    // 400 to a client of the GraphQL response type; 200 to one that takes JSON only.
    for (const [accept, status] of [
      ["application/graphql-response+json", 400],
      ["application/json", 200],
    ] as const) {
      const a = await bothWays(body, { accept });
      expect(a.status, accept).toBe(status);
      expect(
        (a.body as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
      ).toBe("BAD_USER_INPUT");
    }
  });

  it("GraphQL's own refusals: parse, validation, batch, subscription, no query", async () => {
    const cases = [
      query("{ viewer { id "),
      query("{ viewer { nope } }"),
      JSON.stringify([{ query: "{ viewer { id } }" }, { query: "{ viewer { id } }" }]),
      query("subscription { notificationAdded { id } }"),
      JSON.stringify({ variables: {} }),
    ];
    const accept = "application/graphql-response+json";
    for (const body of cases) {
      const a = await bothWays(body, { authorization: `Bearer ${alice.token}`, accept });
      expect(a.status, body).toBe(400);
    }
  });

  it("trusted documents: by id, in Apollo's extension, an unknown id (400)", async () => {
    // The example client's document, which the committed manifest holds.
    const hex = createHash("sha256").update(BLOCKED).digest("hex");
    const auth = { authorization: `Bearer ${alice.token}` };
    for (const body of [
      { documentId: `sha256:${hex}` },
      { extensions: { persistedQuery: { version: 1, sha256Hash: hex } } },
    ]) {
      const a = await bothWays(JSON.stringify(body), auth);
      expect(a.body).toEqual({ data: { blockedMembers: [] } });
    }
    for (const accept of ["application/graphql-response+json", "application/json"]) {
      const a = await bothWays(JSON.stringify({ documentId: `sha256:${"0".repeat(64)}` }), {
        accept,
      });
      expect(a.status, accept).toBe(400);
      expect(
        (a.body as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
      ).toBe("PERSISTED_QUERY_NOT_FOUND");
    }
  });

  it("a wrong password: the same error and the same limits", async () => {
    const a = await bothWays(
      query('mutation ($e: String!) { logIn(email: $e, password: "wrong password!") { token } }', {
        e: alice.email,
      }),
    );
    expect(
      (a.body as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
    ).toBe("UNAUTHENTICATED");
  });
});

describe("what the fast path leaves to Express", () => {
  it("browsers (Origin), other paths, other types, empty and oversized bodies", async () => {
    const before = server.fastPathCount();
    const send = (url: string, headers: Record<string, string>, body: string) =>
      fetch(url, { method: "POST", headers, body }).then((r) => r.status);
    const q = query("{ viewer { id } }");
    expect(
      await send(
        server.url,
        { "content-type": "application/json", origin: "http://localhost:3000" },
        q,
      ),
    ).toBe(200);
    expect(await send(server.url + "?x=1", { "content-type": "application/json" }, q)).toBe(200);
    expect(await send(server.url, { "content-type": "application/json; charset=latin1" }, q)).toBe(
      415,
    );
    expect(await send(server.url, { "content-type": "text/plain" }, q)).toBe(400);
    expect(await send(server.url, { "content-type": "application/json" }, "")).toBe(400);
    const big = query("{ viewer { id } }", { pad: "x".repeat(200 * 1024) });
    expect(await send(server.url, { "content-type": "application/json" }, big)).toBe(413);
    expect(server.fastPathCount()).toBe(before);
  });
});

describe("the fast path on a raw socket", () => {
  /** Writes `data` on a new TCP connection; resolves with all it received once it closes. */
  function raw(data: string[], closeAfterWrite = false): Promise<string> {
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        for (const chunk of data) socket.write(chunk);
        if (closeAfterWrite) socket.end();
      });
      let received = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (received += chunk));
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
      socket.setTimeout(5_000, () => socket.destroy(new Error("no answer in 5 s")));
    });
  }
  const request = (body: string, close = false) =>
    `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${close ? "Connection: close\r\n" : ""}\r\n${body}`;

  it("answers pipelined requests on one connection in order", async () => {
    const before = server.fastPathCount();
    const answer = await raw([
      request(query("{ a: viewer { id } }")),
      request(query("{ b: viewer { id } }"), true),
    ]);
    expect(answer.indexOf('"a":null')).toBeGreaterThan(0);
    expect(answer.indexOf('"b":null')).toBeGreaterThan(answer.indexOf('"a":null'));
    expect(server.fastPathCount()).toBe(before + 2);
  });

  it("a body cut short: no GraphQL answer, no crash, and the server goes on", async () => {
    const body = query("{ viewer { id } }");
    const head = request(body).slice(0, -10);
    // node's HTTP parser answers an incomplete body itself (400), on either path.
    const answer = await raw([head], true);
    expect(answer === "" || answer.startsWith("HTTP/1.1 400 ")).toBe(true);
    expect(answer).not.toContain("{");
    const a = await bothWays(query("{ viewer { id } }"));
    expect(a.status).toBe(200);
  });
});
