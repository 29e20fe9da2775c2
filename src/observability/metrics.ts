import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds: from a fast cached query to a slow list (the limits stop anything much longer). */
const OPERATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: a SQLite primary-key lookup takes tens of microseconds. */
const QUERY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/** Outcome label of an operation: `ok`, or the `extensions.code` of its first error. */
export type Outcome = string;

/** Operation type label: `query`, `mutation`, `subscription`, or `unknown` before parsing. */
export type OperationType = "query" | "mutation" | "subscription" | "unknown";

// Node's process metrics (CPU, memory, event loop lag, GC) exist once per process, however
// many servers it runs (the tests start several): one registry for them, created on first use.
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The server's Prometheus metrics, in a registry of its own (never prom-client's global one,
 * so two servers in one process count separately). Every label takes a bounded set of
 * values: root field names come from the schema, outcomes from the error codes, topics from
 * the Topic table; anything else is bucketed by the callers.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly operations = new Counter({
    name: "graphql_operations_total",
    help: "GraphQL operations over HTTP and WebSocket, by root field, type and outcome (ok or the error code).",
    labelNames: ["operation", "type", "outcome"] as const,
    registers: [this.registry],
  });

  readonly operationDuration = new Histogram({
    name: "graphql_operation_duration_seconds",
    help: "Time to answer a query or mutation, or to start a subscription, in seconds.",
    labelNames: ["operation", "type", "outcome"] as const,
    buckets: OPERATION_BUCKETS,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by route, method and status code.",
    labelNames: ["route", "method", "status"] as const,
    registers: [this.registry],
  });

  readonly wsConnections = new Gauge({
    name: "graphql_ws_connections",
    help: "Open WebSocket connections (graphql-ws), acknowledged or not.",
    registers: [this.registry],
  });

  readonly activeSubscriptions = new Gauge({
    name: "graphql_subscriptions_active",
    help: "Subscriptions currently listening, by root field.",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });

  readonly eventsPublished = new Counter({
    name: "pubsub_events_published_total",
    help: "Events this instance published (after their transaction committed), by topic.",
    labelNames: ["topic"] as const,
    registers: [this.registry],
  });

  readonly eventsDelivered = new Counter({
    name: "subscription_events_delivered_total",
    help: "Events sent to a subscriber over WebSocket, by subscription root field.",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });

  readonly queryDuration = new Histogram({
    name: "db_query_duration_seconds",
    help: "SQL statements, from the moment TypeORM hands them to the driver to their result, in seconds.",
    labelNames: ["outcome"] as const,
    buckets: QUERY_BUCKETS,
    registers: [this.registry],
  });

  /** Counts the transports keep themselves, read at each scrape (set when the part exists). */
  readonly sources: {
    responseCache?: () => Record<"hit" | "miss" | "bypass", number>;
    fastPath?: () => number;
  } = {};

  readonly responseCache = new Counter({
    name: "graphql_response_cache_total",
    help: "Queries the response cache answered from memory (hit), computed (miss), or computed afresh because the request said Cache-Control: no-cache (bypass).",
    labelNames: ["result"] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.sources.responseCache?.();
      if (!counts) return;
      this.responseCache.reset();
      for (const [result, n] of Object.entries(counts)) this.responseCache.inc({ result }, n);
    },
  });

  readonly fastPath = new Counter({
    name: "graphql_fast_path_requests_total",
    help: "POST /graphql requests answered without Express (JSON of a declared length, no Origin).",
    registers: [this.registry],
    collect: () => {
      const served = this.sources.fastPath?.();
      if (served === undefined) return;
      this.fastPath.reset();
      this.fastPath.inc(served);
    },
  });

  /** Records one finished operation in the counter and, when its duration is known, the histogram. */
  operation(operation: string, type: OperationType, outcome: Outcome, seconds?: number): void {
    const labels = { operation, type, outcome };
    this.operations.inc(labels);
    if (seconds !== undefined) this.operationDuration.observe(labels, seconds);
  }

  /** The Prometheus text exposition: this server's metrics, then the process's. */
  async render(): Promise<string> {
    const [own, proc] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${proc}`;
  }

  /** The Content-Type of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
