import type { RequestHandler } from "express";
import { serveBundle } from "./bundle";

// Everything the page uses comes from this server: the policy admits nothing from elsewhere.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // The bundle's modules only: no inline script, no eval.
  "script-src 'self'",
  // Monaco's editor, JSON and GraphQL workers, built as files under /graphiql/assets.
  "worker-src 'self'",
  // POST /graphql, and the graphql-ws socket at ws(s)://<this host>/graphql: 'self' admits
  // ws:/wss: to the same host and port (CSP Level 3; Chromium, Firefox, Safari).
  "connect-src 'self'",
  // Monaco writes <style> elements (its themes, decorations, cursor and line styles) and
  // style attributes at run time, and so do GraphiQL's dialogs and tooltips: without
  // 'unsafe-inline' the editors lose their colours and layout. Styles cannot run code.
  "style-src 'self' 'unsafe-inline'",
  // GraphiQL's CSS carries its fonts (Roboto, Fira Code) and small icons as data: URIs;
  // Monaco's icon font (codicon) is a file of the bundle.
  "font-src 'self' data:",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Serves GraphiQL, built from the project's own bundle (web/graphiql, `npm run build`, into
 * `dir`), at /graphiql outside production: an explorer that works offline, unlike Apollo
 * Sandbox (GET /graphql), which loads from Apollo's CDN. Hashed assets are cached for a
 * year, index.html never. Without a build it answers 404 with how to make one.
 */
export function serveGraphiql(dir: string): RequestHandler {
  return serveBundle(dir, CONTENT_SECURITY_POLICY, "GraphiQL");
}
