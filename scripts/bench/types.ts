/** The shapes every benchmark scenario shares (see scripts/bench/run.ts). */

/** What a scenario gets from the runner. */
export interface BenchContext {
  /** `http://127.0.0.1:PORT/graphql` of the built server under test (a separate process). */
  url: string;
  /** `ws://127.0.0.1:PORT/graphql` */
  wsUrl: string;
  /** PID of the server process (to read its memory: /proc/PID/status VmRSS). */
  serverPid: number;
  /** Seeded members with valid tokens; `members[0]` has the big inbox. */
  members: { id: string; token: string }[];
  /** Options from the command line. */
  options: BenchOptions;
  /** Progress and notes for the user (stderr). */
  log(message: string): void;
  /** The server's METRICS_TOKEN: the HTTP scenarios read the response cache's counts. */
  metricsToken?: string;
}

export interface BenchOptions {
  /** Seconds per HTTP load scenario. */
  duration: number;
  /** Concurrent HTTP connections. */
  connections: number;
  /** CI-sized run: everything under 60 s. */
  quick: boolean;
  /** Subscribers for push-latency / connections for idle-sockets. */
  subscribers: number;
  sockets: number;
  /** Declines per second in push-latency. */
  rate: number;
}

/** One row of the results table. Latencies in milliseconds; null where it does not apply. */
export interface ScenarioResult {
  scenario: string;
  requests: number;
  throughput: number | null; // operations per second
  p50: number | null;
  p99: number | null;
  errors: number;
  /** Server RSS after the scenario, MiB. */
  rssMiB: number | null;
  /** Scenario-specific numbers (e.g. lost events, KiB per socket, memory after close). */
  extra: Record<string, number | string>;
  /** Filled by the runner: throughput / baseline throughput of the same run. */
  ratioToBaseline?: number | null;
}

export type Scenario = (ctx: BenchContext) => Promise<ScenarioResult>;
