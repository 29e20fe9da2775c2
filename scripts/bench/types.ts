/** The shapes every benchmark scenario shares (see scripts/bench/run.ts). */

/** The database engines the bench can run the scenarios on. */
export type Engine = "sqlite" | "postgres";

/** One server process under test. */
export interface ServerEndpoint {
  /** `http://127.0.0.1:PORT/graphql` of the built server (a separate process). */
  url: string;
  /** `ws://127.0.0.1:PORT/graphql` */
  wsUrl: string;
  /** PID of the process (its memory and CPU time are read from /proc). */
  pid: number;
}

/** What a scenario gets from the runner. */
export interface BenchContext {
  /** Which database the servers use. */
  engine: Engine;
  /**
   * The servers under test: one on SQLite, two on PostgreSQL (same database, same Redis, same
   * JWT secret). Scenarios split their load evenly over them; CPU and memory are their sums.
   */
  servers: ServerEndpoint[];
  /** Seeded members with valid tokens; `members[0]` has the big inbox. */
  members: { id: string; token: string }[];
  /** The many-viewers community of the same seed (absent when none was seeded). */
  viewers?: ViewerCommunity;
  /** Options from the command line. */
  options: BenchOptions;
  /** Progress and notes for the user (stderr). */
  log(message: string): void;
  /** The servers' METRICS_TOKEN: the HTTP scenarios read the response cache's counts. */
  metricsToken?: string;
}

/**
 * Members seeded for `many-viewers`, each with a small inbox, a few connections and some
 * notifications (see seed.ts). Indexes below are into `members`.
 */
export interface ViewerCommunity {
  members: { id: string; token: string }[];
  /** Seeded PENDING invitations, each answered (accepted, declined, ...) at most once. */
  pending: { id: string; sender: number; recipient: number }[];
  /**
   * Pairs with nothing between them are `(i, (i + d) % members.length)` for
   * `freshFrom <= d < members.length / 2`: member i may invite the other exactly once.
   */
  freshFrom: number;
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
  /** Share of many-viewers requests that are writes (0..1). */
  writeShare: number;
}

/** One row of the results table. Latencies in milliseconds; null where it does not apply. */
export interface ScenarioResult {
  scenario: string;
  /** Filled by the runner. */
  engine?: Engine;
  requests: number;
  throughput: number | null; // operations per second
  p50: number | null;
  p99: number | null;
  errors: number;
  /** Server RSS after the scenario, MiB (the sum of the instances on PostgreSQL). */
  rssMiB: number | null;
  /** Scenario-specific numbers (e.g. lost events, KiB per socket, memory after close). */
  extra: Record<string, number | string>;
  /** Filled by the runner: throughput / baseline throughput of the same engine and run. */
  ratioToBaseline?: number | null;
  /**
   * Filled by the runner for rows whose answers are computed: throughput / the throughput of
   * `computedReference` (same engine, same run).
   */
  ratioToComputed?: number | null;
  /** `baseline-uncached` for the computed rows, `inbox-uncached` for many-viewers. */
  computedReference?: string;
}

export type Scenario = (ctx: BenchContext) => Promise<ScenarioResult>;
