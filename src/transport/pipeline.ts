import { createHash } from "node:crypto";
import type { ApolloServerPlugin, GraphQLRequest, GraphQLRequestListener } from "@apollo/server";
import { ApolloServerErrorCode } from "@apollo/server/errors";
import {
  getOperationAST,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type ValidationRule,
} from "graphql";
import { LRUCache } from "lru-cache";
import Negotiator from "negotiator";
import type { AuthRateLimits } from "../auth/auth-limits";
import { authAttempts } from "../auth/auth-limits";
import { ErrorCode } from "../common/errors";
import type { Config } from "../config";
import type { Context } from "../context";
import { CostLimit, limitRules, parseOptions } from "../security/query-limits";
import {
  requestHasUnstorable,
  notASubscriptionError,
  subscriptionOverHttpError,
  unstorableError,
} from "./request-body";
import {
  HASH_MISMATCH,
  hashMismatch,
  persistedQueryNotFound,
  TrustedDocuments,
} from "./trusted-documents";

/** An operation as a transport received it, parsed and validated. */
export interface ReceivedOperation {
  /** The request as sent: its text and variables, checked for strings no database can store. */
  request: { query?: string; variables?: Record<string, unknown> | null };
  document: DocumentNode;
  operation: OperationDefinitionNode | null | undefined;
  variables: Record<string, unknown> | null | undefined;
  operationName: string | null | undefined;
  /** The client's address as rate limits count it. */
  clientIp: string;
  transport: Transport;
}

/** The transports an operation can arrive on: GraphQL over HTTP, graphql-ws, graphql-sse. */
export type Transport = "http" | "ws" | "sse";

/** A document that parsed and passed every rule, or why it did not. */
export type Prepared = { document: DocumentNode } | { errors: GraphQLError[] };

/**
 * Texts of parsed documents the cache keeps at most, in characters. A parsed document takes
 * about fifty bytes of heap per character of its text, so this is some fifty megabytes: a
 * client that sends many distinct valid documents cannot make the cache grow past that.
 */
const DOCUMENT_CACHE_CHARS = 1_000_000;

/**
 * The one operation pipeline: every rule an operation must pass, written once and run by every
 * transport (HTTP through Apollo, the fast path and Express alike, and graphql-ws), and the one
 * error formatter they all answer with.
 *
 * - The parse-time limit (tokens) and the validation rules (graphql-js's, depth, aliases, no
 *   introspection when it is off, graphql-js's own rule for it): `apolloOptions` hands them to
 *   Apollo for HTTP, and `prepare` applies the same ones to WebSocket operations.
 * - `documentStore`: one cache of parsed, valid documents for both. Apollo keys its store by
 *   `<schema hash>:<sha-256 of the text>`; `prepare` keys by the same sha-256, so a document
 *   parsed for HTTP serves the WebSocket too, and thousands of sockets subscribing with one
 *   text share one document.
 * - `checkOperation`: what needs the parsed operation and its variables (strings no database
 *   can store, a subscription sent over HTTP, the estimated cost, the logIn / signUp limits).
 *   Apollo runs it through its plugin once the operation is resolved; WebSocket operations
 *   through `run`.
 * - `formatError`: the codes and the masking of internal errors, for both.
 * - Trusted documents (`TRUSTED_DOCUMENTS`, transport/trusted-documents.ts): which document a
 *   request runs, by id or by text, decided before any parse: for HTTP by the plugin in terms
 *   of Apollo's persisted queries, whose cache is the manifest; for the others in `run`.
 */
export class OperationPipeline {
  private readonly parseOptions: ParseOptions;
  /** Our rules besides graphql-js's own: the limits, and no introspection when it is off. */
  private readonly ownRules: ValidationRule[];
  private readonly cost: CostLimit;
  /** Every rule a document must pass. */
  private readonly rules: ValidationRule[];
  private readonly documents = new LRUCache<string, DocumentNode>({
    maxSize: DOCUMENT_CACHE_CHARS,
    sizeCalculation: (document) => Math.max(1, document.loc?.end ?? 1000),
  });
  /** The manifest of trusted documents and the mode (`allow` or `only`). */
  private readonly trusted: TrustedDocuments;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly config: Config,
    private readonly authLimits: AuthRateLimits,
  ) {
    this.parseOptions = parseOptions(config);
    this.ownRules = [
      ...limitRules(config),
      ...(config.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
    ];
    this.rules = [...specifiedRules, ...this.ownRules];
    this.cost = new CostLimit(schema, config);
    this.trusted = TrustedDocuments.load(config.trustedDocumentsManifest, config.trustedDocuments);
  }

  /**
   * What Apollo is configured with: the same parse options and rules (Apollo adds graphql-js's
   * own; its introspection option stays on, so that the one introspection rule is ours, with
   * the same answer on both transports), the shared document cache, the error formatter, the
   * plugin that runs `checkOperation`, and Apollo's persisted queries (APQ) with the manifest
   * as their cache: it reads the trusted documents by hash and keeps nothing, so no request
   * can add a document (in either mode).
   */
  apolloOptions() {
    const documents = this.documents;
    const trusted = this.trusted;
    // Apollo's key is `<schema hash>:<sha-256 of the text>`; the cache's is the sha-256.
    const hashOf = (key: string) => key.slice(key.lastIndexOf(":") + 1);
    return {
      parseOptions: this.parseOptions,
      validationRules: this.ownRules,
      introspection: true,
      documentStore: {
        get: async (key: string) => documents.get(hashOf(key)),
        set: async (key: string, document: DocumentNode) => {
          documents.set(hashOf(key), document);
        },
        delete: async (key: string) => documents.delete(hashOf(key)),
      },
      // Apollo's key is `apq:<hash>`.
      persistedQueries: {
        cache: {
          get: async (key: string) => trusted.documentOf(hashOf(key)),
          set: async () => {},
          delete: async () => false,
        },
      },
      formatError: this.formatError,
      plugin: this.apolloPlugin(),
    };
  }

  /**
   * Parses and validates a WebSocket operation's text, or answers it from the cache. `hash`:
   * the text's hex SHA-256 when known already (a trusted document's id).
   */
  prepare(query: string, hash?: string): Prepared {
    const key = hash ?? createHash("sha256").update(query).digest("hex");
    const hit = this.documents.get(key);
    if (hit) return { document: hit };
    let document: DocumentNode;
    try {
      document = parse(query, this.parseOptions);
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      return { errors: [coded(err, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)] };
    }
    const errors = validate(this.schema, document, this.rules);
    if (errors.length > 0) {
      return {
        errors: errors.map((e) => coded(e, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED)),
      };
    }
    this.documents.set(key, document);
    return { document };
  }

  /**
   * The checks that need the resolved operation and its variables, in order: no subscription
   * over HTTP, the estimated cost, then the logIn / signUp rate limits (last, so a refused
   * operation does not count as an attempt). Returns the refusal, or null.
   */
  async checkOperation(op: ReceivedOperation): Promise<GraphQLError | null> {
    if (requestHasUnstorable(op.request)) return unstorableError();
    if (op.transport === "http" && op.operation?.operation === "subscription") {
      return subscriptionOverHttpError();
    }
    if (op.transport === "sse" && op.operation?.operation !== "subscription") {
      return notASubscriptionError(op.operation?.operation);
    }
    const tooCostly = this.cost.check(op.document, op.variables, op.operationName);
    if (tooCostly) return tooCostly;
    const attempts = authAttempts(this.schema, op.document, op.operation, op.variables);
    return attempts.length > 0 ? this.authLimits.check(op.clientIp, attempts) : null;
  }

  /**
   * A subscription transport's operation (graphql-ws or graphql-sse) through the whole
   * pipeline: strings the databases cannot store, the trusted document it names (by
   * `documentId` or `extensions.persistedQuery`, with `query: ""` since graphql-ws requires a
   * string) or the text it sends, parse and validation (cached), then `checkOperation`.
   * Returns the document to run, or the errors to answer with.
   */
  async run(
    payload: {
      query: string;
      operationName?: string | null;
      variables?: Record<string, unknown> | null;
      extensions?: Record<string, unknown> | null;
      /** Not in graphql-ws's types, but sent through as the client wrote it. */
      documentId?: unknown;
    },
    clientIp: string,
    transport: Exclude<Transport, "http"> = "ws",
  ): Promise<Prepared> {
    // Strings no database can store are refused before anything else (as over HTTP, where
    // the parse comes first, a document that does not parse is a parse error either way).
    if (requestHasUnstorable(payload)) return { errors: [unstorableError()] };
    const trusted = this.trusted.resolve(
      payload.query,
      payload.documentId,
      payload.extensions?.persistedQuery,
    );
    if (trusted.kind === "refused") return { errors: [persistedQueryNotFound()] };
    if (trusted.kind === "mismatch") return { errors: [hashMismatch()] };
    const prepared =
      trusted.kind === "document"
        ? this.prepare(trusted.query, trusted.hash)
        : this.prepare(payload.query);
    if ("errors" in prepared) return prepared;
    const { document } = prepared;
    const operation = getOperationAST(document, payload.operationName);
    const refused = await this.checkOperation({
      request: payload,
      document,
      operation,
      variables: payload.variables,
      operationName: payload.operationName,
      clientIp,
      transport,
    });
    return refused ? { errors: [refused] } : prepared;
  }

  /**
   * The Apollo plugin: it applies the trusted-documents rule as a request starts
   * (`applyTrusted`), runs `checkOperation` once Apollo has resolved the operation, and
   * answers request errors with 200 to a client that accepts only `application/json`
   * (GraphQL over HTTP: the status of such a response carries no GraphQL meaning, so only
   * clients of `application/graphql-response+json` get 4xx for them). PERSISTED_QUERY_NOT_FOUND
   * is 400 for every client (Apollo answers it 200): a refused document is the request's
   * fault whatever the client accepts, and the same status on every path and for every
   * client is simpler to act on.
   */
  private apolloPlugin(): ApolloServerPlugin<Context> {
    const listener: GraphQLRequestListener<Context> = {
      didResolveOperation: async ({ request, document, operation, contextValue }) => {
        const refused = await this.checkOperation({
          request,
          document,
          operation,
          variables: request.variables,
          operationName: request.operationName,
          clientIp: contextValue.clientIp,
          transport: "http",
        });
        if (refused) throw refused;
      },
      willSendResponse: async ({ request, response }) => {
        if (response.body.kind !== "single") return;
        const { errors, data } = response.body.singleResult;
        if (errors?.some((e) => e.extensions?.code === PERSISTED_QUERY_NOT_FOUND)) {
          response.http.status = 400;
          return;
        }
        if (response.http.status !== 400) return;
        if (data !== undefined || !errors?.every((e) => REQUEST_ERRORS.has(e.extensions?.code))) {
          return;
        }
        if (answersJson(request.http?.headers.get("accept"))) response.http.status = 200;
      },
    };
    return {
      requestDidStart: async ({ request }) => {
        this.applyTrusted(request);
        return listener;
      },
    };
  }

  /**
   * The trusted-documents rule for an HTTP request, applied before Apollo reads it (Apollo
   * reads `query` and `extensions` once every plugin's requestDidStart has run), written in
   * the terms of Apollo's persisted queries, whose cache is the manifest:
   * - a manifest document: no text and its hash as `persistedQuery`: Apollo takes the text
   *   from the manifest and keys its document cache by that hash (no hashing of the text);
   * - a refusal: no text and a hash no document has: Apollo answers PERSISTED_QUERY_NOT_FOUND
   *   before any parse (`willSendResponse` makes it a 400);
   * - a known id with another text: both, and Apollo answers that they differ;
   * - a text: without `persistedQuery`, so that Apollo neither checks its hash nor keeps it.
   */
  private applyTrusted(request: GraphQLRequest): void {
    const { http } = request;
    const documentId =
      http?.method === "GET"
        ? searchParam(http.search, "documentId")
        : (http?.body as { documentId?: unknown } | null | undefined)?.documentId;
    const { persistedQuery, ...extensions } = request.extensions ?? {};
    const trusted = this.trusted.resolve(request.query, documentId, persistedQuery);
    switch (trusted.kind) {
      case "document":
        request.query = undefined;
        request.extensions = { ...extensions, persistedQuery: apq(trusted.hash) };
        break;
      case "refused":
        request.query = undefined;
        request.extensions = { ...extensions, persistedQuery: apq(NO_DOCUMENT) };
        break;
      case "mismatch":
        request.extensions = { ...extensions, persistedQuery: apq(trusted.hash) };
        break;
      case "text":
        if (persistedQuery !== undefined) request.extensions = extensions;
        break;
    }
  }

  /**
   * Every error any transport answers with. Codes: an error without one is a request error
   * graphql-js raised while starting the operation (named like Apollo names it), or else a
   * bug; bugs are INTERNAL_SERVER_ERROR, their message masked in production (no SQL, no
   * stack, no internals). `extensions.http` (status and headers for HTTP) never goes out.
   */
  formatError = (formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError => {
    const { http: _http, ...extensions } = formatted.extensions ?? {};
    // graphql-js stops coercing variables after 50 refusals and throws this one, uncoded: it
    // is the client's input (a long list of wrong items), not the server's fault.
    // Apollo's refusal of an id sent with a text that is not its document comes uncoded too.
    const code = formatted.message.startsWith(TOO_MANY_VARIABLE_ERRORS)
      ? ApolloServerErrorCode.BAD_USER_INPUT
      : formatted.message === HASH_MISMATCH
        ? ApolloServerErrorCode.BAD_REQUEST
        : (extensions.code ?? requestErrorCode(error));
    if (code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR) {
      if (this.config.production) {
        return {
          message: "Internal server error",
          extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
        };
      }
      return { ...formatted, extensions: { ...extensions, code: ErrorCode.INTERNAL_SERVER_ERROR } };
    }
    return { ...formatted, extensions: { ...extensions, code } };
  };

  /** `formatError` for a GraphQLError graphql-ws is about to send. */
  formatGraphQLError(error: GraphQLError): GraphQLError {
    return this.formatError(error.toJSON(), error) as unknown as GraphQLError;
  }
}

const PERSISTED_QUERY_NOT_FOUND: string = ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND;

/** A hash no document has (not 64 hex digits): Apollo's lookup of it misses. */
const NO_DOCUMENT = "";

/** Apollo's `extensions.persistedQuery` naming `hash`. */
function apq(hash: string) {
  return { version: 1, sha256Hash: hash };
}

/**
 * A URL query's parameter given once; otherwise `values` as a list (no id), since one sent
 * twice names no one document.
 */
function searchParam(search: string, name: string): unknown {
  if (!search.includes(name)) return undefined;
  const values = new URLSearchParams(search).getAll(name);
  return values.length === 1 ? values[0] : values.length === 0 ? undefined : values;
}

/** The start of graphql-js's message when a request's variables hold too many errors. */
const TOO_MANY_VARIABLE_ERRORS = "Too many errors processing variables";

/** Codes of the errors that refuse a well-formed request before it runs. */
const REQUEST_ERRORS = new Set<unknown>([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_USER_INPUT,
]);

/** The media types Apollo chooses among for an answer, in its order of preference. */
const ANSWER_TYPES = [
  "application/json; charset=utf-8",
  "application/graphql-response+json; charset=utf-8",
  "application/json; callbackSpec=1.0; charset=utf-8",
];

/**
 * Whether Apollo answers a request with this Accept header as `application/json`, choosing
 * the way Apollo does: no header means JSON (the client gets GraphQL-over-HTTP's legacy type).
 */
function answersJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return new Negotiator({ headers: { accept } }).mediaType(ANSWER_TYPES) === ANSWER_TYPES[0];
}

/**
 * The code Apollo gives a request error graphql-js raises without one (graphql-ws reports
 * them bare): a syntax error, a variable that does not fit its type, or another request
 * error (no path, no underlying exception). Undefined for anything else.
 */
function requestErrorCode(error: unknown): string | undefined {
  if (!(error instanceof GraphQLError) || error.path) return undefined;
  // A variable's value refused while graphql-js coerces it (the scalar's own error is kept
  // as `originalError`), as Apollo recognises one.
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind === Kind.VARIABLE_DEFINITION && error.message.startsWith("Variable ")) {
    return ApolloServerErrorCode.BAD_USER_INPUT;
  }
  if (error.originalError) return undefined;
  if (error.message.startsWith("Syntax Error")) return ApolloServerErrorCode.GRAPHQL_PARSE_FAILED;
  return ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED;
}

/** The error with the code Apollo gives the same failure over HTTP (unless it has one). */
function coded(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code !== undefined) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
