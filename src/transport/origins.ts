import type { IncomingMessage } from "node:http";
import cors from "cors";
import type { RequestHandler } from "express";
import type { VerifyClientCallbackAsync } from "ws";
import { matchesRule, parseRule, type OriginRule } from "../common/origins";

/**
 * Which browser origins may call the API: the configured ones, and always the server's own
 * origin (the page at /app). Requests without an `Origin` header (curl, other servers) are
 * not from a browser page, and CORS does not concern them.
 */
export class OriginPolicy {
  private readonly rules: OriginRule[];

  constructor(origins: readonly string[]) {
    this.rules = origins.map(parseRule);
  }

  /**
   * Whether a request with this `Origin` header to the server addressed as `host` (the `Host`
   * header) may go on. Same origin is decided by host and port only, so that a page served
   * through a TLS-terminating proxy (https outside, http here) still counts as our own.
   */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    let url: URL;
    try {
      // "null" (sandboxed frames, file: pages) does not parse: refused.
      url = new URL(origin);
    } catch {
      return false;
    }
    if (host !== undefined && url.host === host.toLowerCase()) return true;
    return matchesRule(this.rules, url);
  }

  /**
   * CORS for Express: admitted origins get `Access-Control-Allow-Origin` (their own origin,
   * never `*`), others none. A preflight from a refused origin is answered 403 at once instead
   * of reaching GraphQL. No credentials: the API takes a Bearer token, not cookies.
   */
  http(): RequestHandler {
    const admit = cors((req, callback) => {
      const allowed = this.allows(req.headers.origin, req.headers.host);
      callback(null, {
        origin: allowed,
        methods: ["GET", "POST"],
        // A page on another origin may read the id to quote it in a bug report (logs carry it).
        exposedHeaders: ["x-request-id"],
        // Browsers may cache a preflight this long (Chromium caps it at 2 hours).
        maxAge: 600,
      });
    });
    return (req, res, next) => {
      // The answer depends on Origin whether admitted or not: caches must keep them apart.
      res.vary("Origin");
      if (req.method === "OPTIONS" && !this.allows(req.headers.origin, req.headers.host)) {
        res.status(403).end();
        return;
      }
      admit(req, res, next);
    };
  }

  /**
   * For ws's `verifyClient`: refuses the upgrade from an origin not admitted with HTTP 403,
   * before any WebSocket exists (a browser page cannot read the reason, a tool can).
   */
  webSocket(): VerifyClientCallbackAsync<IncomingMessage> {
    return (info, callback) =>
      this.allows(info.origin || undefined, info.req.headers.host)
        ? callback(true)
        : callback(false, 403, "Origin not allowed");
  }
}
