import type { RequestHandler } from "express";

/**
 * Serves GraphiQL, built from the project's own bundle (web/graphiql, `npm run build`), at
 * /graphiql outside production. Placeholder until the bundle lands: answers 404.
 */
export function serveGraphiql(_dir: string): RequestHandler {
  return (_req, res) => {
    res.status(404).type("text/plain").send("GraphiQL is not built yet.\n");
  };
}
