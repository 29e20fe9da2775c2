import { randomUUID } from "node:crypto";
import { Kind, type OperationDefinitionNode } from "graphql";
import type { OperationType, Outcome } from "./metrics";

// Request ids from clients or proxies (a UUID, a trace id, `req-42`) are kept; anything
// longer, empty, repeated or with other characters is replaced, so a log line never carries
// a client's arbitrary text under this key.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming `x-request-id` when it is sane, else a new random UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === "string" && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

// Error codes are the server's own (src/common/errors.ts and Apollo's): upper snake case.
// Checked anyway, because a label value must come from a bounded set.
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** `ok` when there are no errors, else the first error's `extensions.code`. */
export function outcomeOf(
  errors: readonly { extensions?: { [key: string]: unknown } }[] | null | undefined,
): Outcome {
  if (!errors?.length) return "ok";
  const code = errors[0].extensions?.code;
  return typeof code === "string" && CODE.test(code) ? code : "INTERNAL_SERVER_ERROR";
}

/**
 * The metric label of an operation: its root field (`logIn`, `receivedInvitations`), a name
 * the schema bounds. `multiple` when it selects several root fields, `other` for a fragment
 * at the root, `unknown` when there is no valid operation. The operation's own name is the
 * client's free choice, so it goes to the log, never into a label.
 */
export function rootFieldOf(operation: OperationDefinitionNode | null | undefined): string {
  if (!operation) return "unknown";
  let field: string | undefined;
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return "other";
    if (field !== undefined && field !== selection.name.value) return "multiple";
    field = selection.name.value;
  }
  return field ?? "unknown";
}

/** The type label of an operation. */
export function typeOf(operation: OperationDefinitionNode | null | undefined): OperationType {
  return operation?.operation ?? "unknown";
}

/** Milliseconds since `start` (a `performance.now()`), rounded to microseconds for the log. */
export function msSince(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}
