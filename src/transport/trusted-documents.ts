import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ApolloServerErrorCode } from "@apollo/server/errors";
import { GraphQLError } from "graphql";

/**
 * Trusted documents (persisted operations): the manifest `npm run codegen` writes, every
 * document the first-party clients send, `{ "sha256:<hex>": "<document>" }`, and the rule
 * that decides what a request runs (docs/trusted-documents.md).
 *
 * A request names a document by id in one of two ways, both the hex SHA-256 of its text:
 * `documentId: "sha256:<hex>"` (GraphQL over HTTP's persisted documents) or Apollo's
 * `extensions.persistedQuery: { version: 1, sha256Hash: "<hex>" }`.
 * - A known id runs its document. With a text too, the text must be that document.
 * - An unknown id, malformed or not, is treated as if no id were sent: the text decides, and
 *   without one it is PERSISTED_QUERY_NOT_FOUND (in both modes). Apollo's clients send the
 *   text with the id after such a refusal; nothing a request sends is ever stored.
 * - A text alone runs in `allow` mode; in `only` mode only if it is exactly a document of the
 *   manifest (a Map lookup, no parse), else PERSISTED_QUERY_NOT_FOUND. Accepting the exact
 *   text costs nothing in safety (it is the same trusted operation) and lets clients that
 *   cannot send ids (curl, a graphql-ws client without a payload hook) run first-party
 *   documents, as Apollo's safelisting does.
 */
export type TrustedMode = "allow" | "only";

/** What a request runs, decided before any parse. */
export type Resolution =
  /** A manifest document: `hash` is the hex SHA-256 of `query` (no need to hash it again). */
  | { kind: "document"; hash: string; query: string }
  /** The request's own text, untouched (or, with none at all, the transport's own answer). */
  | { kind: "text" }
  /** PERSISTED_QUERY_NOT_FOUND. */
  | { kind: "refused" }
  /** A known id (`hash`) with a different text. */
  | { kind: "mismatch"; hash: string };

/** The prefix of a `documentId`: the hash function, as the persisted documents proposal has it. */
export const ID_PREFIX = "sha256:";

const HEX_SHA256 = /^[0-9a-f]{64}$/;

const TEXT: Resolution = { kind: "text" };
const REFUSED: Resolution = { kind: "refused" };

export class TrustedDocuments {
  /** Document by hex hash. */
  private readonly byHash: Map<string, string>;
  /** Hex hash by document text: `only` mode's check of a text sent in full. */
  private readonly byText: Map<string, string>;

  constructor(
    manifest: Record<string, string>,
    readonly mode: TrustedMode,
  ) {
    this.byHash = new Map();
    this.byText = new Map();
    for (const [id, text] of Object.entries(manifest)) {
      this.byHash.set(id.slice(ID_PREFIX.length), text);
      this.byText.set(text, id.slice(ID_PREFIX.length));
    }
  }

  /**
   * Reads and checks the manifest at `path` (at start-up: a server never runs with a manifest
   * that is missing, malformed, or whose ids are not the hashes of their documents).
   */
  static load(path: string, mode: TrustedMode): TrustedDocuments {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new Error(`The trusted-documents manifest ${path} cannot be read: ${String(err)}`, {
        cause: err,
      });
    }
    if (!manifest || typeof manifest !== "object" || Array.isArray(manifest)) {
      throw new Error(`The trusted-documents manifest ${path} is not a JSON object`);
    }
    for (const [id, text] of Object.entries(manifest)) {
      const hash = id.slice(ID_PREFIX.length);
      if (
        !id.startsWith(ID_PREFIX) ||
        typeof text !== "string" ||
        createHash("sha256").update(text).digest("hex") !== hash
      ) {
        throw new Error(
          `The trusted-documents manifest ${path}: ${id} is not "sha256:" and the hex SHA-256 of its document`,
        );
      }
    }
    return new TrustedDocuments(manifest as Record<string, string>, mode);
  }

  /** The manifest document of a hex hash (Apollo's persisted query cache reads this). */
  documentOf(hash: string): string | undefined {
    return this.byHash.get(hash);
  }

  /**
   * What a request runs (see the module's comment). `query` as sent (graphql-ws requires a
   * string, so "" with an id means no text); `documentId` and `persistedQuery` as sent,
   * unchecked. Costs Map lookups and, for a text with a known id, one string comparison.
   */
  resolve(query: unknown, documentId: unknown, persistedQuery: unknown): Resolution {
    const text = typeof query === "string" && query !== "" ? query : undefined;
    if (documentId != null || persistedQuery != null) {
      const hash = hashOf(documentId, persistedQuery);
      const document = hash === null ? undefined : this.byHash.get(hash);
      if (hash !== null && document !== undefined) {
        if (text !== undefined && text !== document) return { kind: "mismatch", hash };
        return { kind: "document", hash, query: document };
      }
      if (text === undefined) return REFUSED;
    }
    if (text === undefined || this.mode === "allow") return TEXT;
    const hash = this.byText.get(text);
    return hash === undefined ? REFUSED : { kind: "document", hash, query: text };
  }
}

/**
 * The hex hash a request names, or null when what it sent is no id of ours: not a string, not
 * `sha256:` and 64 lowercase hex digits, an Apollo extension other than version 1, or two
 * ids that differ.
 */
function hashOf(documentId: unknown, persistedQuery: unknown): string | null {
  let hash: string | null = null;
  if (documentId != null) {
    if (typeof documentId !== "string" || !documentId.startsWith(ID_PREFIX)) return null;
    hash = documentId.slice(ID_PREFIX.length);
  }
  if (persistedQuery != null) {
    const { version, sha256Hash } = persistedQuery as { version?: unknown; sha256Hash?: unknown };
    if (version !== 1 || typeof sha256Hash !== "string") return null;
    if (hash !== null && hash !== sha256Hash) return null;
    hash = sha256Hash;
  }
  return hash !== null && HEX_SHA256.test(hash) ? hash : null;
}

/**
 * The refusal of a document the manifest does not hold: Apollo's own error for an unknown
 * persisted query (the message its clients and others look for), answered 400. It says
 * nothing but that the request's document is not there.
 */
export function persistedQueryNotFound(): GraphQLError {
  return new GraphQLError("PersistedQueryNotFound", {
    extensions: {
      code: ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
      http: { status: 400 },
    },
  });
}

/** Apollo's message for an id sent with a text that is not its document. */
export const HASH_MISMATCH = "provided sha does not match query";

export function hashMismatch(): GraphQLError {
  return new GraphQLError(HASH_MISMATCH, {
    extensions: { code: ApolloServerErrorCode.BAD_REQUEST, http: { status: 400 } },
  });
}
