import { isUtf8 } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import bytes from "bytes";
import { BODY_NOT_JSON, BODY_NOT_UTF8, badRequestBody, INTERNAL_ERROR_BODY } from "./request-body";

/**
 * The fast path for the common GraphQL request: `POST /graphql` from a server or a tool (no
 * `Origin`), a JSON body in UTF-8 of a declared length within the body limit, not compressed.
 * It goes straight from node's HTTP server to Apollo, skipping Express's router, body-parser
 * (type-is, content-type, raw-body, iconv-lite), the CORS middleware and the ETag hash, which
 * cost about as much CPU as the rest of a small request (docs/decisions/graphql-fast-path.md).
 *
 * Every other request (a browser's, with `Origin`; chunked, compressed, empty or too large
 * bodies; other charsets, methods and paths) goes through Express as before, and so does the
 * answer to anything unusual: the fast path answers exactly what Express would, and
 * `test/fast-path.test.ts` sends the same requests both ways and compares the answers.
 */
export interface FastPathOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  /** Body limit as configured (`BODY_LIMIT`, such as "100kb"); larger bodies go to Express. */
  bodyLimit: string;
  /** The context for one request, as the Express path builds it (it may throw, e.g. 401). */
  context(req: IncomingMessage): Promise<C>;
  /** Starts the request's access log, request id and metrics, as the Express path does. */
  track(req: IncomingMessage, res: ServerResponse, path: string): void;
  /** For failures of the server itself (answered 500). */
  onError(error: unknown): void;
}

/** The fast path's request handler, and how many requests it took. */
export interface FastPath {
  /** Answers the request and returns true, or leaves it (to Express) and returns false. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Requests taken so far. */
  readonly served: number;
}

/** The fast path for `opts.apollo`. */
export function graphqlFastPath<C extends BaseContext>(opts: FastPathOptions<C>): FastPath {
  // The same reading of the limit as body-parser's, which uses `bytes` too.
  const limit = bytes.parse(opts.bodyLimit);
  let served = 0;
  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (limit === null || !qualifies(req, limit)) return false;
    served++;
    opts.track(req, res, "/graphql");
    // What the CORS middleware adds to a request without Origin.
    res.setHeader("Vary", "Origin");
    res.setHeader("Access-Control-Expose-Headers", "x-request-id");
    readBody(req, Number(req.headers["content-length"])).then(
      (bytes) => {
        if (bytes) void answer(opts, req, res, bytes);
        else res.destroy();
      },
      () => res.destroy(),
    );
    return true;
  }
  return {
    handle,
    get served() {
      return served;
    },
  };
}

/** Whether Express would do nothing for this request that the fast path does not do too. */
function qualifies(req: IncomingMessage, limit: number): boolean {
  if (req.method !== "POST" || req.url !== "/graphql") return false;
  const h = req.headers;
  if (h.origin !== undefined || h["transfer-encoding"] !== undefined) return false;
  if (h["content-encoding"] !== undefined && h["content-encoding"] !== "identity") return false;
  const type = h["content-type"]?.toLowerCase().replace(/\s+/g, "");
  if (type !== "application/json" && type !== "application/json;charset=utf-8") return false;
  const length = h["content-length"];
  // Express answers an empty body ({}) and a body over the limit (413) its own way.
  return length !== undefined && /^\d+$/.test(length) && +length > 0 && +length <= limit;
}

/** The body's bytes, or null if the client went away before sending them all (nobody to answer). */
function readBody(req: IncomingMessage, length: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    });
    req.once("end", () => resolve(received === length ? Buffer.concat(chunks, received) : null));
    req.once("error", reject);
    req.once("aborted", () => resolve(null));
  });
}

async function answer<C extends BaseContext>(
  opts: FastPathOptions<C>,
  req: IncomingMessage,
  res: ServerResponse,
  bytes: Buffer,
): Promise<void> {
  try {
    // body-parser's answers: 400 for bytes that are not UTF-8 (our `verify`) or not JSON.
    if (!isUtf8(bytes)) return send(res, 400, badRequestBody(BODY_NOT_UTF8));
    let text = bytes.toString("utf8");
    // iconv-lite drops a byte order mark before body-parser parses.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    // body-parser's strict mode: only an object or an array at the top. (trimStart also drops
    // whitespace JSON does not allow, which JSON.parse then refuses: the same 400.)
    const first = text.trimStart()[0];
    let body: unknown;
    try {
      if (first !== "{" && first !== "[") throw new SyntaxError("not strict JSON");
      body = JSON.parse(text);
    } catch {
      return send(res, 400, badRequestBody(BODY_NOT_JSON));
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const result = await opts.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: "POST", headers, search: "", body },
      context: () => opts.context(req),
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === "complete") {
      res.setHeader("Content-Length", Buffer.byteLength(result.body.string));
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  } catch (error) {
    opts.onError(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, 500, INTERNAL_ERROR_BODY);
  }
}

/** A JSON answer, as Express's `res.json` sends it. */
function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}
