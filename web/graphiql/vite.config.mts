import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// GraphiQL, bundled with everything it needs (React, Monaco and its workers, fonts inlined in
// the CSS): the page loads nothing from another origin. `npm run build` bundles it into
// dist/graphiql, which the server serves at /graphiql outside production (the page then talks
// to /graphql on its own origin, over HTTP and graphql-ws). `npm run dev:graphiql` serves it
// with hot reload at http://localhost:5174/graphiql/, talking to the API on another origin,
// http://localhost:4000/graphql (or VITE_API_URL): CORS admits localhost by default.
export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/graphiql/",
  // VITE_API_URL comes from the environment only; no .env files.
  envDir: false,
  define:
    command === "serve" && !process.env.VITE_API_URL
      ? { "import.meta.env.VITE_API_URL": JSON.stringify("http://localhost:4000/graphql") }
      : {},
  // One React and one graphql for the page and every library it uses (GraphiQL checks the
  // schema with instanceof: two graphql copies would refuse each other's objects).
  resolve: { dedupe: ["graphql", "react", "react-dom"] },
  // Monaco's workers (graphiql/setup-workers/vite) are ES modules, like the page.
  worker: { format: "es" },
  server: { port: 5174 },
  build: {
    outDir: fileURLToPath(new URL("../../dist/graphiql", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // Monaco alone is a few MB; the page is a development tool served from the API itself.
    chunkSizeWarningLimit: 8192,
    // React libraries under GraphiQL mark their modules "use client" (for React Server
    // Components, not used here): one warning per module otherwise.
    rolldownOptions: { checks: { moduleLevelDirective: false } },
  },
}));
