import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from "graphql";
import type { TestMember } from "./http";
import { send, subscribeOnce, type Answer, type Fixture } from "./refusals";

// The bad-input sweep's request generator (test/bad-input-sweep.test.ts). Every argument of
// every field in schema/schema.graphql (the root fields and Member.connections) gets a table
// of bad values derived from its type: null and missing where required, wrong types,
// out-of-range numbers, strings over every limit, NUL, garbage ids and cursors, oversized
// lists, unknown input fields. Each is sent as variables and again written inline in the
// document.

export const SCHEMA = buildSchema(
  readFileSync(join(__dirname, "../../schema/schema.graphql"), "utf8"),
);

export const MODES = ["variables", "inline"] as const;

/** A field that takes arguments, how to reach it, and valid values for all of them. */
export interface Target {
  key: string;
  field: GraphQLField<unknown, unknown>;
  as: () => TestMember | null;
  valid: () => Record<string, unknown>;
  /** The operation around the field call, e.g. `query ($x: Int) { viewer { CALL } }`. */
  wrap: (call: string) => string;
}

const tomorrow = () => new Date(Date.now() + 24 * 60 * 60 * 1000).toISOString();

/** Who calls a field (default: a; null: no token) and with which valid arguments. */
interface ValidCall {
  as?: () => TestMember | null;
  args?: () => Record<string, unknown>;
}

/**
 * Valid arguments for each field, so that each case differs from an acceptable request in
 * the one value under test. A field of the schema missing here fails the coverage test.
 */
export function validCalls(f: Fixture): Record<string, ValidCall> {
  return {
    "Query.viewer": {},
    "Query.invitationSettings": {},
    "Query.blockedMembers": {},
    "Query.member": { args: () => ({ id: f.b.id }) },
    "Query.members": { args: () => ({ search: "Member" }) },
    "Query.invitation": { args: () => ({ id: f.pending }) },
    "Query.receivedInvitations": { as: () => f.b, args: () => ({ filter: { status: "PENDING" } }) },
    "Query.sentInvitations": { args: () => ({ status: "PENDING" }) },
    "Query.connections": { as: () => f.c },
    "Query.notifications": { as: () => f.b },
    "Query.suggestedMembers": {},
    "Query.accountExport": {},
    "Query.notificationPreferences": {},
    "Member.connections": { as: () => f.c },
    "Mutation.signUp": {
      as: () => null,
      args: () => ({
        input: {
          name: "New Member",
          email: `new-${randomUUID()}@example.com`,
          password: "long enough password",
        },
      }),
    },
    // No link was mailed (verification is off in tests): any token is refused, as a bad one.
    "Mutation.verifyEmail": { as: () => null, args: () => ({ token: "no-such-link" }) },
    "Mutation.logIn": {
      as: () => null,
      args: () => ({ email: f.a.email, password: f.a.password }),
    },
    "Mutation.sendInvitation": {
      args: () => ({ input: { recipientId: f.c.id, message: "hello" } }),
    },
    "Mutation.acceptInvitation": {
      as: () => f.b,
      args: () => ({ id: f.pending, message: "glad to" }),
    },
    "Mutation.acceptInvitations": { as: () => f.b, args: () => ({ ids: [f.pending] }) },
    "Mutation.ignoreInvitation": { as: () => f.b, args: () => ({ id: f.pending }) },
    "Mutation.ignoreInvitations": { as: () => f.b, args: () => ({ ids: [f.pending] }) },
    "Mutation.declineInvitation": { as: () => f.b, args: () => ({ id: f.pending, message: "no" }) },
    "Mutation.withdrawInvitation": { args: () => ({ id: f.pending }) },
    "Mutation.reportInvitation": { as: () => f.b, args: () => ({ id: f.pending, reason: "SPAM" }) },
    "Mutation.blockMember": { args: () => ({ id: f.c.id }) },
    "Mutation.unblockMember": { args: () => ({ id: f.c.id }) },
    "Mutation.removeConnection": { as: () => f.c, args: () => ({ memberId: f.d.id }) },
    "Mutation.updateInvitationSettings": {
      args: () => ({ input: { whoCanInvite: "EMAIL_REQUIRED" } }),
    },
    "Mutation.markNotificationsRead": {
      as: () => f.b,
      args: () => ({ ids: [f.bNotification.id] }),
    },
    // The right password: every case must be refused without deleting anyone.
    "Mutation.updateNotificationPreferences": {
      args: () => ({ input: [{ kind: "INVITATION_DECLINED", email: "NEVER" }] }),
    },
    "Mutation.deleteAccount": { as: () => f.d, args: () => ({ password: f.d.password }) },
    "Mutation.setInvitationReminder": {
      as: () => f.b,
      args: () => ({ id: f.pending, remindAt: tomorrow() }),
    },
    "Subscription.notificationAdded": {
      as: () => f.b,
      args: () => ({ after: f.bNotification.cursor }),
    },
    "Subscription.invitationReceived": {},
    "Subscription.invitationAccepted": {},
    "Subscription.invitationDeclined": {},
  };
}

/** Every field of the root types, and every other field that takes arguments. */
function schemaFields(): {
  key: string;
  parent: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
}[] {
  const out = [];
  for (const type of Object.values(SCHEMA.getTypeMap())) {
    if (type.name.startsWith("__") || !("getFields" in type) || isInputObjectType(type)) continue;
    const parent = type as GraphQLObjectType;
    const root = [SCHEMA.getQueryType(), SCHEMA.getMutationType(), SCHEMA.getSubscriptionType()];
    for (const field of Object.values(parent.getFields())) {
      if (root.includes(parent) || field.args.length > 0) {
        out.push({ key: `${parent.name}.${field.name}`, parent, field });
      }
    }
  }
  return out;
}

function targetOf(
  f: Fixture,
  valid: Record<string, ValidCall>,
  key: string,
  parent: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
): Target {
  const entry = valid[key] ?? {};
  const named = getNamedType(field.type);
  const selection = isLeafType(named)
    ? ""
    : field.name === "connections"
      ? "{ totalCount }"
      : "{ __typename }";
  const op =
    parent === SCHEMA.getMutationType()
      ? "mutation"
      : parent === SCHEMA.getSubscriptionType()
        ? "subscription"
        : "query";
  return {
    key,
    field,
    as: entry.as ?? (() => f.a),
    valid: entry.args ?? (() => ({})),
    wrap: (call) =>
      parent.name === "Member"
        ? `query VARS { viewer { ${call} ${selection} } }`
        : `${op} VARS { ${call} ${selection} }`,
  };
}

/** Every field of the schema that the sweep calls, with `f`'s members and valid values. */
export function sweepTargets(f: Fixture): Target[] {
  const valid = validCalls(f);
  return schemaFields().map((s) => targetOf(f, valid, s.key, s.parent, s.field));
}

/** Leaves a required argument out altogether. */
const MISSING = Symbol("missing");

type Expect = "refused" | "refusedOrHarmless";
interface Bad {
  label: string;
  value: unknown;
  /** `refusedOrHarmless`: may also be answered normally (an unknown id is null), writing nothing. */
  expect: Expect;
}

const HUGE = "x".repeat(10_001); // over every documented length limit (the largest is 10,000)
const base64url = (json: string) => Buffer.from(json).toString("base64url");

/** Cursors that decode to nothing a list could have made. */
const BAD_CURSORS: Bad[] = [
  ["not base64 JSON", "garbage"],
  ["empty", ""],
  ["only padding", "===="],
  ["percent signs", "%%%%"],
  ["[]", base64url("[]")],
  ["{}", base64url(`{"a":1}`)],
  ["null", base64url("null")],
  ['["x"]', base64url(`["x"]`)],
  ["[1e300]", base64url("[1e300]")],
  ["[-1]", base64url("[-1]")],
  ["[2147483648]", base64url("[2147483648]")],
  ['[8.7e15, "id"]', base64url(`[8.7e15, "id"]`)],
  ['[1.5, "id"]', base64url(`[1.5, "id"]`)],
  ['["\\u0000"]', base64url(`["\\u0000"]`)],
  ["10,001 characters", HUGE],
].map(([label, value]) => ({ label: `cursor ${label}`, value, expect: "refused" }));

/** The bad values for one argument (or input field) of type `type`. */
export function badValues(type: GraphQLInputType, name: string, valid: unknown): Bad[] {
  const out: Bad[] = [];
  if (isNonNullType(type)) {
    out.push({ label: "null", value: null, expect: "refused" });
    out.push({ label: "missing", value: MISSING, expect: "refused" });
  }
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) {
    const item = inner.ofType as GraphQLInputType;
    out.push({ label: "an object for a list", value: { x: 1 }, expect: "refused" });
    if (isNonNullType(item)) out.push({ label: "[null]", value: [null], expect: "refused" });
    for (const bad of badValues(getNullableType(item) as GraphQLInputType, name, undefined)) {
      out.push({ ...bad, label: `[${bad.label}]`, value: [bad.value] });
    }
    const named = getNamedType(item);
    // As long as fits the 100 kB body limit: one character and a comma per item.
    const many = isEnumType(named)
      ? Array(5_000).fill(named.getValues()[0].value)
      : Array(40_000).fill(1);
    out.push({ label: `${many.length} items`, value: many, expect: "refusedOrHarmless" });
    return out;
  }
  if (isInputObjectType(inner)) {
    out.push({ label: "a string for an object", value: "x", expect: "refused" });
    out.push({ label: "a list of strings for an object", value: ["x"], expect: "refused" });
    out.push({
      label: "an unknown input field",
      value: { ...(valid as object), unknownField: 1 },
      expect: "refused",
    });
    return out;
  }
  if (isEnumType(inner)) {
    const first = inner.getValues()[0].name;
    for (const [label, value] of [
      ["an unknown value", "NOT_A_VALUE"],
      ["a lower-case value", first.toLowerCase()],
      ["an empty string", ""],
      ["a number", 1],
    ] as const) {
      out.push({ label, value, expect: "refused" });
    }
    return out;
  }
  const wrong = (label: string, value: unknown): Bad => ({ label, value, expect: "refused" });
  switch (inner.name) {
    case "ID":
      for (const [label, value] of [
        ["an empty id", ""],
        ["an id that is no UUID", "not-a-uuid"],
        ["an unknown UUID", randomUUID()],
        ["an SQL fragment", "' OR '1'='1"],
        ["a path", "../../etc/passwd"],
        ["an integer id", 12345],
        ["an id of 10,001 characters", HUGE],
      ] as const) {
        out.push({ label, value, expect: "refusedOrHarmless" });
      }
      out.push(wrong("NUL in an id", "a\u0000b"), wrong("a boolean", true), wrong("a float", 1.5));
      out.push(wrong("an object", { id: 1 }));
      return out;
    case "String":
      if (name === "after") out.push(...BAD_CURSORS);
      out.push(wrong("10,001 characters", HUGE), wrong("NUL", "a\u0000b"));
      out.push(wrong("a number", 42), wrong("a boolean", true), wrong("an object", { s: "x" }));
      return out;
    case "Int":
      for (const [label, value] of [
        ["-1", -1],
        ["0", 0],
        ["2^31 - 1", 2 ** 31 - 1],
        ["-2^31", -(2 ** 31)],
        ["2^31 (not an Int)", 2 ** 31],
        ["1.5", 1.5],
        ['"10"', "10"],
        ["a boolean", true],
      ] as const) {
        out.push(wrong(label, value));
      }
      return out;
    case "Boolean":
      out.push(wrong('"true"', "true"), wrong("1", 1), wrong("an object", {}));
      return out;
    case "DateTimeISO":
      for (const [label, value] of [
        ["not a date", "next tuesday"],
        ["an empty string", ""],
        ["February 30", "2031-02-30T10:00:00Z"],
        ["the past", "2001-01-01T00:00:00Z"],
        ["the year 9999", "9999-12-31T23:59:59Z"],
        ["a number", 0],
      ] as const) {
        out.push(wrong(label, value));
      }
      return out;
    default:
      throw new Error(`no bad values for the scalar ${inner.name}: add them here`);
  }
}

/** Each argument and each field of an input-object argument, with its path. */
export function slots(target: Target): { path: string[]; type: GraphQLInputType }[] {
  const out: { path: string[]; type: GraphQLInputType }[] = [];
  const walk = (path: string[], type: GraphQLInputType) => {
    out.push({ path, type });
    const inner = getNullableType(type);
    if (isInputObjectType(inner)) {
      for (const f of Object.values(inner.getFields())) walk([...path, f.name], f.type);
    }
  };
  for (const arg of target.field.args) walk([arg.name], arg.type);
  return out;
}

/** `args` with `value` at `path` (or the key removed, for MISSING). */
export function withValue(args: Record<string, unknown>, path: string[], value: unknown) {
  const copy = structuredClone(args);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    at[key] = { ...((at[key] as object) ?? {}) };
    at = at[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (value === MISSING) delete at[last];
  else at[last] = value;
  return copy;
}

export function valueAt(args: Record<string, unknown>, path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], args);
}

/** A JS value written as a GraphQL literal of `type` (enum names bare, the rest as in JSON). */
function literal(value: unknown, type?: GraphQLInputType): string {
  const inner = type && (getNullableType(type) as GraphQLInputType);
  if (value === null) return "null";
  if (inner && isEnumType(inner) && typeof value === "string" && inner.getValue(value)) {
    return value;
  }
  if (Array.isArray(value)) {
    const item = inner && isListType(inner) ? (inner.ofType as GraphQLInputType) : undefined;
    return `[${value.map((v) => literal(v, item)).join(",")}]`;
  }
  if (typeof value === "object") {
    const fields = inner && isInputObjectType(inner) ? inner.getFields() : {};
    return `{${Object.entries(value as object)
      .map(([k, v]) => `${k}: ${literal(v, fields[k]?.type)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value);
}

export type Mode = "variables" | "inline";

/** The document and variables calling `target` with `args`. */
export function operation(target: Target, args: Record<string, unknown>, mode: Mode, extra = "") {
  const given = target.field.args.filter((arg: GraphQLArgument) => arg.name in args);
  const call = (f: (arg: GraphQLArgument) => string) =>
    `${target.field.name}(${[extra, ...given.map(f)].filter(Boolean).join(", ")})`.replace(
      "()",
      "",
    );
  if (mode === "inline") {
    const query = target
      .wrap(call((arg) => `${arg.name}: ${literal(args[arg.name], arg.type)}`))
      .replace("VARS", "");
    return { query, variables: {} };
  }
  const defs = given.map((arg) => `$${arg.name}: ${arg.type}`).join(", ");
  const query = target
    .wrap(call((arg) => `${arg.name}: $${arg.name}`))
    .replace("VARS", defs ? `(${defs})` : "");
  return { query, variables: Object.fromEntries(given.map((arg) => [arg.name, args[arg.name]])) };
}

export const isSubscription = (t: Target) => t.key.startsWith("Subscription.");

/** Sends the operation over HTTP, or over graphql-ws for a subscription. */
export async function call(
  f: Fixture,
  target: Target,
  query: string,
  variables: Record<string, unknown>,
): Promise<Answer> {
  const member = target.as();
  if (isSubscription(target)) {
    return subscribeOnce(f.server, member!.token, JSON.stringify({ query, variables }));
  }
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (member) headers.authorization = `Bearer ${member.token}`;
  return send(f.server, { headers, body: JSON.stringify({ query, variables }) });
}

/** The same call as variables and written inline, one request each. */
export function requests(f: Fixture, target: Target, args: Record<string, unknown>, extra = "") {
  return MODES.map((mode) => {
    const { query, variables } = operation(target, args, mode, extra);
    return () => call(f, target, query, variables);
  });
}
