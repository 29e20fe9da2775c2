import type { IncomingMessage, ServerResponse } from "node:http";
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from "@opentelemetry/api";

/**
 * Spans of the server's own seams, on the OpenTelemetry API (docs/tracing.md). The SDK is
 * started by observability/tracing.ts only when an OTLP endpoint is configured; until then
 * every hook below is a single boolean test, so the request path does the same work as
 * without tracing.
 *
 * What a trace holds: the HTTP request (from the client's `traceparent`), the GraphQL parse,
 * validation, execution and resolvers (the maintained graphql instrumentation, with literals
 * masked and no variables), each SQL statement (its shape: literals replaced), the write
 * transaction, the publish of its signals, and WebSocket and SSE operations. Never a variable,
 * a note, a message, an e-mail address or a token: attributes are names, shapes and counts.
 */

/** The name our own spans are recorded under. */
const TRACER_NAME = "invitations-api";

let enabled = false;

/** Whether tracing is on in this process. */
export function tracingOn(): boolean {
  return enabled;
}

/**
 * Whether the work being done now is traced: tracing is on and the current span records (is
 * sampled). A child span of an unsampled request would be dropped anyway: not made at all.
 */
export function tracingHere(): boolean {
  return enabled && trace.getActiveSpan()?.isRecording() === true;
}

/** Set by the tracing start-up (observability/tracing.ts) once spans are exported, and on stop. */
export function setTracingOn(on: boolean): void {
  enabled = on;
}

/** The tracer for the server's own spans (a no-op one while tracing is off). */
export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `handle` inside the server span of one HTTP request, continuing the client's trace
 * from `traceparent`. The span's name is the method and the route (never the query string:
 * a GET's variables could carry a password); it ends when the response closes.
 */
export function traceRequest(
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  handle: () => void,
): void {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = req.method ?? "GET";
  const span = tracer().startSpan(
    `${method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": method,
        "http.route": route,
        "url.scheme": "http",
        "network.protocol.version": req.httpVersion,
      },
    },
    parent,
  );
  res.once("close", () => {
    span.setAttribute("http.response.status_code", res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (!res.writableFinished) span.setAttribute("invitations.aborted", true);
    span.end();
  });
  context.with(trace.setSpan(parent, span), handle);
}

/** Adds attributes to the span of the current request or operation, if one is recording. */
export function annotate(attributes: Attributes): void {
  if (!enabled) return;
  trace.getActiveSpan()?.setAttributes(attributes);
}

/**
 * Runs `work` in a span named `name` (a child of the current one), ending it when `work`
 * settles; an error marks it failed (its message is not recorded: errors can quote input).
 * With tracing off, just runs `work`.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span | null) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  if (!tracingHere()) return work(null);
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute("error.type", errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The current context, to resume later work in it (null while tracing is off). */
export function currentContext(): Context | null {
  return enabled ? context.active() : null;
}

/** Runs `work` in `ctx` (as captured by `currentContext`), or as it is when there is none. */
export function withContext<T>(ctx: Context | null, work: () => T): T {
  return ctx ? context.with(ctx, work) : work();
}

/** A bounded name for an error: its code or class, never its message. */
export function errorType(error: unknown): string {
  const code =
    (error as { code?: unknown; driverError?: { code?: unknown } } | null)?.driverError?.code ??
    (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[\w.-]{1,40}$/.test(code)) return code;
  return error instanceof Error ? error.constructor.name : "unknown";
}

/**
 * A SQL statement's shape: string and number literals replaced by `?`, whitespace folded.
 * TypeORM sends values as parameters but writes some numbers into the text (LIMIT, counts),
 * and hand-written statements carry constants; none of them belongs in a span.
 */
export function statementShape(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, "?")
    .replace(/(?<![\w$."])-?\d+(?:\.\d+)?(?![\w"])/g, "?")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 2000);
}

/** The statement's first keyword (SELECT, INSERT, BEGIN...), the span's name. */
export function statementOperation(sql: string): string {
  const match = /^\s*(?:\/\*.*?\*\/\s*)?([A-Za-z]+)/s.exec(sql);
  return match ? match[1].toUpperCase() : "SQL";
}
