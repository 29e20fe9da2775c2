import { getVariableValues, parse, validate, type OperationDefinitionNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectRefused, startFixture, type Fixture } from "./helpers/refusals";
import {
  badValues,
  call,
  isSubscription,
  MODES,
  operation,
  requests,
  SCHEMA,
  slots,
  sweepTargets,
  validCalls,
  valueAt,
  withValue,
} from "./helpers/sweep";
import { closeAll } from "./helpers/ws";

// Bad input, systematically: every argument (and input field) of every field in the schema,
// given each bad value its type allows (test/helpers/sweep.ts makes them), as variables and
// written inline, must be refused with a clear code or, for an unknown id, answered harmlessly;
// nothing may be written and the server must keep answering (test/helpers/refusals.ts).

/** Filled by beforeAll; the targets read it only once the tests run. */
const f = {} as Fixture;
const TARGETS = sweepTargets(f);

beforeAll(async () => {
  await startFixture(f);
});

afterAll(async () => {
  await closeAll();
  await f.server?.stop();
});

/**
 * Cases known to fail today, each a bug in src/; they run as `it.fails` so that the fix turns
 * them into failures to flip. (None at the moment.)
 */
const KNOWN_BUGS: Record<string, boolean> = {};

describe("the sweep covers the schema", () => {
  it("every field with arguments has valid values to start from", () => {
    const valid = validCalls(f);
    const missing = TARGETS.filter((t) => !(t.key in valid)).map((t) => t.key);
    expect(missing).toEqual([]);
  });

  it("the valid values type-check for every field, mutations and subscriptions included", () => {
    for (const target of TARGETS) {
      for (const mode of MODES) {
        const { query, variables } = operation(target, target.valid(), mode);
        const doc = parse(query);
        expect(validate(SCHEMA, doc), `${target.key} ${mode}: ${query}`).toEqual([]);
        const op = doc.definitions[0] as OperationDefinitionNode;
        const coerced = getVariableValues(SCHEMA, op.variableDefinitions ?? [], variables);
        expect(coerced.errors, `${target.key} ${mode}`).toBeUndefined();
      }
    }
  });

  it("the valid values are valid: each query answers without errors", async () => {
    for (const target of TARGETS.filter(
      (t) => t.key.startsWith("Query.") || t.key.startsWith("Member."),
    )) {
      for (const mode of MODES) {
        const { query, variables } = operation(target, target.valid(), mode);
        const res = await call(f, target, query, variables);
        expect(res.json?.errors, `${target.key} ${mode}: ${query}`).toBeUndefined();
      }
    }
  });
});

for (const target of TARGETS) {
  describe(target.key, () => {
    it("an unknown argument", async () => {
      await expectRefused(f, requests(f, target, target.valid(), "notAnArgument: 1"));
    });

    for (const slot of slots(target)) {
      const name = slot.path[slot.path.length - 1];
      // Labels now; the values once beforeAll has made the members the valid values name.
      const labels = badValues(slot.type, name, undefined)
        // Over WebSocket an accepted subscription just waits: only refusals can be checked.
        .filter((bad) => !(isSubscription(target) && bad.expect === "refusedOrHarmless"))
        .map((bad) => bad.label);
      for (const label of labels) {
        const title = `${target.key}(${slot.path.join(".")}: ${label})`;
        (KNOWN_BUGS[title] ? it.fails : it)(`${slot.path.join(".")}: ${label}`, async () => {
          const valid = target.valid();
          const bad = badValues(slot.type, name, valueAt(valid, slot.path)).find(
            (x) => x.label === label,
          )!;
          await expectRefused(
            f,
            requests(f, target, withValue(valid, slot.path, bad.value)),
            bad.expect === "refusedOrHarmless",
          );
        });
      }
    }
  });
}
