/**
 * GraphiQL at /graphiql (web/graphiql), from the project's own bundle: served with its content
 * security policy, then driven in Debian's Chromium (playwright-core) against the real server,
 * over HTTP and graphql-ws, with every request to another host blocked and recorded: the page
 * must work offline, so none may be attempted.
 *
 * Chromium is never downloaded: the tests use /usr/bin/chromium (`apt-get install chromium`;
 * .ci/run installs it) and are skipped, loudly, where it is missing.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Kind, parse, type OperationDefinitionNode } from "graphql";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STARTER_DOCUMENT, STARTER_VARIABLES } from "../src/explorer/starter";
import { requestHeaders } from "../web/graphiql/fetcher";
import { act, inviteOk, ok, signUp } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.warn(
    `\n!!! ${CHROMIUM} is missing: the browser tests of GraphiQL (/graphiql) are SKIPPED.\n` +
      "!!! Install Debian's Chromium (`sudo apt-get install -y chromium`) to run them;\n" +
      "!!! .ci/run does, so CI always runs them.\n",
  );
}
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

const ROOT = resolve(__dirname, "..");
const OPERATION_NAMES = parse(STARTER_DOCUMENT)
  .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  .map((op) => op.name!.value);

let dir: string;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  // The bundle `npm run build:graphiql` makes, built once for this file into its own folder:
  // the test needs no prior build and never races another run over dist/graphiql. In a child
  // process with NODE_ENV=production, as npm runs it (vitest's NODE_ENV=test: a dev build).
  dir = mkdtempSync(join(tmpdir(), "invitations-graphiql-"));
  const vite = join(ROOT, "node_modules", ".bin", "vite");
  const config = "web/graphiql/vite.config.mts";
  const args = ["build", "--config", config, "--outDir", dir, "--emptyOutDir"];
  await promisify(execFile)(vite, [...args, "--logLevel", "warn"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production" },
  });
}, 120_000);

describe("the page's request headers", () => {
  it("leave out a blank value: an empty authorization means no header, not a bad one", () => {
    expect(requestHeaders({ authorization: "" })).toEqual({});
    expect(requestHeaders({ Authorization: "  " })).toEqual({});
    expect(requestHeaders({ authorization: "Bearer " })).toEqual({});
    expect(requestHeaders({ authorization: null, "x-trace": 7 })).toEqual({ "x-trace": "7" });
    expect(requestHeaders({ authorization: " Bearer abc " })).toEqual({
      authorization: "Bearer abc",
    });
    // Anything but an object (GraphiQL passes what the Headers tab parses to): no headers.
    expect(requestHeaders(undefined)).toEqual({});
    expect(requestHeaders(["authorization"] as unknown as Record<string, string>)).toEqual({});
  });
});

describe("/graphiql over HTTP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { GRAPHIQL_DIR: dir } });
  });
  afterAll(() => server?.stop());

  it("serves the bundled page with a policy that admits only its own origin", async () => {
    const origin = new URL(server.url).origin;
    const page = await fetch(`${origin}/graphiql`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = page.headers.get("content-security-policy") ?? "";
    const directives = new Map(
      csp.split(";").map((d) => {
        const [name, ...sources] = d.trim().split(/\s+/);
        return [name, sources] as const;
      }),
    );
    expect(directives.get("default-src")).toEqual(["'self'"]);
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("connect-src")).toEqual(["'self'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    // No other origin, no scheme wildcard (data: only for fonts and images), no eval.
    for (const [name, sources] of directives) {
      for (const source of sources) {
        expect(source, `${name} ${source}`).toMatch(/^'(self|none|unsafe-inline)'$|^data:$/);
      }
      if (sources.includes("data:")) expect(["font-src", "img-src"]).toContain(name);
      if (sources.includes("'unsafe-inline'")) expect(name).toBe("style-src");
    }

    const html = await page.text();
    expect(html).toContain('<div id="graphiql">');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = html.match(/src="(\/graphiql\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${origin}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    const code = await asset.text();
    // The starter operations are bundled from src/explorer/starter.ts, and so is graphql-ws.
    expect(code).toContain("subscription OnInvitationDeclined {");
    expect(code).toContain("graphql-transport-ws");
  });

  it("bundles exactly one copy of graphql for the page (each Monaco worker has its own)", () => {
    const assets = join(dir, "assets");
    const pageChunks = readdirSync(assets).filter((f) => f.endsWith(".js") && !/worker/.test(f));
    // A message only graphql-js's instanceOf check carries: once per copy of the library.
    const copies = pageChunks
      .map(
        (f) =>
          readFileSync(join(assets, f), "utf8").split("from another module or realm").length - 1,
      )
      .reduce((a, b) => a + b, 0);
    expect(copies).toBe(1);
  });

  it("says how to build it when there is no bundle", async () => {
    const bare = await startTestServer({
      env: { GRAPHIQL_DIR: mkdtempSync(join(tmpdir(), "invitations-nobuild-")) },
    });
    try {
      const res = await fetch(`${new URL(bare.url).origin}/graphiql`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("npm run build");
    } finally {
      await bare.stop();
    }
  });

  it("is not served in production", async () => {
    const prod = await startTestServer({
      env: { NODE_ENV: "production", JWT_SECRET: "g".repeat(40), GRAPHIQL_DIR: dir },
    });
    try {
      const origin = new URL(prod.url).origin;
      for (const path of ["/graphiql", "/graphiql/", "/graphiql/index.html"]) {
        const res = await fetch(`${origin}${path}`);
        expect(res.status, path).toBe(404);
        expect(await res.text()).not.toContain('id="graphiql"');
      }
    } finally {
      await prod.stop();
    }
  });
});

describe.skipIf(!HAS_CHROMIUM)("GraphiQL in Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Requests and sockets to any other host: blocked, and the test fails on any. */
  const offsite: string[] = [];
  /** Uncaught exceptions and content security policy violations: the test fails on any. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ env: { GRAPHIQL_DIR: dir } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  const isLocal = (url: string) => {
    const { protocol, hostname } = new URL(url);
    return !/^(https?|wss?):$/.test(protocol) || LOCAL_HOSTS.has(hostname);
  };

  /** A fresh browser profile (its own localStorage) with a page on /graphiql. */
  async function openGraphiql(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      locale: "en-US",
      timezoneId: "UTC",
    });
    contexts.push(context);
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      offsite.push(url);
      return route.abort("blockedbyclient");
    });
    // Reported to the page, not thrown: collected here. (A string: no DOM types in this tsconfig.)
    await context.addInitScript(
      `document.addEventListener("securitypolicyviolation", (e) =>
        console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
    );
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => {
      if (msg.text().startsWith("CSP violation")) pageErrors.push(msg.text());
    });
    page.on("websocket", (ws) => {
      if (!isLocal(ws.url())) offsite.push(ws.url());
    });
    await page.goto(`${new URL(server.url).origin}/graphiql`);
    await executeButton(page).waitFor();
    return page;
  }

  const executeButton = (page: Page) => page.getByRole("button", { name: /^(Execute|Stop) query/ });
  const headersEditor = (page: Page) =>
    page.locator('section[aria-label="Headers"] .graphiql-editor:not(.hidden)');
  const resultWindow = (page: Page) => page.locator("section.result-window");

  /** The text a Monaco editor shows, line by line in order (the DOM keeps its own order). */
  async function editorText(editor: ReturnType<Page["locator"]>): Promise<string> {
    const lines = await editor
      .locator(".view-line")
      .evaluateAll((els) => els.map((el) => [el.getAttribute("style"), el.textContent ?? ""]));
    const top = (style: string | null) => Number(/top:\s*([\d.]+)px/.exec(style ?? "")?.[1] ?? 0);
    return lines
      .sort(([a], [b]) => top(a) - top(b))
      .map(([, text]) => text!.replace(/\u00a0/g, " "))
      .join("\n");
  }

  /** The result pane's JSON, once it holds some. */
  // Results are checked field by field; typing every shape adds nothing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function result(page: Page): Promise<{ data?: any; errors?: unknown[] }> {
    let text = "";
    await expect
      .poll(async () => (text = (await editorText(resultWindow(page))).trim()), { timeout: 10_000 })
      .not.toBe("");
    return JSON.parse(text);
  }

  /** Types `headers` into the Headers tab, as a person pasting them would. */
  async function setHeaders(page: Page, headers: Record<string, string>): Promise<void> {
    await page.locator('button[data-name="headers"]').click();
    const editor = headersEditor(page);
    const typed = async () => {
      try {
        return JSON.parse(await editorText(editor));
      } catch {
        return undefined;
      }
    };
    // Keys reach Monaco through its hidden textarea: type once it has the focus, and again if
    // the page (still settling after load) took the focus away meanwhile.
    for (let attempt = 1; ; attempt++) {
      await editor.click();
      await editor.locator("textarea").focus();
      await page.keyboard.press("Control+A");
      await page.keyboard.insertText(JSON.stringify(headers));
      // Monaco closes quotes and braces as they are typed: drop what it added after the cursor.
      await page.keyboard.press("Shift+Control+End");
      await page.keyboard.press("Delete");
      try {
        await expect.poll(typed, { timeout: 2000 }).toEqual(headers);
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  /** Picks `operationName` in the Run button's menu (the starter document has several). */
  async function run(page: Page, operationName: string): Promise<void> {
    await executeButton(page).click();
    await page.getByRole("menuitem", { name: operationName, exact: true }).click();
  }

  /** Polls GET /metrics until `field` has a subscription listening: the server's own signal. */
  async function listening(field: string): Promise<void> {
    const pattern = new RegExp(
      `^graphql_subscriptions_active\\{operation="${field}"\\} (\\d+)`,
      "m",
    );
    await expect
      .poll(
        async () => {
          const text = await (await fetch(`${new URL(server.url).origin}/metrics`)).text();
          return Number(pattern.exec(text)?.[1] ?? 0);
        },
        { timeout: 10_000, message: `no ${field} subscription on the server` },
      )
      .toBeGreaterThan(0);
  }

  it("opens on the starter operations, with an empty authorization header", async () => {
    const page = await openGraphiql();
    // GraphiQL keeps its tabs in localStorage: the first tab is the starter document, exactly.
    const tabState = () => page.evaluate(`localStorage.getItem("graphiql:tabState")`);
    await expect.poll(tabState).not.toBeNull();
    const saved = JSON.parse((await tabState()) as string);
    expect(saved.tabs).toHaveLength(1);
    expect(saved.tabs[0].query).toBe(STARTER_DOCUMENT);
    expect(JSON.parse(saved.tabs[0].variables)).toEqual(STARTER_VARIABLES);
    // Headers (tokens) are not kept in the browser.
    expect(saved.tabs[0].headers).toBeNull();
    // The Headers tab shows the slot for a token.
    await expect
      .poll(async () => JSON.parse(await editorText(headersEditor(page))))
      .toEqual({ authorization: "" });
    // The operation editor shows the document's start, and the Run menu offers every operation.
    const editor = page.locator("section.graphiql-query-editor .graphiql-editor");
    expect(await editorText(editor)).toContain("# Invitations API: the main operations.");
    await executeButton(page).click();
    expect(await page.getByRole("menuitem").allTextContents()).toEqual(OPERATION_NAMES);
    await page.keyboard.press("Escape");
    // The schema came over HTTP from this server (introspection, without a token).
    await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
    await page.getByText("A GraphQL schema provides a root type").waitFor();
    expect(offsite).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it("runs a subscription over graphql-ws with the header's token, and queries over HTTP", async () => {
    const sender = await signUp(server, { name: "Ada Sender" });
    const recipient = await signUp(server, { name: "Grace Recipient" });
    const invitationId = await inviteOk(server, sender, recipient.id, "Shall we connect?");
    const page = await openGraphiql();
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));

    // As the sender: subscribe to declines, then the recipient declines over HTTP.
    await setHeaders(page, { authorization: `Bearer ${sender.token}` });
    await run(page, "OnInvitationDeclined");
    await page.getByRole("button", { name: /^Stop query/ }).waitFor();
    await listening("invitationDeclined");
    const message = "Thank you, but not this year";
    ok(await act(server, recipient, "declineInvitation", invitationId, message));
    await expect
      .poll(async () => editorText(resultWindow(page)), { timeout: 10_000 })
      .toContain(message);
    const event = (await result(page)).data.invitationDeclined;
    expect(event.message).toBe(message);
    expect(event.invitation).toMatchObject({ id: invitationId, status: "DECLINED" });
    expect(sockets).toEqual([`${new URL(server.url).origin.replace(/^http/, "ws")}/graphql`]);
    await executeButton(page).click(); // Stop
    await page.getByRole("button", { name: /^Execute query/ }).waitFor();

    // A query with the header runs as the sender...
    await run(page, "Viewer");
    await expect.poll(async () => (await result(page)).data?.viewer?.id).toBe(sender.id);
    expect((await result(page)).data.viewer.name).toBe("Ada Sender");

    // ...and with the header left empty, as nobody (no Authorization header is sent).
    await setHeaders(page, { authorization: "" });
    await run(page, "Viewer");
    await expect.poll(async () => (await result(page)).data).toEqual({ viewer: null });
    expect((await result(page)).errors).toBeUndefined();

    // A subscription without a token: the server closes the socket with 4403, and says so.
    await run(page, "OnInvitationDeclined");
    await expect
      .poll(async () => editorText(resultWindow(page)), { timeout: 10_000 })
      .toContain("4403");
    await page.getByRole("button", { name: /^Execute query/ }).waitFor();

    // The token never reached the browser's storage (tabs, history): after a reload, the
    // Headers tab is back to the empty slot.
    await setHeaders(page, { authorization: `Bearer ${sender.token}` });
    await run(page, "Viewer");
    await expect.poll(async () => (await result(page)).data?.viewer?.id).toBe(sender.id);
    const stored = (await page.evaluate(`JSON.stringify(localStorage)`)) as string;
    expect(stored).not.toContain(sender.token);
    await page.reload();
    await expect
      .poll(async () => JSON.parse(await editorText(headersEditor(page))))
      .toEqual({ authorization: "" });
    expect(offsite).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
