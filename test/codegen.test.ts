/**
 * The typed documents under test/generated are what `npm run codegen` makes from
 * schema/schema.graphql and test/operations: a schema or operation change without a fresh
 * codegen run fails here (and a change that breaks an operation fails the type check of the
 * tests that use it).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../codegen";

const root = join(__dirname, "..");

describe("npm run codegen", () => {
  it("has been run: test/generated matches the schema and the operations", async () => {
    const outputs = await generate(root);
    expect(outputs.length).toBeGreaterThan(0);
    for (const { filename, content } of outputs) {
      const committed = readFileSync(join(root, filename), "utf8");
      expect(content, `${filename} is stale: run npm run codegen`).toBe(committed);
    }
  }, 60_000);
});
