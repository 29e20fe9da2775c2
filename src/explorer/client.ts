import { existsSync } from "node:fs";
import { join } from "node:path";
import express, { type RequestHandler } from "express";

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
  const assets = join(appDir, "assets");
  const files = express.static(appDir, {
    index: "index.html",
    setHeaders(res, path) {
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("Referrer-Policy", "no-referrer");
      res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
      const hashed = path.startsWith(assets);
      res.setHeader("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  return (req, res, next) => {
    if (!existsSync(join(appDir, "index.html"))) {
      res
        .status(404)
        .type("text/plain")
        .send(`The example client is not built: run \`npm run build\` (it writes ${appDir}).\n`);
      return;
    }
    files(req, res, next);
  };
}
