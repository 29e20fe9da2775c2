import { isUtf8 } from "node:buffer";
import type { IncomingMessage } from "node:http";
import type { ErrorRequestHandler } from "express";
import { GraphQLError } from "graphql";
import type { Logger } from "../common/logger";
import { ErrorCode } from "../common/errors";

/**
 * Strings the databases cannot store as given, refused before anything runs:
 * - U+0000: PostgreSQL refuses it in text (a 500 otherwise);
 * - a lone UTF-16 surrogate (JSON's "\ud800"): it has no UTF-8 form, so it would be stored
 *   as U+FFFD and read back different from what the mutation answered.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

// The same written as escapes inside the GraphQL text: \u0000 or \u{0}.
const ESCAPED_NUL = /\\u(0000|\{0+\})/i;

/**
 * Whether a request body holds a string that cannot be stored, in any value or escaped in
 * the GraphQL text. Iterative: a body nested 10,000 levels deep must not overflow the stack.
 */
export function requestHasUnstorable(body: unknown): boolean {
  const query = (body as { query?: unknown } | null)?.query;
  if (typeof query === "string" && ESCAPED_NUL.test(query)) return true;
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "string") {
      if (value.includes("\u0000") || LONE_SURROGATE.test(value)) return true;
    } else if (value && typeof value === "object") {
      for (const item of Object.values(value)) stack.push(item);
    }
  }
  return false;
}

export function unstorableError(): GraphQLError {
  return new GraphQLError(
    "Strings must not contain the NUL character (U+0000) or unpaired UTF-16 surrogates.",
    { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } },
  );
}

/** What a request body that is not UTF-8, or not JSON, is answered (400), on either path. */
export const BODY_NOT_UTF8 = "The request body is not valid UTF-8.";
export const BODY_NOT_JSON = "The request body is not valid JSON.";

/** The JSON body of a 400 for a request body refused before GraphQL. */
export function badRequestBody(message: string) {
  return { errors: [{ message, extensions: { code: "BAD_REQUEST" } }] };
}

/** The JSON body of a 500: nothing about the failure itself. */
export const INTERNAL_ERROR_BODY = {
  errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }],
};

/**
 * `express.json`'s `verify`: bytes that are not UTF-8 are refused (400), not decoded
 * leniently into U+FFFD and stored altered.
 */
export function verifyUtf8(_req: IncomingMessage, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) {
    throw Object.assign(new Error(BODY_NOT_UTF8), {
      status: 400,
      type: "encoding.invalid",
      expose: true,
    });
  }
}

/**
 * The refusal of a query or mutation sent to the event stream path, which streams
 * subscriptions only (before the logIn / signUp limits: a refused operation is no attempt).
 */
export function notASubscriptionError(operation: string | undefined): GraphQLError {
  const what = operation ? `A ${operation}` : "A document without one operation to run";
  return new GraphQLError(
    `${what} is not run at /graphql/stream, which streams subscriptions only: send it to /graphql.`,
    { extensions: { code: "BAD_REQUEST" } },
  );
}

/** A subscription sent over HTTP would run as a query with no event: refuse it (400). */
export function subscriptionOverHttpError(): GraphQLError {
  return new GraphQLError("Subscriptions run over WebSocket (graphql-ws) at this same path.", {
    extensions: { code: "BAD_REQUEST", http: { status: 400 } },
  });
}

/**
 * A JSON answer for requests the body parser refuses, instead of Express's HTML page (which
 * shows a stack trace outside production): 413 for a body over `bodyLimit`, 400 for JSON that
 * does not parse, 415 for an unsupported encoding or charset.
 */
export function bodyErrors(bodyLimit: string, logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (res.headersSent) {
      // Failed mid-answer (an event stream): cut it, so the client does not take it for whole.
      logger.error({ err }, "response failed");
      res.destroy();
      return;
    }
    const status = Number((err as { status?: unknown }).status);
    if (!(status >= 400 && status < 500)) {
      logger.error({ err }, "request failed");
      res.status(500).json(INTERNAL_ERROR_BODY);
      return;
    }
    const type = (err as { type?: string }).type;
    const message =
      status === 413
        ? `The request body is larger than ${bodyLimit}.`
        : type === "entity.parse.failed"
          ? BODY_NOT_JSON
          : (err as { expose?: boolean }).expose
            ? String((err as Error).message)
            : "Bad request.";
    res.status(status).json(badRequestBody(message));
  };
}
