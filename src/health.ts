import type { RequestHandler } from "express";
import type { App } from "./app";

/**
 * GET /healthz: 200 `{ status: "ok", ... }` once both database connections and the pubsub
 * answer; 503 while any of them does not, and at once when the server is stopping, so a load
 * balancer takes it out of rotation while in-flight work drains.
 */
export function healthCheck(app: App, stopping: () => boolean): RequestHandler {
  const { dataSource, reads } = app.deps;
  return async (_req, res) => {
    if (stopping()) {
      res.status(503).json({ status: "stopping" });
      return;
    }
    const database = await Promise.all([
      dataSource.query("SELECT 1"),
      reads.query("SELECT 1"),
    ]).then(
      () => true,
      () => false,
    );
    const pubsub = await app.broker.health();
    const ok = database && pubsub.ok;
    res.status(ok ? 200 : 503).json({
      status: ok ? "ok" : "unavailable",
      database: database ? "ok" : "unreachable",
      engine: dataSource.options.type === "postgres" ? "postgres" : "sqlite",
      pubsub: pubsub.kind,
      ...(pubsub.kind === "redis" ? { redis: pubsub.ok ? "ok" : "unreachable" } : {}),
    });
  };
}
