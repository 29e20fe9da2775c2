import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLRequestContext,
  type GraphQLRequestListener,
} from "@apollo/server";
import type { FormattedExecutionResult } from "graphql";
import { LRUCache } from "lru-cache";
import type { Context } from "../context";
import type { DataVersions, Stamp } from "../db/changes";

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
 * an answer stays right until a write changes something the viewer can see. The writer
 * tells `DataVersions` what each transaction changed (one member's reads, or everyone's; see
 * db/changes.ts), before its caller hears back; an answer is stored with the versions read
 * before it was computed, so one that raced a write is never served.
 *
 * - Keyed by viewer, query hash, operation name and variables: one member's answer is never
 *   another's. Without a token nothing is cached (the one open query is cheap).
 * - Only queries over HTTP whose answer has no error.
 * - A request with `Cache-Control: no-cache` is computed afresh (and refreshes the entry).
 * - Least recently used answers go first past `maxBytes` (their JSON length; lru-cache).
 * - SQLite only: with PostgreSQL, other instances write where this one cannot see.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, Entry>;
  readonly counts = { hit: 0, miss: 0, bypass: 0 };

  constructor(
    private readonly versions: DataVersions,
    maxBytes: number,
  ) {
    this.entries = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (entry) => entry.bytes,
      // One answer may not push out most of the others.
      maxEntrySize: Math.max(1, Math.floor(maxBytes / 8)),
    });
  }

  plugin(): ApolloServerPlugin<Context> {
    return {
      requestDidStart: async () => {
        let pending: { key: string; memberId: string; stamp: Stamp } | null = null;
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
            const entry = noCache ? undefined : this.entries.get(key);
            if (entry && this.versions.isCurrent(memberId, entry.stamp)) {
              this.counts.hit++;
              return {
                http: { headers: new HeaderMap() },
                body: { kind: "single", singleResult: entry.result },
              };
            }
            if (noCache) this.counts.bypass++;
            else this.counts.miss++;
            // Read before the operation runs: a write committed meanwhile makes it stale.
            pending = { key, memberId, stamp: this.versions.stamp(memberId) };
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
