// Monaco's editor, JSON and GraphQL workers, bundled by Vite and loaded from this origin.
import "./workers";
// GraphiQL's styles with its fonts (Roboto, Fira Code) inlined: no font service is asked.
import "graphiql/style.css";
import "./page.css";
import { GraphiQL } from "graphiql";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { STARTER_DOCUMENT, STARTER_VARIABLES } from "../../src/explorer/starter";
import { createExplorerFetcher } from "./fetcher";
import { storageWithoutTokens } from "./storage";

// The API on this page's own origin (`npm run dev:graphiql`: VITE_API_URL, another origin).
const httpUrl = new URL(import.meta.env.VITE_API_URL || "/graphql", window.location.href);
const wsUrl = new URL(httpUrl);
wsUrl.protocol = httpUrl.protocol === "https:" ? "wss:" : "ws:";
const fetcher = createExplorerFetcher(httpUrl.href, wsUrl.href);

// Every tab's Headers open with the slot for a token, as in Apollo Sandbox: paste
// `Bearer TOKEN` as its value; left empty, no Authorization header is sent.
const HEADERS = JSON.stringify({ authorization: "" }, null, 2);
const VARIABLES = JSON.stringify(STARTER_VARIABLES, null, 2);

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      // The first visit (nothing saved in this browser yet) opens on the starter operations;
      // later visits on the tabs saved in localStorage. A new tab ("+") starts empty.
      defaultTabs={[{ query: STARTER_DOCUMENT, variables: VARIABLES, headers: HEADERS }]}
      // The Headers of new tabs, and of saved tabs after a reload (headers are not saved).
      defaultHeaders={HEADERS}
      // Tokens stay out of localStorage: neither the tabs nor the history keep headers.
      shouldPersistHeaders={false}
      storage={storageWithoutTokens}
      defaultEditorToolsVisibility="headers"
    />
  </StrictMode>,
);
