// Monaco's workers, as graphiql/setup-workers/vite sets them up, but from this project's own
// source: Vite turns `?worker` imports into worker bundles served from this origin, and
// handles them here in `vite build` and in the dev server alike (imported from GraphiQL's
// package instead, they break the dev server's dependency pre-bundling, which cannot read
// `?worker` imports: graphql/graphiql#4038, #4473).
import EditorWorker from "monaco-editor/esm/vs/editor/editor.worker.js?worker";
import JsonWorker from "monaco-editor/esm/vs/language/json/json.worker.js?worker";
import GraphQLWorker from "monaco-graphql/esm/graphql.worker.js?worker";
// Declares window.MonacoEnvironment, which Monaco reads.
import type {} from "monaco-editor";

window.MonacoEnvironment = {
  getWorker(_workerId: string, label: string) {
    if (label === "graphql") return new GraphQLWorker();
    if (label === "json") return new JsonWorker();
    return new EditorWorker();
  },
};
