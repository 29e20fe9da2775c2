import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLRequestContext,
  type GraphQLRequestListener,
} from "@apollo/server";
import {
  Kind,
  type DocumentNode,
  type FormattedExecutionResult,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { LRUCache } from "lru-cache";
import type { Context } from "../context";
import type { Stamp, VersionStore } from "../db/changes";

interface Entry {
  stamp: Stamp;
  result: FormattedExecutionResult;
  bytes: number;
}

/**
 * Answers a member's repeated query from memory while nothing it reads has changed, and
 * computes it again as soon as anything has: exact, never "fresh enough".
 *
 * Every read here is a function of the database and the viewer (no query reads the clock), so
 * an answer stays right until a write changes something the viewer can see. Every write
 * transaction declares whose reads it changed (db/changes.ts), and the writer moves those
 * members' versions before its caller hears back; an answer is stored with the versions read
 * before it was computed, so one that raced a write is never served. A query that reads the
 * directory (`directoryFields`: where a new member appears) also depends on its version.
 *
 * Exact per member, so private: what moves a member's versions is what changes their own
 * answers, never another member's hidden choice (an ignore moves only the recipient's).
 *
 * - Keyed by viewer, query hash, operation name and variables: one member's answer is never
 *   another's. Without a token nothing is cached (the one open query is cheap).
 * - Only queries over HTTP whose answer has no error.
 * - A request with `Cache-Control: no-cache` is computed afresh (and refreshes the entry).
 * - Least recently used answers go first past `maxBytes` (their JSON length; lru-cache).
 * - With several instances the versions are in Redis (db/redis-versions.ts); while it cannot
 *   answer, nothing is served from here, and what was held is dropped.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, Entry>;
  readonly counts = { hit: 0, miss: 0, bypass: 0 };

  constructor(
    private readonly versions: VersionStore,
    maxBytes: number,
    /** Top-level query fields whose answers include members who are no one's contact yet. */
    private readonly directoryFields: ReadonlySet<string>,
  ) {
    this.entries = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (entry) => entry.bytes,
      // One answer may not push out most of the others.
      maxEntrySize: Math.max(1, Math.floor(maxBytes / 8)),
    });
    versions.whenLost?.(() => this.entries.clear());
  }

  plugin(): ApolloServerPlugin<Context> {
    return {
      requestDidStart: async () => {
        let pending: { key: string; stamp: Stamp } | null = null;
        const listener: GraphQLRequestListener<Context> = {
          responseForOperation: async (request) => {
            const memberId = request.contextValue.viewerId;
            if (request.operation?.operation !== "query" || !memberId) return null;
            const key = keyOf(memberId, request);
            // Variables that cannot be serialised (nested past the stack) are never cached.
            if (key === null) return null;
            const noCache = /\bno-cache\b/i.test(
              request.request.http?.headers.get("cache-control") ?? "",
            );
            const directory = readsDirectory(
              request.operation,
              request.document,
              this.directoryFields,
            );
            // Read before the operation runs: a write committed meanwhile makes it stale.
            const stamp = await this.versions.stamp(memberId, directory);
            if (stamp === null) {
              this.counts.bypass++;
              return null;
            }
            const entry = noCache ? undefined : this.entries.get(key);
            if (entry && entry.stamp === stamp) {
              this.counts.hit++;
              return {
                http: { headers: new HeaderMap() },
                body: { kind: "single", singleResult: entry.result },
              };
            }
            if (noCache) this.counts.bypass++;
            else this.counts.miss++;
            pending = { key, stamp };
            return null;
          },
          willSendResponse: async ({ response }) => {
            if (!pending || response.body.kind !== "single") return;
            const result = response.body.singleResult;
            if (result.errors?.length) return;
            this.entries.set(pending.key, {
              stamp: pending.stamp,
              result,
              bytes: JSON.stringify(result).length + pending.key.length,
            });
          },
        };
        return listener;
      },
    };
  }

  /** Answers held now, and their size. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.entries.calculatedSize };
  }
}

/** The entry's key, or null for variables JSON cannot serialise. */
function keyOf(memberId: string, request: GraphQLRequestContext<Context>): string | null {
  const { queryHash, operationName } = request;
  const variables = request.request.variables;
  let vars = "";
  try {
    if (variables && Object.keys(variables).length > 0) vars = JSON.stringify(variables);
  } catch {
    return null;
  }
  return `${memberId}\n${queryHash}\n${operationName ?? ""}\n${vars}`;
}

/** Whether the operation selects one of `fields` at its top level (fragments included). */
function readsDirectory(
  operation: OperationDefinitionNode | undefined,
  document: DocumentNode | undefined,
  fields: ReadonlySet<string>,
): boolean {
  if (!operation) return true;
  const fragments = new Map<string, SelectionSetNode>();
  for (const d of document?.definitions ?? []) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet);
  }
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode): boolean =>
    set.selections.some((s) => {
      if (s.kind === Kind.FIELD) return fields.has(s.name.value);
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      const fragment = fragments.get(s.name.value);
      // A fragment the document does not hold fails validation; count it as reading all.
      return fragment ? visit(fragment) : true;
    });
  return visit(operation.selectionSet);
}
