import { existsSync } from "node:fs";
import { join } from "node:path";
import express, { type RequestHandler } from "express";

/**
 * Serves a page built by Vite into `dir` (`npm run build`): hashed assets cached for a year,
 * index.html never, each answer with `policy` as its Content-Security-Policy. Without a build
 * it answers 404 saying how to make one (`what` names the page).
 */
export function serveBundle(dir: string, policy: string, what: string): RequestHandler {
  const assets = join(dir, "assets");
  const files = express.static(dir, {
    index: "index.html",
    setHeaders(res, path) {
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("Referrer-Policy", "no-referrer");
      res.setHeader("Content-Security-Policy", policy);
      const hashed = path.startsWith(assets);
      res.setHeader("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  return (req, res, next) => {
    if (!existsSync(join(dir, "index.html"))) {
      res
        .status(404)
        .type("text/plain")
        .send(`${what} is not built: run \`npm run build\` (it writes ${dir}).\n`);
      return;
    }
    files(req, res, next);
  };
}
