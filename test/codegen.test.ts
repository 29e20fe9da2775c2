/**
 * What `npm run codegen` writes is committed and current: the typed documents under
 * test/generated (from schema/schema.graphql and test/operations) and the manifest of trusted
 * documents, schema/trusted-documents.json (from web/src/operations.ts and test/operations).
 * A schema or operation change without a fresh codegen run fails here (and a change that
 * breaks an operation fails the type check of the tests that use it, or codegen itself).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { print } from "graphql";
import { describe, expect, it } from "vitest";
import { generate, MANIFEST_FILE } from "../codegen";
import * as generated from "./generated/graphql";

const root = join(__dirname, "..");

describe("npm run codegen", () => {
  it("has been run: test/generated and the manifest match the schema and the operations", async () => {
    const outputs = await generate(root);
    expect(outputs.map((o) => o.filename)).toContain(MANIFEST_FILE);
    for (const { filename, content } of outputs) {
      const committed = readFileSync(join(root, filename), "utf8");
      expect(content, `${filename} is stale: run npm run codegen`).toBe(committed);
    }
  }, 60_000);

  it("puts into the manifest each typed document exactly as the tests send it", () => {
    const manifest = JSON.parse(readFileSync(join(root, MANIFEST_FILE), "utf8"));
    const documents = Object.entries(generated).filter(([name]) => name.endsWith("Document"));
    expect(documents.length).toBeGreaterThan(5);
    for (const [name, document] of documents) {
      // test/helpers/http.ts sends `print(document)`.
      const text = print(document as Parameters<typeof print>[0]);
      const id = `sha256:${createHash("sha256").update(text).digest("hex")}`;
      expect(manifest[id], name).toBe(text);
    }
  });
});
