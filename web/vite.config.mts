import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The example browser client. `npm run build` bundles it into dist/web, which the server
// serves at /app (the page then talks to /graphql on its own origin). `npm run dev:web`
// serves it with hot reload at http://localhost:5173/app/, talking to the API on another
// origin, http://localhost:4000/graphql (or VITE_API_URL): CORS admits localhost by default.
export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/app/",
  // VITE_API_URL comes from the environment only; no .env files.
  envDir: false,
  define:
    command === "serve" && !process.env.VITE_API_URL
      ? { "import.meta.env.VITE_API_URL": JSON.stringify("http://localhost:4000/graphql") }
      : {},
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
  },
}));
