import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/** The levels LOG_LEVEL accepts, most to least severe; `silent` logs nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths pino replaces with "[Redacted]" wherever they appear. The server never logs headers,
 * variables or connection params in the first place; this is the net under that rule, for an
 * object logged whole by mistake. `parameters` is a TypeORM QueryFailedError's bound values
 * (a note, an email): the SQL text of a failed query is logged, its values are not.
 */
export const REDACTED_PATHS = [
  "authorization",
  "password",
  "token",
  "*.authorization",
  "*.Authorization",
  "*.password",
  "*.token",
  "*.*.authorization",
  "*.*.password",
  "headers.authorization",
  "req.headers.authorization",
  "variables.password",
  "*.variables.password",
  "connectionParams",
  "*.connectionParams",
  "err.parameters",
  "err.originalError.parameters",
];

/**
 * A JSON logger: one object per line on `destination` (stdout by default, written
 * synchronously so that nothing is lost when the process exits), with ISO times and level
 * names instead of numbers.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
