import { ApolloServerErrorCode } from "@apollo/server/errors";
import {
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationRule,
} from "graphql";

/** A document that parsed and passed every rule, or why it did not. */
export type Prepared = { document: DocumentNode } | { errors: GraphQLError[] };

/**
 * Parses and validates the GraphQL text of WebSocket operations (graphql-ws runs no Apollo
 * plugin), with the same parse options and rules as HTTP, and remembers the documents that
 * passed in a small LRU keyed by the text. Thousands of sockets subscribing with the same text
 * then share one parsed document instead of keeping a copy each, and skip parse and validation.
 *
 * Only valid documents are kept (a flood of invalid ones cannot push the good ones out), and
 * only texts up to `maxTextLength` characters, so the cache stays small: at most
 * `maxEntries` documents.
 */
export class DocumentCache {
  private readonly entries = new Map<string, DocumentNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    private readonly parseOptions: ParseOptions,
    private readonly maxEntries = 256,
    private readonly maxTextLength = 8192,
  ) {}

  prepare(query: string): Prepared {
    const hit = this.entries.get(query);
    if (hit) {
      // Map keeps insertion order: move the entry to the young end.
      this.entries.delete(query);
      this.entries.set(query, hit);
      return { document: hit };
    }
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
    if (query.length <= this.maxTextLength) {
      if (this.entries.size >= this.maxEntries) {
        this.entries.delete(this.entries.keys().next().value!);
      }
      this.entries.set(query, document);
    }
    return { document };
  }

  /** Documents held (tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }
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
