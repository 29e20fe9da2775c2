import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { codegen } from "@graphql-codegen/core";
import * as typedDocumentNode from "@graphql-codegen/typed-document-node";
import * as typescriptOperations from "@graphql-codegen/typescript-operations";
import { buildASTSchema, parse } from "graphql";

/** A file `npm run codegen` writes, and what it holds. */
export interface GeneratedFile {
  filename: string;
  content: string;
}

/**
 * Typed documents for the operations under test/operations, checked against the emitted
 * schema: an operation that no longer matches the schema fails here. Built on
 * `@graphql-codegen/core` rather than the CLI: the CLI's loaders (URLs, GitHub, Apollo
 * Studio) are never used here, and they ask for Node 22.
 */
export async function generate(root: string): Promise<GeneratedFile[]> {
  const schemaText = readFileSync(join(root, "schema/schema.graphql"), "utf8");
  const schema = parse(schemaText);
  const folder = join(root, "test/operations");
  const documents = readdirSync(folder)
    .filter((name) => name.endsWith(".graphql"))
    .sort()
    .map((name) => {
      const location = relative(root, join(folder, name));
      return { location, document: parse(readFileSync(join(root, location), "utf8")) };
    });
  const filename = "test/generated/graphql.ts";
  const content = await codegen({
    filename,
    schema,
    schemaAst: buildASTSchema(schema),
    documents,
    // No "typescript" plugin: typescript-operations 6 emits the enums and input types the
    // operations use by itself, and the two together declare them twice (tsc fails).
    plugins: [{ "typescript-operations": {} }, { "typed-document-node": {} }],
    pluginMap: {
      "typescript-operations": typescriptOperations,
      "typed-document-node": typedDocumentNode,
    },
    // type-graphql 2 maps Date to DateTimeISO; on the wire it is an ISO-8601 string.
    // JSONObject (accountExport) is any JSON object.
    config: { scalars: { DateTimeISO: "string", JSONObject: "Record<string, unknown>" } },
  });
  return [{ filename, content }];
}
