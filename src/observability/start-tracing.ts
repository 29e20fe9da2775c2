import { openTelemetryEnvironment } from "../config";
import { startTracing } from "./tracing";

/**
 * Tracing, started as the entry point's first import: the graphql instrumentation must be in
 * place before anything loads graphql. Null when no OTLP endpoint is configured.
 */
export const tracing = startTracing(openTelemetryEnvironment());
