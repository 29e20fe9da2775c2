import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "./helpers/http";
import {
  expectRefused,
  send,
  startFixture,
  subscribeOnce,
  type Answer,
  type Fixture,
} from "./helpers/refusals";
import { operation, sweepTargets } from "./helpers/sweep";
import { closeAll } from "./helpers/ws";

// Garbage at the transport level: malformed JSON, wrong content types and encodings, wrong
// methods, bad credentials, invalid UTF-8, deep nesting. Every one must get a 4xx or a GraphQL
// error with a known code (never a 500, never INTERNAL_SERVER_ERROR), write nothing and leave
// the server answering (test/helpers/refusals.ts); docs/security.md, "Request bodies".

/** Filled by beforeAll; the cases read it only once the tests run. */
const f = {} as Fixture;

beforeAll(async () => {
  await startFixture(f);
});

afterAll(async () => {
  await closeAll();
  await f.server?.stop();
});

describe("transport-level garbage is refused", () => {
  // A valid write: executed, it would store an invitation from a to c (the last test shows it).
  const writeTo = (recipientId: string) =>
    JSON.stringify({
      query: `mutation ($input: SendInvitationInput!) { sendInvitation(input: $input) { connected } }`,
      variables: { input: { recipientId, message: "hello" } },
    });
  const WRITE = () => writeTo(f.c.id);
  const WRITE_QUERY = () =>
    `mutation { sendInvitation(input: { recipientId: "${f.c.id}", message: "hello" }) { connected } }`;
  const json = (extra: Record<string, string> = {}) => ({
    "content-type": "application/json",
    authorization: `Bearer ${f.a.token}`,
    ...extra,
  });
  const post =
    (body: RequestInit["body"], headers: Record<string, string> = json()) =>
    () =>
      send(f.server, { body, headers });
  /** The write, with `bytes` in the middle of its note. */
  const withNote = (recipientId: string, bytes: Buffer) => {
    const [head, tail] = writeTo(recipientId).split("hello");
    return Buffer.concat([Buffer.from(head + "hel"), bytes, Buffer.from("lo" + tail)]);
  };

  const CASES: [string, () => () => Promise<Answer>][] = [
    // Malformed JSON
    ["truncated JSON", () => post(WRITE().slice(0, -5))],
    ["unquoted keys", () => post(WRITE().replace(`"query"`, "query"))],
    ["a trailing comma", () => post(WRITE().replace(/}$/, ",}"))],
    ["single quotes", () => post(`{'query': '{ viewer { id } }'}`)],
    ["an empty body", () => post("")],
    ["only whitespace", () => post("   ")],
    ["JSON null", () => post("null")],
    ["the body encoded twice, as a JSON string", () => post(JSON.stringify(WRITE()))],
    ["a JSON number", () => post("5")],
    ["an empty object", () => post("{}")],
    ["an empty batch", () => post("[]")],
    ["a batch holding the write (batching is off)", () => post(`[${WRITE()}]`)],
    ["query: null", () => post(JSON.stringify({ query: null }))],
    ["query: a number", () => post(JSON.stringify({ query: 5 }))],
    ["query: a list", () => post(JSON.stringify({ query: [WRITE_QUERY()] }))],
    ["query: an object", () => post(JSON.stringify({ query: { text: WRITE_QUERY() } }))],
    ["query: empty", () => post(JSON.stringify({ query: "" }))],
    ["query: only a comment", () => post(JSON.stringify({ query: "# nothing" }))],
    ["query: a syntax error", () => post(JSON.stringify({ query: WRITE_QUERY().slice(0, -3) }))],
    ["query: an unknown root field", () => post(JSON.stringify({ query: "mutation { dropAll }" }))],
    [
      "two operations and no operationName",
      () =>
        post(
          JSON.stringify({
            query: `mutation A { x: viewer } ${WRITE_QUERY().replace("mutation", "mutation B")}`,
          }),
        ),
    ],
    [
      "an operationName that names no operation",
      () =>
        post(
          JSON.stringify({
            query: WRITE_QUERY().replace("mutation", "mutation A"),
            operationName: "B",
          }),
        ),
    ],
    [
      "operationName: a number",
      () => post(JSON.stringify({ query: WRITE_QUERY(), operationName: 5 })),
    ],
    [
      "variables: a JSON-encoded string",
      () => {
        const body = JSON.parse(WRITE());
        return post(JSON.stringify({ ...body, variables: JSON.stringify(body.variables) }));
      },
    ],
    ["variables: a list", () => post(JSON.stringify({ ...JSON.parse(WRITE()), variables: [1] }))],
    ["variables: a number", () => post(JSON.stringify({ ...JSON.parse(WRITE()), variables: 5 }))],
    ["extensions: a string", () => post(JSON.stringify({ query: WRITE_QUERY(), extensions: "x" }))],
    [
      "an unknown persisted query",
      () =>
        post(
          JSON.stringify({
            extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } },
          }),
        ),
    ],
    [
      "a body of 200 kB (over the 100 kB limit)",
      () => post(WRITE().replace("hello", "h".repeat(200_000))),
    ],

    // Content types and encodings
    ["text/plain", () => post(WRITE(), json({ "content-type": "text/plain" }))],
    [
      "text/plain with apollo-require-preflight",
      () => post(WRITE(), json({ "content-type": "text/plain", "apollo-require-preflight": "1" })),
    ],
    [
      "no content-type",
      () => () =>
        send(f.server, { body: WRITE(), headers: { authorization: `Bearer ${f.a.token}` } }),
    ],
    [
      "application/x-www-form-urlencoded",
      () =>
        post(
          new URLSearchParams({ query: WRITE_QUERY() }).toString(),
          json({ "content-type": "application/x-www-form-urlencoded" }),
        ),
    ],
    [
      "multipart/form-data",
      () => {
        const form = new FormData();
        form.set("operations", WRITE());
        return () =>
          send(f.server, {
            body: form,
            headers: { authorization: `Bearer ${f.a.token}`, "apollo-require-preflight": "1" },
          });
      },
    ],
    [
      "application/graphql (the document as the body)",
      () => post(WRITE_QUERY(), json({ "content-type": "application/graphql" })),
    ],
    ["application/xml", () => post(WRITE(), json({ "content-type": "application/xml" }))],
    ["text/html", () => post(WRITE(), json({ "content-type": "text/html" }))],
    [
      "JSON declared latin1",
      () => post(WRITE(), json({ "content-type": "application/json; charset=latin1" })),
    ],
    [
      "JSON declared in an unknown charset",
      () => post(WRITE(), json({ "content-type": "application/json; charset=klingon" })),
    ],
    [
      "UTF-16 bytes declared as JSON without a charset",
      () => post(Buffer.from(WRITE(), "utf16le")),
    ],
    [
      "content-encoding gzip over bytes that are not gzip",
      () => post(WRITE(), json({ "content-encoding": "gzip" })),
    ],
    [
      "content-encoding deflate over bytes that are not deflate",
      () => post(WRITE(), json({ "content-encoding": "deflate" })),
    ],
    [
      "an unknown content-encoding",
      () => post(gzipSync(WRITE()), json({ "content-encoding": "zstd-of-the-future" })),
    ],
    [
      "a gzip body that inflates to 10 MB (over the limit)",
      () => post(gzipSync(Buffer.alloc(10_000_000, " ")), json({ "content-encoding": "gzip" })),
    ],

    // Methods
    [
      "GET with the write (and the preflight header)",
      () => () =>
        send(
          f.server,
          {
            method: "GET",
            headers: { authorization: `Bearer ${f.a.token}`, "apollo-require-preflight": "1" },
          },
          `?query=${encodeURIComponent(WRITE_QUERY())}`,
        ),
    ],
    [
      "GET with the write (no preflight header)",
      () => () =>
        send(
          f.server,
          { method: "GET", headers: { authorization: `Bearer ${f.a.token}` } },
          `?query=${encodeURIComponent(WRITE_QUERY())}`,
        ),
    ],
    [
      "GET with variables that are not JSON",
      () => () =>
        send(
          f.server,
          { method: "GET", headers: { "apollo-require-preflight": "1" } },
          `?query=${encodeURIComponent("query ($id: ID!) { member(id: $id) { id } }")}&variables=%7Bnot`,
        ),
    ],
    [
      "GET with extensions that are not JSON",
      () => () =>
        send(
          f.server,
          { method: "GET", headers: { "apollo-require-preflight": "1" } },
          `?query=%7Bviewer%7Bid%7D%7D&extensions=%7B`,
        ),
    ],
    ["PUT", () => () => send(f.server, { method: "PUT", body: WRITE(), headers: json() })],
    ["PATCH", () => () => send(f.server, { method: "PATCH", body: WRITE(), headers: json() })],
    ["DELETE", () => () => send(f.server, { method: "DELETE", body: WRITE(), headers: json() })],

    // Credentials
    ["a token that is not a JWT", () => post(WRITE(), json({ authorization: "Bearer a.b.c" }))],
    [
      "a tampered token",
      () => post(WRITE(), json({ authorization: `Bearer ${f.a.token.slice(0, -2)}xx` })),
    ],
    ["Basic credentials", () => post(WRITE(), json({ authorization: "Basic YTpi" }))],
    ["an empty Bearer", () => post(WRITE(), json({ authorization: "Bearer " }))],

    // Bytes
    [
      "invalid UTF-8 outside any string",
      () =>
        post(
          Buffer.concat([
            Buffer.from("{"),
            Buffer.from([0xff, 0xfe]),
            Buffer.from(WRITE().slice(1)),
          ]),
        ),
    ],
  ];

  it.each(CASES)("%s", async (_label, build) => {
    await expectRefused(f, build());
  });

  // Every mutation of the schema over GET, with valid arguments: never executed.
  const MUTATIONS = sweepTargets(f).filter((t) => t.key.startsWith("Mutation."));
  it.each(MUTATIONS.map((t) => [t.key, t] as const))("GET %s", async (_key, target) => {
    const { query, variables } = operation(target, target.valid(), "variables");
    const member = target.as();
    const headers: Record<string, string> = { "apollo-require-preflight": "1" };
    if (member) headers.authorization = `Bearer ${member.token}`;
    const params = `?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
    const res = await expectRefused(f, () => send(f.server, { method: "GET", headers }, params));
    expect(res.status).toBe(405);
  });

  // Invalid UTF-8 inside a string value is refused (400), never replaced with U+FFFD by the
  // body parser and stored as a note the client never sent.
  it.each([
    ["0xFF 0xFE", Buffer.from([0xff, 0xfe])],
    ["an overlong '/' (0xC0 0xAF)", Buffer.from([0xc0, 0xaf])],
    ["a UTF-16 surrogate encoded in UTF-8 (0xED 0xA0 0x80)", Buffer.from([0xed, 0xa0, 0x80])],
    ["a truncated 3-byte sequence (0xE2 0x82)", Buffer.from([0xe2, 0x82])],
  ])("invalid UTF-8 inside the note: %s", async (_label, bytes) => {
    // Someone new each time: the write must be acceptable but for its bytes.
    const recipient = await signUp(f.server);
    await expectRefused(f, post(withNote(recipient.id, bytes)));
  });

  // About 10,000 levels of nesting fit in 20 kB, far under the body limit: the server must
  // refuse them without overflowing its stack (a 500).
  const DEEP = 10_000;
  it.each([
    ["a body nested 10,000 levels deep", () => `{"a":`.repeat(DEEP) + "1" + "}".repeat(DEEP)],
    [
      "variables nested 10,000 levels deep",
      () =>
        WRITE().replace(
          `"recipientId":"${f.c.id}"`,
          `"recipientId":${"[".repeat(DEEP)}${"]".repeat(DEEP)}`,
        ),
    ],
  ])("%s", async (_label, body) => {
    await expectRefused(f, post(body()));
  });

  it("over WebSocket, variables nested 10,000 levels deep", async () => {
    const query = JSON.stringify(
      `subscription ($after: String) { notificationAdded(after: $after) { id } }`,
    );
    const deep = "[".repeat(DEEP) + "]".repeat(DEEP);
    await expectRefused(f, () =>
      subscribeOnce(f.server, f.b.token, `{"query":${query},"variables":{"after":${deep}}}`),
    );
  });

  // A subscription over HTTP is refused with 400 BAD_REQUEST, never executed like a query
  // (its field would have no event to resolve: INTERNAL_SERVER_ERROR).
  it("a subscription over HTTP", async () => {
    await expectRefused(
      f,
      post(JSON.stringify({ query: "subscription { notificationAdded { id } }" })),
    );
  });

  it("control: the same write, sent properly, is stored", async () => {
    const res = await send(f.server, { body: WRITE(), headers: json() });
    expect(res.json).toEqual({ data: { sendInvitation: { connected: false } } });
  });
});
