import { GraphQLError } from "graphql";

/**
 * Every error code the API answers with (`extensions.code`), listed once.
 * Apollo Server adds its own codes for parse and validation failures
 * (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_REQUEST), and the transports use its
 * PERSISTED_QUERY_NOT_FOUND for a document the trusted-documents manifest does not hold
 * (transport/trusted-documents.ts).
 */
export const ErrorCode = {
  /**
   * No valid token, wrong credentials at logIn, or a wrong password at deleteAccount. Raised by
   * the context, auth and account.
   */
  UNAUTHENTICATED: "UNAUTHENTICATED",
  /** An argument failed validation; `extensions.field` names it when there is one. */
  BAD_USER_INPUT: "BAD_USER_INPUT",
  /** The id does not exist for this viewer: absent, not theirs, or hidden by a block. */
  NOT_FOUND: "NOT_FOUND",
  /** The action clashes with the current state: duplicate, already answered, cooldown. */
  CONFLICT: "CONFLICT",
  /** The recipient only accepts invitations that give their email address. */
  EMAIL_REQUIRED: "EMAIL_REQUIRED",
  /** A limit was reached; `extensions.retryAfter` says how many seconds to wait. */
  RATE_LIMITED: "RATE_LIMITED",
  /**
   * The server is shutting down and takes no new event stream (HTTP 503): reconnect, a load
   * balancer sends the client to another instance.
   */
  SERVER_STOPPING: "SERVER_STOPPING",
  /** Anything unexpected; the message is masked in production. */
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error class the services throw; Apollo and graphql-ws serialise it as is. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export const unauthenticated = (message = "You must be logged in.") =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);

export const badInput = (message: string, field?: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});

export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found.`);

export const conflict = (message: string, extensions: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.CONFLICT, message, extensions);

/** A limit was reached; `retryAfter` is in whole seconds. */
export const rateLimited = (message: string, retryAfterMs: number) =>
  new AppError(ErrorCode.RATE_LIMITED, message, {
    retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });

export const emailRequired = () =>
  new AppError(
    ErrorCode.EMAIL_REQUIRED,
    "This member only accepts invitations that give their email address.",
  );
