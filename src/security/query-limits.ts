import { ApolloServerErrorCode } from "@apollo/server/errors";
import {
  GraphQLError,
  Kind,
  validate,
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import { createComplexityRule, type ComplexityEstimator } from "graphql-query-complexity";
import { LRUCache } from "lru-cache";
import type { Config } from "../config";

/**
 * Limits on the shape of an operation, applied before anything runs by the operation pipeline
 * (transport/pipeline.ts), the same way over HTTP and WebSocket:
 *
 * - tokens: graphql-js's own `maxTokens` parse option, so an oversized document is never built;
 * - depth and aliases: the validation rules below (counted through fragments);
 * - cost: graphql-query-complexity with an estimator that multiplies a list by its page size.
 *   It needs the variables (`first: $n`), so it runs per request, after validation.
 *
 * Depth, alias and cost errors are GRAPHQL_VALIDATION_FAILED (HTTP 400), with
 * `extensions.limit` naming the limit, `max` its value and `found` what the operation has.
 */
export type QueryLimits = Pick<
  Config,
  | "queryMaxDepth"
  | "queryMaxAliases"
  | "queryMaxTokens"
  | "queryMaxCost"
  | "pageDefault"
  | "pageMax"
>;

/** What graphql-js's parser gets: it stops with a syntax error past `maxTokens`. */
export function parseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.queryMaxTokens };
}

/** Our validation rules, besides graphql-js's own. */
export function limitRules(limits: QueryLimits): ValidationRule[] {
  return [depthLimitRule(limits.queryMaxDepth), aliasLimitRule(limits.queryMaxAliases)];
}

/** A refusal for an operation over one of the limits. */
export function limitError(
  limit: "depth" | "aliases" | "cost",
  max: number,
  found: number | null,
  message: string,
  nodes?: readonly ASTNode[],
): GraphQLError {
  return new GraphQLError(message, {
    nodes,
    extensions: {
      code: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
      limit,
      max,
      ...(found === null ? {} : { found }),
      http: { status: 400 },
    },
  });
}

/**
 * Fields nested deeper than `max` (a root field is depth 1), fragments expanded. Fields whose
 * name starts with `__` are skipped: `__typename` is a leaf, and the depth of `__schema` and
 * `__type` is bounded by graphql-js's MaxIntrospectionDepthRule (Sandbox's introspection query
 * is 15 deep).
 */
export function depthLimitRule(max: number): ValidationRule {
  return (context) => {
    const depthOf = overFragments(context, (set, recurse) => {
      let deepest = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith("__")) continue;
          deepest = Math.max(deepest, 1 + (sel.selectionSet ? recurse(sel.selectionSet) : 0));
        } else deepest = Math.max(deepest, recurse(sel));
      }
      return deepest;
    });
    return {
      OperationDefinition(op) {
        const depth = depthOf(op.selectionSet);
        if (depth > max) {
          context.reportError(
            limitError(
              "depth",
              max,
              depth,
              `The operation is ${depth} fields deep; at most ${max} are allowed.`,
              [op],
            ),
          );
        }
      },
    };
  };
}

/** More than `max` aliased fields in one operation; a fragment counts each time it is spread. */
export function aliasLimitRule(max: number): ValidationRule {
  return (context) => {
    const aliasesOf = overFragments(context, (set, recurse) => {
      let count = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.alias) count += 1;
          if (sel.selectionSet) count += recurse(sel.selectionSet);
        } else count += recurse(sel);
      }
      return count;
    });
    return {
      OperationDefinition(op) {
        const aliases = aliasesOf(op.selectionSet);
        if (aliases > max) {
          context.reportError(
            limitError(
              "aliases",
              max,
              aliases,
              `The operation has ${aliases} aliases; at most ${max} are allowed.`,
              [op],
            ),
          );
        }
      },
    };
  };
}

/**
 * Folds selection sets, fragments included: `step` handles one set and calls `recurse` for a
 * field's set or an inline fragment or fragment spread. A named fragment is computed once
 * (its value does not depend on where it is spread), so a fragment spread many times costs
 * nothing more; a fragment cycle (refused by NoFragmentCyclesRule anyway) counts as 0.
 */
function overFragments(
  context: ValidationContext,
  step: (set: SelectionSetNode, recurse: (node: SelectionSetNode | Spread) => number) => number,
): (set: SelectionSetNode) => number {
  const done = new Map<string, number>();
  const recurse = (node: SelectionSetNode | Spread): number => {
    if (node.kind === Kind.SELECTION_SET) return step(node, recurse);
    if (node.kind === Kind.INLINE_FRAGMENT) return step(node.selectionSet, recurse);
    const name = node.name.value;
    const known = done.get(name);
    if (known !== undefined) return known;
    const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
    if (!fragment) return 0;
    done.set(name, 0); // in progress: a cycle back here adds nothing
    const value = step(fragment.selectionSet, recurse);
    done.set(name, value);
    return value;
  };
  return (set) => step(set, recurse);
}

type Spread = Exclude<SelectionSetNode["selections"][number], { kind: Kind.FIELD }>;

/**
 * The cost of one field: 1, plus its selections times how many items it returns. A field with
 * a `first` argument returns up to `first` items (the default page size when absent, never more
 * than the maximum); one with an `ids` list, up to that many. Everything else counts once.
 */
function costEstimator(limits: QueryLimits): ComplexityEstimator {
  return ({ field, args, childComplexity }) => {
    let items = 1;
    if (field.args.some((a) => a.name === "first")) {
      const first = typeof args.first === "number" ? args.first : limits.pageDefault;
      items = Math.min(Math.max(first, 0), limits.pageMax);
    } else if (Array.isArray(args.ids)) {
      items = args.ids.length;
    }
    return 1 + items * childComplexity;
  };
}

/**
 * The cost limit of one server: checks the estimated cost of the operation a request runs,
 * with its variables. Variables that do not fit the operation are left to execution, which
 * refuses them with its own error.
 */
export class CostLimit {
  // The estimate depends only on the document, the operation and the variables, and it walks
  // the whole document with type information (a visible share of a small request's CPU in a
  // profile). The document cache hands the same DocumentNode for the same text, so repeats
  // are answered from a small per-document memo (documents weakly held).
  private readonly memo = new WeakMap<
    DocumentNode,
    LRUCache<string, { error: GraphQLError | null }>
  >();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: QueryLimits,
  ) {}

  /** The refusal, or null when the operation is within the limit. */
  check(
    document: DocumentNode,
    variables: Record<string, unknown> | null | undefined,
    operationName: string | null | undefined,
  ): GraphQLError | null {
    const { schema, limits } = this;
    const key = memoKey(operationName, variables);
    if (key === null) return estimateCost(schema, document, variables, operationName, limits);
    let memo = this.memo.get(document);
    if (!memo) this.memo.set(document, (memo = new LRUCache({ max: COST_MEMO_PER_DOCUMENT })));
    const known = memo.get(key);
    if (known !== undefined) return known.error;
    const error = estimateCost(schema, document, variables, operationName, limits);
    memo.set(key, { error });
    return error;
  }
}

/**
 * The memo key of an operation and its variables, or null to skip the memo: for variables
 * too big to be worth keeping, or nested too deep to serialise (a hostile body nested
 * 10,000 levels must get its ordinary answer, not a stack overflow).
 */
function memoKey(
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): string | null {
  let json: string;
  try {
    // Only numbers (`first`) and list lengths (`ids`) move the estimate, never a string's
    // value: strings are keyed as "", so every sendInvitation shares one entry whatever
    // member it invites.
    json = JSON.stringify(variables ?? {}, (_key, value: unknown) =>
      typeof value === "string" ? "" : value,
    );
  } catch {
    return null;
  }
  return json.length > 1024 ? null : `${operationName ?? ""}\u0000${json}`;
}

const COST_MEMO_PER_DOCUMENT = 64;

function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
  limits: QueryLimits,
): GraphQLError | null {
  const rule = createComplexityRule({
    maximumComplexity: limits.queryMaxCost,
    variables: variables ?? {},
    operationName: operationName ?? undefined,
    estimators: [costEstimator(limits)],
    createError: (max: number, found: number) =>
      limitError(
        "cost",
        max,
        found,
        `The operation's estimated cost is ${found}; at most ${max} is allowed.`,
      ),
  });
  try {
    const errors = validate(schema, document, [rule]);
    return errors.find((e) => e.extensions?.limit === "cost") ?? null;
  } catch (err) {
    // The estimator gives up past 10,000 selections (fragments expanded): far over any limit.
    if (err instanceof GraphQLError) {
      const message = `The operation is too large to estimate (${err.message}); at most a cost of ${limits.queryMaxCost} is allowed.`;
      return limitError("cost", limits.queryMaxCost, null, message);
    }
    throw err;
  }
}
