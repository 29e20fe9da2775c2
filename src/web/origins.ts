import type { IncomingMessage } from "node:http";
import cors from "cors";
import type { RequestHandler } from "express";
import type { VerifyClientCallbackAsync } from "ws";

/** What `CORS_ORIGINS` admits outside production when it is not set: local dev servers. */
export const DEVELOPMENT_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*"];

/** One admitted origin: scheme and host exactly, and one port or (`*`) any. */
interface OriginRule {
  protocol: string;
  hostname: string;
  /** "" is the scheme's default port, as `URL` normalises it. */
  port: string | "*";
}

/**
 * Parses one `CORS_ORIGINS` entry such as `https://app.example.com` or `http://localhost:*`.
 * Throws an Error saying what is wrong: no path, no wildcard but the port.
 */
function parseRule(entry: string): OriginRule {
  const anyPort = entry.endsWith(":*");
  const base = (anyPort ? entry.slice(0, -2) : entry).replace(/\/$/, "");
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`"${entry}" is not an origin such as https://app.example.com`);
  }
  const onlyOrigin =
    (url.pathname === "" || url.pathname === "/") &&
    !/[?#*]/.test(base) &&
    url.username === "" &&
    url.password === "";
  if (!onlyOrigin) {
    throw new Error(
      `"${entry}" is not an origin: scheme://host[:port], no path, "*" only as the port`,
    );
  }
  if (anyPort && url.port !== "") throw new Error(`"${entry}" names a port and "*"`);
  return { protocol: url.protocol, hostname: url.hostname, port: anyPort ? "*" : url.port };
}

/**
 * Checks the entries of `CORS_ORIGINS` (comma-separated, blanks ignored) and returns them
 * normalised. Throws an Error naming the first bad entry.
 */
export function parseOrigins(raw: string): string[] {
  const entries = raw
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const entry of entries) parseRule(entry);
  return entries.map((e) => e.toLowerCase().replace(/\/$/, ""));
}

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
    return this.rules.some(
      (r) =>
        r.protocol === url.protocol &&
        r.hostname === url.hostname &&
        (r.port === "*" || r.port === url.port),
    );
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
