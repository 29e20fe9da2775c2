import type { RequestHandler } from "express";
import { serveBundle } from "./bundle";

// The page renders every text with textContent; this policy is the second line of defence.
// 'self' also admits ws:/wss: to this host (CSP Level 3), which the notifications use.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Serves the built example client (mount it at /app). Hashed assets are cached for a year,
 * index.html never. Without a build it answers 404 with how to make one.
 */
export function serveClient(appDir: string): RequestHandler {
  return serveBundle(appDir, CONTENT_SECURITY_POLICY, "The example client");
}
