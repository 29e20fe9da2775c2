import { createHash } from "node:crypto";
import { HeaderMap } from "@apollo/server";
import {
  GraphQLError,
  getArgumentValues,
  getVariableValues,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { normalizeEmail } from "./auth.service";
import { rateLimited } from "../common/errors";
import type { Config } from "../config";
import type { Limit, RateLimiter } from "../security/rate-limiter";

/**
 * One logIn, signUp or deleteAccount field of an operation, with the email it names if it
 * could be read (deleteAccount names none: its member is the token's).
 */
export interface AuthAttempt {
  field: "logIn" | "signUp" | "deleteAccount";
  email: string | null;
}

const AUTH_FIELDS = new Set(["logIn", "signUp", "deleteAccount"]);

/**
 * Whose limits each field counts against: deleteAccount checks a password as logIn does (a
 * scrypt each, and a way to guess a password with a token), so it counts as a log-in.
 */
const LIMITS_OF = { logIn: "logIn", signUp: "signUp", deleteAccount: "logIn" } as const;

/**
 * The logIn, signUp and deleteAccount fields the operation would run, aliases and fragments included (each
 * counts; `@skip` is not looked at, so a skipped one counts too). Empty for queries and for
 * variables that do not fit the operation (execution refuses those before any resolver runs).
 */
export function authAttempts(
  schema: GraphQLSchema,
  document: DocumentNode,
  op: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): AuthAttempt[] {
  const mutationType = schema.getMutationType();
  if (!op || op.operation !== "mutation" || !mutationType) return [];

  const fragments = new Map<string, SelectionSetNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet);
  }
  const fields: FieldNode[] = [];
  const seen = new Set<string>();
  const collect = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (AUTH_FIELDS.has(sel.name.value)) fields.push(sel);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        collect(sel.selectionSet);
      } else {
        // Root fields reached through a named fragment (counted once per spread).
        const fragment = fragments.get(sel.name.value);
        if (fragment && !seen.has(sel.name.value)) {
          seen.add(sel.name.value);
          collect(fragment);
          seen.delete(sel.name.value);
        }
      }
    }
  };
  collect(op.selectionSet);
  // Most mutations are neither: spare them coercing their variables a second time.
  if (fields.length === 0) return [];
  const coerced = getVariableValues(schema, op.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return [];

  return fields.map((node) => {
    const field = node.name.value as AuthAttempt["field"];
    let email: unknown = null;
    if (field === "deleteAccount") return { field, email: null };
    try {
      const args = getArgumentValues(mutationType.getFields()[field], node, coerced.coerced);
      email = field === "logIn" ? args.email : (args.input as { email?: unknown } | null)?.email;
    } catch {
      // Arguments that do not fit: the field fails on its own; it still counts for the address.
    }
    return { field, email: typeof email === "string" ? normalizeEmail(email) : null };
  });
}

/**
 * Rate limits on logIn and signUp, per client address and per email address, in windows of
 * `authWindowMs`. Every attempt counts, successful or not, so the answer says nothing about
 * whether an email is known. An attempt refused for its address is not counted against the
 * email, so one noisy address cannot use up a member's own log-ins. A deleteAccount counts as a
 * log-in of its client address.
 */
export class AuthRateLimits {
  private readonly limits: Record<"logIn" | "signUp", { ip: Limit; email: Limit }>;

  constructor(
    limiter: RateLimiter,
    config: Pick<
      Config,
      "authWindowMs" | "logInMaxPerIp" | "logInMaxPerEmail" | "signUpMaxPerIp" | "signUpMaxPerEmail"
    >,
  ) {
    const window = config.authWindowMs;
    this.limits = {
      logIn: {
        ip: limiter.limit("logIn:ip", config.logInMaxPerIp, window),
        email: limiter.limit("logIn:email", config.logInMaxPerEmail, window),
      },
      signUp: {
        ip: limiter.limit("signUp:ip", config.signUpMaxPerIp, window),
        email: limiter.limit("signUp:email", config.signUpMaxPerEmail, window),
      },
    };
  }

  /** Counts the attempts; the RATE_LIMITED refusal (HTTP 429, Retry-After) if one is over. */
  async check(ip: string, attempts: readonly AuthAttempt[]): Promise<GraphQLError | null> {
    let retryAfterMs = 0;
    let refused: AuthAttempt["field"] | null = null;
    for (const attempt of attempts) {
      const limits = this.limits[LIMITS_OF[attempt.field]];
      let hit = await limits.ip.hit(ip);
      if (hit.allowed && attempt.email !== null) {
        hit = await limits.email.hit(hashEmail(attempt.email));
      }
      if (!hit.allowed) {
        retryAfterMs = Math.max(retryAfterMs, hit.retryAfterMs);
        refused ??= attempt.field;
      }
    }
    if (!refused) return null;
    const what = { logIn: "log-in", signUp: "sign-up", deleteAccount: "password" }[refused];
    const error = rateLimited(`Too many ${what} attempts; try again later.`, retryAfterMs);
    const retryAfter = String(error.extensions.retryAfter);
    return new GraphQLError(error.message, {
      extensions: {
        ...error.extensions,
        http: { status: 429, headers: new HeaderMap([["retry-after", retryAfter]]) },
      },
    });
  }
}

/** Emails are counted under a hash: the counters (in memory or in Redis) hold no addresses. */
function hashEmail(email: string): string {
  return createHash("sha256").update(email).digest("base64url").slice(0, 22);
}
