import type { Storage } from "@graphiql/toolkit";

const PREFIX = "graphiql:";
/** GraphiQL's history and favourites: lists of operations, each with its request headers. */
const HISTORY_KEYS = new Set([`${PREFIX}queries`, `${PREFIX}favorites`]);

/**
 * An item of the history as saved, without its headers: GraphiQL (5.4) saves each operation
 * run with the headers it ran with, whatever `shouldPersistHeaders` says, and those headers
 * carry the token. The list in memory keeps them for this visit; after a reload, an operation
 * picked from the history runs with the headers the tab has.
 */
function withoutHeaders(value: string): string {
  try {
    const saved = JSON.parse(value) as Record<string, unknown>;
    for (const [key, items] of Object.entries(saved)) {
      if (!Array.isArray(items)) continue;
      saved[key] = items.map((item: unknown) =>
        typeof item === "object" && item !== null ? { ...item, headers: undefined } : item,
      );
    }
    return JSON.stringify(saved);
  } catch {
    return value;
  }
}

/**
 * localStorage as GraphiQL uses it (its tabs, history, settings under `graphiql:`), except that
 * no request header, so no token, is ever written: the tabs' headers are left out by GraphiQL
 * itself (shouldPersistHeaders={false}), the history's here.
 */
export const storageWithoutTokens: Storage = {
  getItem: (key) => localStorage.getItem(key),
  setItem: (key, value) =>
    localStorage.setItem(key, HISTORY_KEYS.has(key) ? withoutHeaders(value) : value),
  removeItem: (key) => localStorage.removeItem(key),
  clear() {
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith(PREFIX)) localStorage.removeItem(key);
    }
  },
  get length() {
    return Object.keys(localStorage).filter((key) => key.startsWith(PREFIX)).length;
  },
};
