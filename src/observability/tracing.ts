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
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Trace context only: W3C baggage is arbitrary data from the client, and nothing here reads it.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new GraphQLInstrumentation({
        // Literals in documents are replaced by "*" and variables never recorded: a note or
        // a message written inline in a document does not reach a span.
        allowValues: false,
        // One span per resolver that does work; the default resolvers of plain properties
        // would multiply the spans of every list by its size.
        ignoreTrivialResolveSpans: true,
        mergeItems: true,
        depth: 3,
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
