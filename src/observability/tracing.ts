import { createRequire } from "node:module";
import { setTracingOn } from "../common/tracing";

/** Running tracing: flushes what is buffered on shutdown. */
export interface Tracing {
  /** Where spans go, for the start-up line. */
  endpoint: string;
  shutdown(): Promise<void>;
}

/**
 * Starts tracing if `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
 * set and `OTEL_SDK_DISABLED` is not `true`; returns null otherwise. Must run before graphql is
 * first loaded (main.ts calls it before importing the server), so that the instrumentation
 * can wrap graphql's parse, validate and execute. The SDK reads the other standard variables
 * itself: `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER(_ARG)`,
 * `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`...
 */
export function startTracing(env: Record<string, string | undefined>): Tracing | null {
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return null;
  // Loaded only when on: the SDK, the exporter and the instrumentation cost nothing when off.
  const load = createRequire(__filename);
  const { NodeTracerProvider } = load(
    "@opentelemetry/sdk-trace-node",
  ) as typeof import("@opentelemetry/sdk-trace-node");
  const { BatchSpanProcessor } = load(
    "@opentelemetry/sdk-trace-base",
  ) as typeof import("@opentelemetry/sdk-trace-base");
  const { OTLPTraceExporter } = load(
    "@opentelemetry/exporter-trace-otlp-http",
  ) as typeof import("@opentelemetry/exporter-trace-otlp-http");
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } = load(
    "@opentelemetry/resources",
  ) as typeof import("@opentelemetry/resources");
  const { W3CTraceContextPropagator } = load(
    "@opentelemetry/core",
  ) as typeof import("@opentelemetry/core");
  const { registerInstrumentations } = load(
    "@opentelemetry/instrumentation",
  ) as typeof import("@opentelemetry/instrumentation");
  const { GraphQLInstrumentation } = load(
    "@opentelemetry/instrumentation-graphql",
  ) as typeof import("@opentelemetry/instrumentation-graphql");

  const resource = defaultResource()
    .merge(resourceFromAttributes({ "service.name": "invitations-api" }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults above.
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new Scrubbed(new OTLPTraceExporter()))],
  });
  // Trace context only: W3C baggage is arbitrary data from the client, and nothing here reads it.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new GraphQLInstrumentation({
        // Literals in documents are replaced by "*" and variables never recorded (and the
        // exporter drops the document's text altogether: see Scrubbed).
        allowValues: false,
        // Parse, validation and execution only: spans per resolver halved the throughput of
        // traced requests in the bench (docs/performance.md), and the statements resolvers
        // run are spans of their own.
        ignoreResolveSpans: true,
      }),
    ],
  });
  // graphql loaded now, through require, so that the instrumentation wraps it before the
  // server (and Apollo, type-graphql, graphql-ws) take their references to it.
  load("graphql");
  setTracingOn(true);
  return {
    endpoint,
    async shutdown() {
      setTracingOn(false);
      await provider.shutdown();
    },
  };
}

/** The SDK's exporter interface, as much of it as is used here. */
type SpanExporter = import("@opentelemetry/sdk-trace-base").SpanExporter;
type ReadableSpan = import("@opentelemetry/sdk-trace-base").ReadableSpan;

/** A GraphQL name: what an operation's name may be. */
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/** The only attribute of an exception event that is kept: its class or code. */
const EXCEPTION_TYPE = "exception.type";

/**
 * The last word on what leaves the process. The graphql instrumentation records exceptions
 * with their messages (graphql-js quotes the offending literal in a syntax or validation
 * error: `found String "..."`; resolvers' errors quote input), keeps the words of comments in
 * `graphql.source`, and names an execution by the client's free-text `operationName` when it
 * matches no operation. Every span goes out with exception events reduced to their type, no
 * status message, no `graphql.source`, and a name only if it is a GraphQL name.
 */
class Scrubbed implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    this.inner.export(spans.map(scrub), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** `span` as it may leave: see `Scrubbed`. The SDK's span is read through, never changed. */
export function scrub(span: ReadableSpan): ReadableSpan {
  const attributes = { ...span.attributes };
  // Rebuilt from the document's tokens, literals masked, but a comment's words kept (without
  // their `#`, so they cannot be told apart): the operation's name and type say enough.
  delete attributes["graphql.source"];
  const name = attributes["graphql.operation.name"];
  if (typeof name === "string" && name !== "" && !GRAPHQL_NAME.test(name)) {
    attributes["graphql.operation.name"] = "unknown";
  }
  const events = span.events.map((event) => ({
    ...event,
    attributes:
      event.attributes && EXCEPTION_TYPE in event.attributes
        ? { [EXCEPTION_TYPE]: event.attributes[EXCEPTION_TYPE] }
        : event.name === "exception"
          ? {}
          : event.attributes,
  }));
  const status = { code: span.status.code };
  // The SDK's span stays as it is; the copy reads everything else (its context, times,
  // resource) through it.
  return Object.assign(Object.create(span) as ReadableSpan, { attributes, events, status });
}
