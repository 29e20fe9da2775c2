import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "./observability/logger";
import { defaultAppDir, defaultGraphiqlDir } from "./web/paths";
import { DEVELOPMENT_ORIGINS, parseOrigins } from "./web/origins";

/** Everything the server reads from the environment, checked once at start-up. */
export interface Config {
  port: number;
  host: string;
  /** SQLite file; its folder also keeps the generated development JWT secret. */
  sqlitePath: string;
  /** `postgres://...`: PostgreSQL instead of SQLite. */
  databaseUrl: string | null;
  /** Connections in the PostgreSQL pool. */
  databasePoolSize: number;
  /**
   * Memory for repeated query answers (web/response-cache.ts), in bytes; 0 turns it off. SQLite
   * only: with PostgreSQL other instances write where this one cannot see, so it is off there.
   */
  responseCacheBytes: number;
  /** `redis://...`: the pubsub crosses instances through Redis instead of staying in-process. */
  redisUrl: string | null;
  /** Least severe level logged (JSON lines on stdout); `silent` logs nothing. */
  logLevel: LogLevel;
  /** Bearer token GET /metrics requires; without one it is open, except in production (off). */
  metricsToken: string | null;
  production: boolean;
  jwtSecret: string;
  /** A `jsonwebtoken` duration such as `7d` or `12h`. */
  jwtExpiresIn: string;
  /** How long a sender waits to invite the same member again after a withdraw or a decline. */
  cooldownMs: number;
  noteMaxLength: number;
  responseMaxLength: number;
  pageDefault: number;
  pageMax: number;
  /** Largest accepted request body (an `express.json` limit such as `100kb`). */
  bodyLimit: string;
  /** An invitation pending this long gets one INVITATION_REMINDER to its recipient. */
  reminderAfterMs: number;
  /** Pending and ignored invitations older than this expire, silently. */
  expiryAfterMs: number;
  /** How often the server runs the reminder and expiry jobs; 0 turns them off in the server. */
  jobsIntervalMs: number;
  /** Invitations a member may send in any 7 days. */
  weeklyInviteLimit: number;
  /** Invitations a member may have waiting (pending to them) at once. */
  pendingInviteLimit: number;
  /** Reports from this many different members within `reportWindowMs` suspend sending. */
  reportThreshold: number;
  reportWindowMs: number;
  /** How long such a sender cannot send. */
  reportSuspensionMs: number;
  /** Answer introspection queries (Apollo Sandbox, codegen); off in production unless asked for. */
  introspection: boolean;
  /** Deepest field nesting an operation may have (introspection fields are not counted). */
  queryMaxDepth: number;
  /** Aliased fields an operation may have, counted through its fragments. */
  queryMaxAliases: number;
  /** Lexical tokens a GraphQL document may have; the parser stops past it. */
  queryMaxTokens: number;
  /** Estimated cost an operation may have: each field 1, a list's fields times its page size. */
  queryMaxCost: number;
  /** Proxy hops in front of the server whose X-Forwarded-For is trusted (0: use the socket's address). */
  trustProxy: number;
  /** The window of the logIn / signUp rate limits. */
  authWindowMs: number;
  /** logIn attempts per client IP address in a window. */
  logInMaxPerIp: number;
  /** logIn attempts per email address in a window, wherever they come from. */
  logInMaxPerEmail: number;
  /** signUp attempts per client IP address in a window. */
  signUpMaxPerIp: number;
  /** signUp attempts per email address in a window. */
  signUpMaxPerEmail: number;
  /** WebSocket connections one member may hold open at once (on one instance). */
  wsMaxConnectionsPerMember: number;
  /** Operations (subscriptions) running at once on one WebSocket connection. */
  wsMaxSubscriptionsPerConnection: number;
  /** How long a new WebSocket may wait before sending `connection_init`. */
  wsConnectionInitTimeoutMs: number;
  /** Largest WebSocket message the server reads, in bytes. */
  wsMaxMessageBytes: number;
  /**
   * Browser origins admitted by CORS and on the WebSocket upgrade, besides the server's own
   * (`https://app.example.com`, or `http://localhost:*` for any port).
   */
  corsOrigins: string[];
  /** Folder of the built example client served at /app. */
  appDir: string;
  /** Folder of the built GraphiQL page served at /graphiql outside production. */
  graphiqlDir: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Thrown for a bad environment value: the server refuses to start instead of guessing. */
export class ConfigError extends Error {}

/**
 * Reads and validates the configuration from `env` (default `process.env`).
 * In development a missing JWT_SECRET is generated once and kept beside the SQLite file;
 * in production it is required.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const production = env.NODE_ENV === "production";
  const sqlitePath = env.SQLITE_PATH || "./data/invitations.sqlite";
  const config: Config = {
    port: int(env, "PORT", 4000, 0, 65535),
    host: env.HOST || "0.0.0.0",
    sqlitePath,
    databaseUrl: env.DATABASE_URL || null,
    databasePoolSize: int(env, "DATABASE_POOL_SIZE", 10, 1, 1000),
    responseCacheBytes: int(env, "RESPONSE_CACHE_MB", 64, 0, 100_000) * 1024 * 1024,
    redisUrl: env.REDIS_URL || null,
    logLevel: (env.LOG_LEVEL || "info") as LogLevel,
    metricsToken: env.METRICS_TOKEN || null,
    production,
    jwtSecret: env.JWT_SECRET || "",
    jwtExpiresIn: env.JWT_EXPIRES_IN || "7d",
    cooldownMs: int(env, "INVITATION_COOLDOWN_DAYS", 21, 0, 3650) * DAY_MS,
    noteMaxLength: int(env, "NOTE_MAX_LENGTH", 300, 1, 10_000),
    responseMaxLength: int(env, "RESPONSE_MAX_LENGTH", 500, 1, 10_000),
    pageDefault: int(env, "PAGE_SIZE_DEFAULT", 20, 1, 1000),
    pageMax: int(env, "PAGE_SIZE_MAX", 100, 1, 1000),
    bodyLimit: env.BODY_LIMIT || "100kb",
    reminderAfterMs: int(env, "REMINDER_AFTER_DAYS", 7, 1, 3650) * DAY_MS,
    expiryAfterMs: int(env, "EXPIRY_AFTER_DAYS", 180, 1, 3650) * DAY_MS,
    jobsIntervalMs: int(env, "JOBS_INTERVAL_SECONDS", 60, 0, 86_400) * 1000,
    weeklyInviteLimit: int(env, "WEEKLY_INVITATION_LIMIT", 100, 1, 100_000),
    pendingInviteLimit: int(env, "PENDING_INVITATION_LIMIT", 500, 1, 100_000),
    reportThreshold: int(env, "REPORT_SUSPENSION_THRESHOLD", 5, 1, 1000),
    reportWindowMs: int(env, "REPORT_WINDOW_DAYS", 30, 1, 3650) * DAY_MS,
    reportSuspensionMs: int(env, "REPORT_SUSPENSION_DAYS", 7, 1, 3650) * DAY_MS,
    introspection: bool(env, "INTROSPECTION", !production),
    queryMaxDepth: int(env, "QUERY_MAX_DEPTH", 10, 1, 1000),
    queryMaxAliases: int(env, "QUERY_MAX_ALIASES", 30, 0, 100_000),
    queryMaxTokens: int(env, "QUERY_MAX_TOKENS", 2000, 10, 1_000_000),
    queryMaxCost: int(env, "QUERY_MAX_COST", 5000, 1, 100_000_000),
    trustProxy: int(env, "TRUST_PROXY", 0, 0, 10),
    authWindowMs: int(env, "AUTH_RATE_WINDOW_SECONDS", 900, 1, 86_400) * 1000,
    logInMaxPerIp: int(env, "LOGIN_MAX_PER_IP", 100, 1, 1_000_000_000),
    logInMaxPerEmail: int(env, "LOGIN_MAX_PER_EMAIL", 10, 1, 1_000_000_000),
    signUpMaxPerIp: int(env, "SIGNUP_MAX_PER_IP", 20, 1, 1_000_000_000),
    signUpMaxPerEmail: int(env, "SIGNUP_MAX_PER_EMAIL", 5, 1, 1_000_000_000),
    wsMaxConnectionsPerMember: int(env, "WS_MAX_CONNECTIONS_PER_MEMBER", 10, 1, 1_000_000),
    wsMaxSubscriptionsPerConnection: int(
      env,
      "WS_MAX_SUBSCRIPTIONS_PER_CONNECTION",
      20,
      1,
      100_000,
    ),
    wsConnectionInitTimeoutMs: int(env, "WS_CONNECTION_INIT_TIMEOUT_MS", 3000, 1, 600_000),
    wsMaxMessageBytes: int(env, "WS_MAX_MESSAGE_BYTES", 65_536, 1024, 100 * 1024 * 1024),
    corsOrigins: origins(env, production),
    appDir: env.APP_DIR || defaultAppDir(),
    graphiqlDir: env.GRAPHIQL_DIR || defaultGraphiqlDir(),
  };
  if (!/^\d+\s*(ms|s|m|h|d|w|y)?$/.test(config.jwtExpiresIn)) {
    throw new ConfigError(`JWT_EXPIRES_IN must look like 7d or 12h, got "${config.jwtExpiresIn}"`);
  }
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new ConfigError("DATABASE_URL must start with postgres:// or postgresql://");
  }
  if (config.redisUrl && !/^rediss?:\/\//.test(config.redisUrl)) {
    throw new ConfigError("REDIS_URL must start with redis:// or rediss://");
  }
  if (!isLogLevel(config.logLevel)) {
    throw new ConfigError(
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${config.logLevel}"`,
    );
  }
  if (config.metricsToken !== null && config.metricsToken.length < 16) {
    throw new ConfigError("METRICS_TOKEN must have at least 16 characters");
  }
  if (config.pageDefault > config.pageMax) {
    throw new ConfigError("PAGE_SIZE_DEFAULT must not exceed PAGE_SIZE_MAX");
  }
  if (!config.jwtSecret) {
    if (production) throw new ConfigError("JWT_SECRET is required when NODE_ENV=production");
    config.jwtSecret = developmentSecret(sqlitePath);
  } else if (production && config.jwtSecret.length < 32) {
    throw new ConfigError("JWT_SECRET must have at least 32 characters in production");
  }
  return config;
}

function int(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** CORS_ORIGINS, or local dev servers outside production and nothing in production. */
function origins(env: Record<string, string | undefined>, production: boolean): string[] {
  const raw = env.CORS_ORIGINS;
  if (raw === undefined || raw.trim() === "") return production ? [] : [...DEVELOPMENT_ORIGINS];
  try {
    return parseOrigins(raw);
  } catch (err) {
    throw new ConfigError(`CORS_ORIGINS: ${(err as Error).message}`);
  }
}

function bool(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** A random secret generated once per data folder, so tokens survive restarts in development. */
function developmentSecret(sqlitePath: string): string {
  const file = join(dirname(sqlitePath), "jwt-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dirname(file), { recursive: true });
  try {
    // "wx": of two processes starting at once, one writes and the other reads its secret.
    writeFileSync(file, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return readFileSync(file, "utf8").trim();
}
