import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Logger } from "../common/logger";
import { msSince, requestIdFrom } from "./labels";
import type { Metrics } from "./metrics";

/** What one HTTP request's log line says about the GraphQL operation it ran, if any. */
export interface OperationLog {
  /** The client's operation name, or null for an anonymous operation. */
  operation: string | null;
  field: string;
  type: string;
  outcome: string;
  memberId: string | null;
}

/** What the access log knows about one request while it runs. */
interface RequestState {
  id: string;
  operation?: OperationLog;
}

/** The request id and log state of each HTTP request, for the Apollo plugin to fill in. */
export class RequestLog {
  private readonly states = new WeakMap<IncomingMessage, RequestState>();

  /** The id `middleware` gave the request (undefined for a request it never saw). */
  idOf(req: IncomingMessage): string | undefined {
    return this.states.get(req)?.id;
  }

  /** Attaches the GraphQL operation's details to the request's log line. */
  setOperation(req: IncomingMessage, operation: OperationLog): void {
    const state = this.states.get(req);
    if (state) state.operation = operation;
  }

  /**
   * Express middleware, first in line: gives the request an id (the client's `x-request-id`
   * when sane), echoes it as a response header, and once the response is done logs one line
   * for the request and counts it. /healthz and /metrics log at debug: probes and scrapers
   * call them every few seconds.
   */
  middleware(logger: Logger, metrics: Metrics): RequestHandler {
    const track = this.tracker(logger, metrics);
    return (req, res, next) => {
      // Taken now: routers mounted on a path strip it from req.url while they handle the
      // request. Never the query string: a GET's `variables` could carry a password.
      track(req, res, req.path);
      next();
    };
  }

  /** The same for a request served without Express (the GraphQL fast path), given its path. */
  tracker(
    logger: Logger,
    metrics: Metrics,
  ): (req: IncomingMessage, res: ServerResponse, path: string) => void {
    return (req, res, path) => {
      const start = performance.now();
      const state: RequestState = { id: requestIdFrom(req.headers["x-request-id"]) };
      this.states.set(req, state);
      res.setHeader("x-request-id", state.id);
      // "close" fires for finished and for aborted responses alike.
      res.once("close", () => {
        const route = routeOf(path);
        const status = res.statusCode;
        metrics.httpRequests.inc({ route, method: methodOf(req.method), status: String(status) });
        const level =
          status >= 500 ? "error" : route === "/healthz" || route === "/metrics" ? "debug" : "info";
        logger[level](
          {
            reqId: state.id,
            method: req.method,
            path,
            status,
            durationMs: msSince(start),
            ...(res.writableFinished ? {} : { aborted: true }),
            ...state.operation,
          },
          "request completed",
        );
      });
    };
  }
}

/**
 * GET /metrics in Prometheus' text format. With `token`, only for `Authorization: Bearer
 * <token>` (401 otherwise); without one, open. Whether to mount it at all is the caller's call.
 */
export function metricsHandler(metrics: Metrics, token: string | null): RequestHandler {
  const expected = token === null ? null : digest(`Bearer ${token}`);
  return async (req, res) => {
    if (expected) {
      const given = digest(req.headers.authorization ?? "");
      // Compared in constant time: the answer's timing tells nothing about the token.
      if (!timingSafeEqual(given, expected)) {
        res.status(401).setHeader("www-authenticate", 'Bearer realm="metrics"').end();
        return;
      }
    }
    res.setHeader("content-type", metrics.contentType);
    res.setHeader("cache-control", "no-store");
    res.end(await metrics.render());
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** The route label: the server's own paths, everything else `other` (bounded). */
export function routeOf(path: string): string {
  if (ROUTES.has(path)) return path;
  if (path === "/app" || path.startsWith("/app/")) return "/app";
  return "other";
}

/** Paths that are their own route label. */
const ROUTES = new Set(["/graphql", "/graphql/stream", "/healthz", "/metrics", "/unsubscribe"]);

function methodOf(method: string | undefined): string {
  return method && ["GET", "POST", "OPTIONS", "HEAD"].includes(method) ? method : "other";
}
