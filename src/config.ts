import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { bool, cleanEnv, EnvError, makeValidator, str } from "envalid";
import { LOG_LEVELS, type LogLevel } from "./common/logger";
import { DEVELOPMENT_ORIGINS, parseOrigins } from "./common/origins";

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
   * Memory for repeated query answers (transport/response-cache.ts), in bytes; 0 turns it off.
   * SQLite only: with PostgreSQL other instances write where this one cannot see.
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
  /** Largest accepted request body (`100kb`, `1mb`: the `bytes` package's format). */
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
  /** Reports from this many different members within `reportWindowMs` restrict the sender. */
  reportThreshold: number;
  reportWindowMs: number;
  /** How long such a sender's invitations are set aside (FILTERED), silently. */
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
  /**
   * signUp mails a link and creates the member only when it is followed, answering the same
   * for a new and a registered address (on in production by default).
   */
  emailVerification: boolean;
  /** `smtp://` or `smtps://` URL of the server that sends mail; null: see `mailDir`. */
  smtpUrl: string | null;
  /** The From of every mail. */
  mailFrom: string;
  /**
   * Without `smtpUrl` outside production, mail is written here as `.eml` files; in production
   * it waits in the outbox until SMTP_URL is set.
   */
  mailDir: string;
  /** Where members reach the server: the links in mail start with it. */
  publicUrl: string;
  /** A sender whose account is younger than this is in the `newAccounts` policy category. */
  newAccountMs: number;
  /** Hour of the day (UTC) the daily digest of notifications goes out. */
  digestHour: number;
  /** Whether notifications are e-mailed at all (sign-up mail goes either way). */
  notificationMail: boolean;
  /**
   * `only`: GraphQL answers only the documents of the trusted-documents manifest (sent by id,
   * or as their exact text); `allow`: those and any other document (docs/trusted-documents.md).
   */
  trustedDocuments: "allow" | "only";
  /** The manifest of trusted documents: `{ "sha256:<hex>": "<document>" }`. */
  trustedDocumentsManifest: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Thrown for a bad environment value: the server refuses to start instead of guessing. */
export class ConfigError extends Error {}

/** An integer from `min` to `max`, as envalid validates it. */
const int = (min: number, max: number) =>
  makeValidator<number>((raw) => {
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
      throw new EnvError(`must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  });

const pattern = (re: RegExp, what: string) =>
  makeValidator<string>((raw) => {
    if (!re.test(raw)) throw new EnvError(`must ${what}, got "${raw}"`);
    return raw;
  });

const logLevel = makeValidator<LogLevel>((raw) => {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new EnvError(`must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  }
  return raw as LogLevel;
});

const origins = makeValidator<string[]>((raw) => {
  try {
    return raw.trim() === "" ? [] : parseOrigins(raw);
  } catch (err) {
    throw new EnvError((err as Error).message);
  }
});

/**
 * Every variable the server reads, with its default and what it means. The same list is the
 * configuration reference (docs/configuration.md, checked against it by a test).
 */
export const ENVIRONMENT = {
  NODE_ENV: str({ default: "development", desc: "`production` hardens the defaults" }),
  PORT: int(0, 65535)({ default: 4000, desc: "Listening port; 0 picks a free one" }),
  HOST: str({ default: "0.0.0.0", desc: "Listening address" }),
  SQLITE_PATH: str({ default: "./data/invitations.sqlite", desc: "The embedded database file" }),
  DATABASE_URL: pattern(
    /^postgres(ql)?:\/\//,
    "start with postgres:// or postgresql://",
  )({
    default: undefined,
    desc: "PostgreSQL instead of SQLite",
  }),
  DATABASE_POOL_SIZE: int(1, 1000)({ default: 10, desc: "PostgreSQL pool connections" }),
  RESPONSE_CACHE_MB: int(0, 100_000)({ default: 64, desc: "Response cache memory; 0 is off" }),
  REDIS_URL: pattern(
    /^rediss?:\/\//,
    "start with redis:// or rediss://",
  )({
    default: undefined,
    desc: "Redis for the pubsub and rate limits across instances",
  }),
  LOG_LEVEL: logLevel({ default: "info", desc: "Least severe level logged" }),
  METRICS_TOKEN: pattern(
    /^.{16,}$/,
    "have at least 16 characters",
  )({
    default: undefined,
    desc: "Bearer token GET /metrics requires",
  }),
  JWT_SECRET: str({
    default: undefined,
    desc: "Token signing secret; required in production (32+ characters)",
  }),
  JWT_EXPIRES_IN: pattern(
    /^\d+\s*(ms|s|m|h|d|w|y)?$/,
    "look like 7d or 12h",
  )({
    default: "7d",
    desc: "Token lifetime",
  }),
  INVITATION_COOLDOWN_DAYS: int(0, 3650)({ default: 21, desc: "Wait after a decline/withdraw" }),
  NOTE_MAX_LENGTH: int(1, 10_000)({ default: 300, desc: "Longest invitation note" }),
  RESPONSE_MAX_LENGTH: int(1, 10_000)({ default: 500, desc: "Longest decline/greeting" }),
  PAGE_SIZE_DEFAULT: int(1, 1000)({ default: 20, desc: "Default page size" }),
  PAGE_SIZE_MAX: int(1, 1000)({ default: 100, desc: "Largest page size" }),
  BODY_LIMIT: pattern(
    /^\s*\d+(\.\d+)?\s*(b|kb|mb|gb)?\s*$/i,
    "look like 100kb or 1mb",
  )({
    default: "100kb",
    desc: "Largest request body",
  }),
  REMINDER_AFTER_DAYS: int(1, 3650)({ default: 7, desc: "Automatic reminder after" }),
  EXPIRY_AFTER_DAYS: int(1, 3650)({ default: 180, desc: "Open invitations expire after" }),
  JOBS_INTERVAL_SECONDS: int(0, 86_400)({ default: 60, desc: "Jobs interval; 0 is off" }),
  WEEKLY_INVITATION_LIMIT: int(1, 100_000)({ default: 100, desc: "Sends per 7 days" }),
  PENDING_INVITATION_LIMIT: int(1, 100_000)({ default: 500, desc: "Open sends at once" }),
  REPORT_SUSPENSION_THRESHOLD: int(1, 1000)({ default: 5, desc: "Reporters that restrict" }),
  REPORT_WINDOW_DAYS: int(1, 3650)({ default: 30, desc: "Window the reports count in" }),
  REPORT_SUSPENSION_DAYS: int(1, 3650)({ default: 7, desc: "Restriction length" }),
  NEW_ACCOUNT_DAYS: int(0, 3650)({ default: 30, desc: "Accounts this young are new" }),
  INTROSPECTION: bool({ default: undefined, desc: "Default: on outside production" }),
  QUERY_MAX_DEPTH: int(1, 1000)({ default: 10, desc: "Deepest field nesting" }),
  QUERY_MAX_ALIASES: int(0, 100_000)({ default: 30, desc: "Aliases per operation" }),
  QUERY_MAX_TOKENS: int(10, 1_000_000)({ default: 2000, desc: "Tokens per document" }),
  QUERY_MAX_COST: int(1, 100_000_000)({ default: 5000, desc: "Estimated cost per operation" }),
  TRUST_PROXY: int(0, 10)({ default: 0, desc: "Trusted proxy hops (X-Forwarded-For)" }),
  AUTH_RATE_WINDOW_SECONDS: int(1, 86_400)({ default: 900, desc: "logIn/signUp window" }),
  LOGIN_MAX_PER_IP: int(1, 1_000_000_000)({ default: 100, desc: "logIn per address" }),
  LOGIN_MAX_PER_EMAIL: int(1, 1_000_000_000)({ default: 10, desc: "logIn per email" }),
  SIGNUP_MAX_PER_IP: int(1, 1_000_000_000)({ default: 20, desc: "signUp per address" }),
  SIGNUP_MAX_PER_EMAIL: int(1, 1_000_000_000)({ default: 5, desc: "signUp per email" }),
  WS_MAX_CONNECTIONS_PER_MEMBER: int(1, 1_000_000)({ default: 10, desc: "Sockets per member" }),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(
    1,
    100_000,
  )({
    default: 20,
    desc: "Operations per socket",
  }),
  WS_CONNECTION_INIT_TIMEOUT_MS: int(1, 600_000)({ default: 3000, desc: "connection_init wait" }),
  WS_MAX_MESSAGE_BYTES: int(
    1024,
    100 * 1024 * 1024,
  )({
    default: 65_536,
    desc: "Largest WebSocket message",
  }),
  CORS_ORIGINS: origins({
    default: undefined,
    desc: "Browser origins besides the server's own; default: localhost outside production",
  }),
  APP_DIR: str({ default: undefined, desc: "Built example client (default dist/web)" }),
  GRAPHIQL_DIR: str({ default: undefined, desc: "Built GraphiQL page (default dist/graphiql)" }),
  EMAIL_VERIFICATION: bool({
    default: undefined,
    desc: "signUp mails a link first; default: on in production",
  }),
  SMTP_URL: pattern(
    /^smtps?:\/\/[^/\s]/,
    "start with smtp:// or smtps://",
  )({
    default: undefined,
    desc: "Mail server (nodemailer URL)",
  }),
  MAIL_FROM: str({ default: "Invitations <no-reply@localhost>", desc: "From of every mail" }),
  MAIL_DIR: str({ default: "./data/mail", desc: ".eml files without SMTP_URL (development)" }),
  DIGEST_HOUR: int(0, 23)({ default: 8, desc: "Hour (UTC) of the daily digest mail" }),
  MAIL_NOTIFICATIONS: bool({ default: true, desc: "E-mail notifications; false: in-app only" }),
  PUBLIC_URL: pattern(
    /^https?:\/\/[^/\s]+/,
    "be an http:// or https:// URL",
  )({
    default: undefined,
    desc: "Base of links in mail; default http://localhost:PORT",
  }),
  TRUSTED_DOCUMENTS: str({
    choices: ["allow", "only"] as const,
    default: "allow",
    desc: "only: answer only the documents of the trusted-documents manifest",
  }),
  TRUSTED_DOCUMENTS_MANIFEST: str({
    default: undefined,
    desc: "The manifest of trusted documents (default schema/trusted-documents.json)",
  }),
};

/**
 * The standard OpenTelemetry variables (`OTEL_*`) for the tracing start-up, which runs before
 * the configuration is read. The SDK applies them under their standard names and rules
 * (docs/tracing.md); they are not validated here.
 */
export function openTelemetryEnvironment(
  env: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith("OTEL_")));
}

/**
 * Reads and validates the configuration from `env` (default `process.env`): the one place in
 * the server that reads the environment. An empty value counts as unset. In development a
 * missing JWT_SECRET is generated once and kept beside the SQLite file; in production it is
 * required.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const given = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const e = cleanEnv(given, ENVIRONMENT, {
    reporter: ({ errors }) => {
      const [name, error] = Object.entries(errors)[0] ?? [];
      if (name) throw new ConfigError(`${name} ${error?.message ?? "is invalid"}`);
    },
  });
  const production = e.NODE_ENV === "production";
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    sqlitePath: e.SQLITE_PATH,
    databaseUrl: e.DATABASE_URL ?? null,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    responseCacheBytes: e.RESPONSE_CACHE_MB * 1024 * 1024,
    redisUrl: e.REDIS_URL ?? null,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN ?? null,
    production,
    jwtSecret: e.JWT_SECRET ?? "",
    jwtExpiresIn: e.JWT_EXPIRES_IN,
    cooldownMs: e.INVITATION_COOLDOWN_DAYS * DAY_MS,
    noteMaxLength: e.NOTE_MAX_LENGTH,
    responseMaxLength: e.RESPONSE_MAX_LENGTH,
    pageDefault: e.PAGE_SIZE_DEFAULT,
    pageMax: e.PAGE_SIZE_MAX,
    bodyLimit: e.BODY_LIMIT,
    reminderAfterMs: e.REMINDER_AFTER_DAYS * DAY_MS,
    expiryAfterMs: e.EXPIRY_AFTER_DAYS * DAY_MS,
    jobsIntervalMs: e.JOBS_INTERVAL_SECONDS * 1000,
    weeklyInviteLimit: e.WEEKLY_INVITATION_LIMIT,
    pendingInviteLimit: e.PENDING_INVITATION_LIMIT,
    reportThreshold: e.REPORT_SUSPENSION_THRESHOLD,
    reportWindowMs: e.REPORT_WINDOW_DAYS * DAY_MS,
    reportSuspensionMs: e.REPORT_SUSPENSION_DAYS * DAY_MS,
    introspection: e.INTROSPECTION ?? !production,
    queryMaxDepth: e.QUERY_MAX_DEPTH,
    queryMaxAliases: e.QUERY_MAX_ALIASES,
    queryMaxTokens: e.QUERY_MAX_TOKENS,
    queryMaxCost: e.QUERY_MAX_COST,
    trustProxy: e.TRUST_PROXY,
    authWindowMs: e.AUTH_RATE_WINDOW_SECONDS * 1000,
    logInMaxPerIp: e.LOGIN_MAX_PER_IP,
    logInMaxPerEmail: e.LOGIN_MAX_PER_EMAIL,
    signUpMaxPerIp: e.SIGNUP_MAX_PER_IP,
    signUpMaxPerEmail: e.SIGNUP_MAX_PER_EMAIL,
    wsMaxConnectionsPerMember: e.WS_MAX_CONNECTIONS_PER_MEMBER,
    wsMaxSubscriptionsPerConnection: e.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    wsConnectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
    wsMaxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
    corsOrigins: e.CORS_ORIGINS ?? (production ? [] : [...DEVELOPMENT_ORIGINS]),
    appDir: e.APP_DIR ?? join(packageRoot(), "dist", "web"),
    graphiqlDir: e.GRAPHIQL_DIR ?? join(packageRoot(), "dist", "graphiql"),
    emailVerification: e.EMAIL_VERIFICATION ?? production,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM,
    mailDir: e.MAIL_DIR,
    newAccountMs: e.NEW_ACCOUNT_DAYS * DAY_MS,
    digestHour: e.DIGEST_HOUR,
    notificationMail: e.MAIL_NOTIFICATIONS,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    trustedDocuments: e.TRUSTED_DOCUMENTS,
    // The manifest `npm run codegen` writes, shipped with the package like the built client.
    trustedDocumentsManifest:
      e.TRUSTED_DOCUMENTS_MANIFEST ?? join(packageRoot(), "schema", "trusted-documents.json"),
  };
  if (config.pageDefault > config.pageMax) {
    throw new ConfigError("PAGE_SIZE_DEFAULT must not exceed PAGE_SIZE_MAX");
  }
  if (!config.jwtSecret) {
    if (production) throw new ConfigError("JWT_SECRET is required when NODE_ENV=production");
    config.jwtSecret = developmentSecret(config.sqlitePath);
  } else if (production && config.jwtSecret.length < 32) {
    throw new ConfigError("JWT_SECRET must have at least 32 characters in production");
  }
  return config;
}

/** The package's folder, from this file whether it runs from src/ or compiled in dist/src/. */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
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
