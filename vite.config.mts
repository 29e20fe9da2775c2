import { createRequire } from "node:module";
import { defineConfig } from "vite";

const require = createRequire(import.meta.url);

// One config for vitest and vite-node (dev server, scripts).
export default defineConfig({
  // TypeGraphQL and TypeORM read decorator metadata at run time, which Vite's oxc transform
  // emits only when asked to.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  resolve: {
    // Vite would load graphql's ESM build for our code while type-graphql and Apollo get the
    // CommonJS one from Node: two graphql instances, which graphql refuses. Pin the one Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
