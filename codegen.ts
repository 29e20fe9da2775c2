import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { codegen } from "@graphql-codegen/core";
import * as typedDocumentNode from "@graphql-codegen/typed-document-node";
import * as typescriptOperations from "@graphql-codegen/typescript-operations";
import {
  buildASTSchema,
  Kind,
  parse,
  print,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from "graphql";
import * as webOperations from "./web/src/operations";

/** A file `npm run codegen` writes, and what it holds. */
export interface GeneratedFile {
  filename: string;
  content: string;
}

/** Where the manifest of trusted documents goes (the server reads it at run time). */
export const MANIFEST_FILE = "schema/trusted-documents.json";

/**
 * What `npm run codegen` writes:
 * - typed documents for the operations under test/operations, checked against the emitted
 *   schema: an operation that no longer matches the schema fails here. Built on
 *   `@graphql-codegen/core` rather than the CLI: the CLI's loaders (URLs, GitHub, Apollo
 *   Studio) are never used here, and they ask for Node 22;
 * - the manifest of trusted documents (`trustedDocuments`).
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
  const manifest = trustedDocuments(buildASTSchema(schema), documents);
  return [
    { filename, content },
    { filename: MANIFEST_FILE, content: JSON.stringify(manifest, null, 2) + "\n" },
  ];
}

/**
 * The manifest of trusted documents: `{ "sha256:<hex>": "<document>" }` (the hex SHA-256 of
 * the document's UTF-8 text), every document a first-party client sends, as exactly the text
 * it sends: each string web/src/operations.ts exports (the example client), and each
 * operation of test/operations as the tests send it (`print` of its typed document, which
 * holds that one operation). Each is checked against the schema first: a manifest never
 * holds a document the server would refuse anyway. Sorted by id, so a run that changes
 * nothing writes the same bytes.
 */
export function trustedDocuments(
  schema: GraphQLSchema,
  files: { location: string; document: DocumentNode }[],
): Record<string, string> {
  const texts = new Map<string, string>();
  for (const [name, text] of Object.entries(webOperations)) {
    texts.set(text, `web/src/operations.ts: ${name}`);
  }
  for (const { location, document } of files) {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      // test/operations uses no fragments: an operation is a whole document.
      const text = print({ kind: Kind.DOCUMENT, definitions: [definition] });
      texts.set(text, `${location}: ${definition.name?.value ?? "(anonymous)"}`);
    }
  }
  const entries: [string, string][] = [];
  for (const [text, where] of texts) {
    const errors = validate(schema, parse(text));
    if (errors.length > 0) throw new Error(`${where} does not validate: ${errors[0].message}`);
    entries.push([`sha256:${createHash("sha256").update(text).digest("hex")}`, text]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}
