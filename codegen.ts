import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for the operations under test/operations, checked against the emitted
// schema: an operation that no longer matches the schema fails `npm run codegen`.
const config: CodegenConfig = {
  overwrite: true,
  schema: "schema/schema.graphql",
  documents: "test/operations/**/*.graphql",
  generates: {
    "test/generated/graphql.ts": {
      // No "typescript" plugin: typescript-operations 6 emits the enums and input types the
      // operations use by itself, and the two together declare them twice (tsc fails).
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        // type-graphql 2 maps Date to DateTimeISO; on the wire it is an ISO-8601 string.
        scalars: { DateTimeISO: "string" },
      },
    },
  },
};

export default config;
