/**
 * The example client at /app (web/), in a real browser: Debian's Chromium driven by
 * playwright-core, against the real server over HTTP and graphql-ws. Two browser contexts,
 * a sender and a recipient, each with its own session.
 *
 * Chromium is never downloaded: the tests use /usr/bin/chromium (`apt-get install chromium`;
 * .ci/run installs it) and are skipped, loudly, where it is missing.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { act, gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { Mailbox } from "./helpers/mailbox";
import { startTestServer, type TestServer } from "./helpers/server";

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.warn(
    `\n!!! ${CHROMIUM} is missing: the browser tests of the example client are SKIPPED.\n` +
      "!!! Install Debian's Chromium (`sudo apt-get install -y chromium`) to run them;\n" +
      "!!! .ci/run does, so CI always runs them.\n",
  );
}

const ROOT = resolve(__dirname, "..");
/** Screenshots go to a temporary folder; with UPDATE_SCREENSHOTS=1 also to docs/screenshots. */
const SHOTS = mkdtempSync(join(tmpdir(), "invitations-shots-"));
const PASSWORD = "correct horse battery";

/**
 * An init script for a page whose network refuses WebSocket upgrades: each `new WebSocket()`
 * fails before it opens, as a refused upgrade does (an `error` event, then close 1006). A
 * string: the root tsconfig has no DOM types. `__sockets` counts the attempts.
 */
const BLOCK_WEBSOCKETS = `(() => {
  globalThis.__sockets = 0;
  class BlockedWebSocket extends EventTarget {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    constructor(url) {
      super();
      globalThis.__sockets++;
      Object.assign(this, { url: String(url), protocol: "", extensions: "", readyState: 0 });
      Object.assign(this, { onopen: null, onmessage: null, onerror: null, onclose: null });
      setTimeout(() => {
        this.readyState = 3;
        const error = new Event("error");
        this.onerror?.(error);
        this.dispatchEvent(error);
        const close = new CloseEvent("close", { code: 1006, wasClean: false });
        this.onclose?.(close);
        this.dispatchEvent(close);
      }, 20);
    }
    send() {
      throw new DOMException("The socket is not open.", "InvalidStateError");
    }
    close() {}
  }
  globalThis.WebSocket = BlockedWebSocket;
})();`;

async function screenshot(page: Page, name: string): Promise<void> {
  const file = join(SHOTS, name);
  await page.screenshot({ path: file, fullPage: true });
  // A PNG, not an empty or error file.
  expect(readFileSync(file).subarray(1, 4).toString()).toBe("PNG");
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    mkdirSync(join(ROOT, "docs", "screenshots"), { recursive: true });
    copyFileSync(file, join(ROOT, "docs", "screenshots", name));
  }
}

let appDir: string;
afterAll(() => {
  for (const dir of [appDir, SHOTS]) if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  // The bundle `npm run build:web` makes, built once for this file into its own folder: the
  // test needs no prior build and never races another run over dist/web. In a child process
  // with NODE_ENV=production, as npm runs it (vitest's NODE_ENV=test would make a dev build).
  appDir = mkdtempSync(join(tmpdir(), "invitations-app-"));
  const vite = join(ROOT, "node_modules", ".bin", "vite");
  const args = ["build", "--config", "web/vite.config.mts", "--outDir", appDir, "--emptyOutDir"];
  await promisify(execFile)(vite, [...args, "--logLevel", "warn"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production" },
  });
}, 60_000);

describe("/app over HTTP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { APP_DIR: appDir } });
  });
  afterAll(() => server.stop());

  it("serves the bundled page with a content security policy, and its hashed assets", async () => {
    const origin = new URL(server.url).origin;
    const page = await fetch(`${origin}/app/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const html = await page.text();
    expect(html).toContain('<div id="app">');
    const script = html.match(/src="(\/app\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${origin}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    // graphql-ws's client is bundled: the page loads nothing from elsewhere.
    expect(await asset.text()).toContain("graphql-transport-ws");
  });

  it("says how to build the client when there is no bundle", async () => {
    const bare = await startTestServer({
      env: { APP_DIR: mkdtempSync(join(tmpdir(), "invitations-nobuild-")) },
    });
    try {
      const res = await fetch(`${new URL(bare.url).origin}/app/`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("npm run build");
    } finally {
      await bare.stop();
    }
  });
});

describe.skipIf(!HAS_CHROMIUM)("the example client in Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Uncaught exceptions in the client; the test fails on any. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ env: { APP_DIR: appDir } });
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  /** A fresh browser profile (its own sessionStorage) with a page on /app. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 760 },
      locale: "en-US",
      timezoneId: "UTC",
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    return page;
  }

  const appUrl = () => `${new URL(server.url).origin}/app/`;

  /**
   * Resolves once `member`'s notificationAdded subscription listens on `srv` (over SSE only,
   * with `transport`): what is done afterwards cannot race it (the client has no way to know,
   * the server does).
   */
  function listening(srv: TestServer, member: TestMember, transport?: "sse"): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        srv.events.off("subscribed", on);
        reject(new Error(`${member.name}'s page did not subscribe within 10 s`));
      }, 10_000);
      const on = (e: { memberId: string; field: string; transport?: string }) => {
        if (e.memberId !== member.id || e.field !== "notificationAdded") return;
        if (transport && e.transport !== transport) return;
        clearTimeout(timer);
        srv.events.off("subscribed", on);
        resolve();
      };
      srv.events.on("subscribed", on);
    });
  }

  async function logIn(page: Page, member: TestMember): Promise<void> {
    if (!page.url().startsWith(appUrl())) await page.goto(appUrl());
    await page.getByLabel("Email").fill(member.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("header .who", { hasText: member.name }).waitFor();
  }

  const card = (page: Page, list: "received" | "sent", id: string) =>
    page.locator(`[data-testid=${list}] [data-invitation-id="${id}"]`);
  const statusOf = (page: Page, id: string) =>
    card(page, "sent", id).getByTestId("status").textContent();
  const notificationKinds = (page: Page) =>
    page
      .locator("[data-testid=notifications] > li")
      // The root tsconfig has no DOM types: the attribute, not the dataset.
      .evaluateAll((items) => items.map((li) => li.getAttribute("data-kind")));

  it("decline reaches the sender at once, ignore never does, and the page resumes after a restart", async () => {
    const member = (name: string) => signUp(server, { name, password: PASSWORD });
    const ada = await member("Ada Sender");
    const grace = await member("Grace Decliner");
    const linus = await member("Linus Ignorer");
    const barbara = await member("Barbara Accepter");
    const edsger = await member("Edsger Offline");
    const alan = await member("Alan Other");
    // Markup in a note and in a message must show as text, never become elements.
    const note = `Hi Grace <img src=x onerror="globalThis.__xss=1"> let's connect`;
    const toGrace = await inviteOk(server, ada, grace.id, note);
    const toLinus = await inviteOk(server, ada, linus.id, "Hello Linus");
    const toBarbara = await inviteOk(server, ada, barbara.id, "Hello Barbara");
    const toEdsger = await inviteOk(server, ada, edsger.id, "Hello Edsger");
    await inviteOk(server, alan, grace.id, "We met at the conference");

    // The sender's page: four sent invitations, all pending, and the live panel listening.
    const sender = await newPage();
    await Promise.all([listening(server, ada), logIn(sender, ada)]);
    for (const id of [toGrace, toLinus, toBarbara, toEdsger]) {
      expect(await statusOf(sender, id)).toBe("Pending");
    }
    expect(await notificationKinds(sender)).toEqual([]);

    // The recipient's page, in another browser context.
    const recipient = await newPage();
    await logIn(recipient, grace);
    const fromAda = card(recipient, "received", toGrace);
    await expect(fromAda.locator(".note").textContent()).resolves.toBe(note);
    expect(await recipient.locator("[data-testid=received] img").count()).toBe(0);
    expect(await recipient.locator("[data-testid=received] > li").count()).toBe(2);

    // Decline with a message: the sender's page shows it within a second.
    const message = "Sorry, <b>not now</b> & thanks";
    await fromAda.getByRole("button", { name: "Decline…" }).click();
    await fromAda.getByLabel("Decline with a message").fill(message);
    const declinedAt = Date.now();
    await fromAda.getByRole("button", { name: "Decline", exact: true }).click();
    await card(sender, "sent", toGrace)
      .getByTestId("status")
      .filter({ hasText: "Declined" })
      .waitFor({ timeout: 1000 });
    expect(Date.now() - declinedAt).toBeLessThan(1000);
    expect(await card(sender, "sent", toGrace).locator("q").textContent()).toBe(message);
    expect(await sender.locator("[data-testid=notifications] .message").allTextContents()).toEqual([
      message,
    ]);
    expect(await sender.locator("b, img").count()).toBe(0);
    expect(await sender.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    // The recipient's list drops it once the server agreed; Alan's stays, with its buttons.
    await fromAda.waitFor({ state: "detached" });
    expect(await recipient.locator("[data-testid=received] > li").count()).toBe(1);
    // The screenshot shows the decline form open on it.
    const fromAlan = recipient.locator("[data-testid=received] > li");
    await fromAlan.getByRole("button", { name: "Decline…" }).click();
    await fromAlan
      .getByLabel("Decline with a message")
      .fill("Thanks, but I only connect with people I know.");
    await screenshot(recipient, "recipient.png");

    // Another recipient ignores: nothing reaches the sender.
    await recipient.getByRole("button", { name: "Log out" }).click();
    await logIn(recipient, linus);
    await card(recipient, "received", toLinus).getByRole("button", { name: "Ignore" }).click();
    await card(recipient, "received", toLinus).waitFor({ state: "detached" });
    // Then a third accepts. The sender's notifications arrive in order, so once this one is
    // shown, anything the ignore had sent would be shown too: a barrier, not a sleep.
    await recipient.getByRole("button", { name: "Log out" }).click();
    await logIn(recipient, barbara);
    await card(recipient, "received", toBarbara)
      .getByRole("button", { name: "Accept", exact: true })
      .click();
    await card(sender, "sent", toBarbara)
      .getByTestId("status")
      .filter({ hasText: "Accepted" })
      .waitFor();
    expect(await notificationKinds(sender)).toEqual(["INVITATION_ACCEPTED", "INVITATION_DECLINED"]);
    expect(await statusOf(sender, toLinus)).toBe("Pending");
    expect(await card(sender, "sent", toLinus).getByTestId("reply").count()).toBe(0);
    expect(await sender.locator("[data-testid=sent]").getByText("Ignored").count()).toBe(0);
    // And after a reload, from the server's own lists: still pending.
    await Promise.all([listening(server, ada), sender.reload()]);
    expect(await statusOf(sender, toLinus)).toBe("Pending");
    expect(await statusOf(sender, toGrace)).toBe("Declined");
    expect(await notificationKinds(sender)).toEqual(["INVITATION_ACCEPTED", "INVITATION_DECLINED"]);

    // The server goes away; a decline is stored while the sender's page cannot hear it...
    const { port, sqlitePath } = server;
    await server.stop();
    await sender.getByTestId("live-status").filter({ hasText: "reconnecting" }).waitFor();
    const meanwhile = await startTestServer({ sqlitePath, env: { APP_DIR: appDir } });
    try {
      ok(
        await act(meanwhile, edsger, "declineInvitation", toEdsger, "Declined while you were away"),
      );
    } finally {
      await meanwhile.stop();
    }
    // ...and when it is back at the same address, the page resumes from its last cursor:
    // the missed decline is replayed, and nothing it already had comes twice.
    server = await startTestServer({ sqlitePath, env: { PORT: String(port), APP_DIR: appDir } });
    await card(sender, "sent", toEdsger)
      .getByTestId("status")
      .filter({ hasText: "Declined" })
      .waitFor({ timeout: 15_000 });
    await sender.getByTestId("live-status").filter({ hasText: "live" }).waitFor();
    expect(await notificationKinds(sender)).toEqual([
      "INVITATION_DECLINED",
      "INVITATION_ACCEPTED",
      "INVITATION_DECLINED",
    ]);
    // Barbara accepted without a greeting: only the two decline messages.
    expect(await sender.locator("[data-testid=notifications] .message").allTextContents()).toEqual([
      "Declined while you were away",
      message,
    ]);
    expect(await statusOf(sender, toLinus)).toBe("Pending");
    await screenshot(sender, "sender.png");
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it("falls back to SSE where WebSockets cannot connect, and still shows a decline live", async () => {
    const member = (name: string) => signUp(server, { name, password: PASSWORD });
    const ada = await member("Ada Behind A Proxy");
    const grace = await member("Grace Declines Again");
    const toGrace = await inviteOk(server, ada, grace.id, "Hello from behind the proxy");

    // A network that refuses WebSocket upgrades: every socket fails before it opens, as a
    // refused upgrade does (an error event, then close 1006); plain HTTP works.
    const sender = await newPage();
    await sender.addInitScript(BLOCK_WEBSOCKETS);
    await Promise.all([listening(server, ada, "sse"), logIn(sender, ada)]);
    await sender.getByTestId("live-status").filter({ hasText: "live" }).waitFor();
    expect(await statusOf(sender, toGrace)).toBe("Pending");

    const message = "Not now, thanks";
    const declinedAt = Date.now();
    ok(await act(server, grace, "declineInvitation", toGrace, message));
    await card(sender, "sent", toGrace)
      .getByTestId("status")
      .filter({ hasText: "Declined" })
      .waitFor({ timeout: 1000 });
    expect(Date.now() - declinedAt).toBeLessThan(1000);
    expect(await sender.locator("[data-testid=notifications] .message").allTextContents()).toEqual([
      message,
    ]);
    // The page did try a WebSocket first, and only once.
    expect(await sender.evaluate(() => (globalThis as { __sockets?: number }).__sockets)).toBe(1);
    expect(pageErrors).toEqual([]);
  }, 30_000);
});

describe.skipIf(!HAS_CHROMIUM)("a sign-up mail's link in Chromium", () => {
  it("opens the client logged in as the new member, and takes the token out of the address", async () => {
    const mailbox = await Mailbox.start();
    const origin = "http://127.0.0.1";
    const server = await startTestServer({
      env: { APP_DIR: appDir, EMAIL_VERIFICATION: "true", SMTP_URL: mailbox.url },
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const email = "ines.link@example.com";
      const input = { name: "Ines Link", email, password: PASSWORD };
      const answer = ok(
        await gql(server, `mutation ($input: SignUpInput!) { signUp(input: $input) { status } }`, {
          input,
        }),
      );
      expect(answer.signUp.status).toBe("VERIFY_EMAIL");
      const [mail] = await mailbox.waitFor(email);
      // The link as mailed, pointed at this test server (PUBLIC_URL is the default one).
      const link = new URL(/https?:\/\/\S+#verify-email=[\w-]+/.exec(mail.parsed.text ?? "")![0]);
      const port = new URL(server.url).port;
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await page.goto(`${origin}:${port}${link.pathname}${link.hash}`);
      await page.locator("header .who", { hasText: "Ines Link" }).waitFor();
      expect(new URL(page.url()).hash).toBe("");
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.stop();
      await mailbox.close();
    }
  }, 60_000);
});

describe.skipIf(!HAS_CHROMIUM)("the example client, from sign-up to settings, offline", () => {
  it("signs up, invites with a note, sets a stranger aside by a policy, declines live, blocks", async () => {
    // Trusted documents only: the client sends its operations by id, and nothing else runs.
    const server = await startTestServer({ env: { APP_DIR: appDir, TRUSTED_DOCUMENTS: "only" } });
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    const origin = new URL(server.url).origin;
    const outside: string[] = [];
    const errors: string[] = [];
    const texts: string[] = [];
    try {
      const page = async () => {
        const context = await browser.newContext({ locale: "en-US", timezoneId: "UTC" });
        // Nothing but the server itself: the page must work without the internet.
        await context.route("**/*", (route) => {
          const url = route.request().url();
          // A GraphQL request with its document's text, not its id.
          if (/"query":"[^"]/.test(route.request().postData() ?? "")) texts.push(url);
          if (url.startsWith(origin) || url.startsWith(origin.replace("http", "ws"))) {
            return route.continue();
          }
          outside.push(url);
          return route.abort();
        });
        const p = await context.newPage();
        p.on("pageerror", (err) => errors.push(err.message));
        await p.goto(`${origin}/app/`);
        return p;
      };
      const signUpAs = async (p: Page, name: string, email: string) => {
        await p.getByRole("button", { name: "Create an account" }).click();
        await p.getByLabel("Full name").fill(name);
        await p.getByLabel("Email").fill(email);
        await p.getByLabel("Password (8 characters or more)").fill(PASSWORD);
        await p.getByLabel("Headline (optional)").fill(`${name}'s headline`);
        await p.getByRole("button", { name: "Sign up" }).click();
        await p.locator("header .who", { hasText: name }).waitFor();
      };
      const [olga, pete] = [await page(), await page()];
      await signUpAs(olga, "Olga Client", "olga.client@example.com");
      await signUpAs(pete, "Pete Client", "pete.client@example.com");

      // Olga finds Pete (3rd+, no mutual connection) and invites him with a note.
      await olga.getByLabel("Search members by name").fill("Pete");
      await olga.getByRole("button", { name: "Search", exact: true }).click();
      const card = olga.locator("[data-testid=people] li", { hasText: "Pete Client" });
      await expect(card.locator(".meta").textContent()).resolves.toBe(
        "3rd+ · 0 mutual connections",
      );
      await card.getByLabel("Note for Pete Client").fill("Hello from the client");
      await card.getByRole("button", { name: "Invite" }).click();
      await card.getByText("Invitation sent.").waitFor();
      await olga
        .locator("[data-testid=sent] li", { hasText: "Pete Client" })
        .getByTestId("status")
        .filter({ hasText: "Pending" })
        .waitFor();

      // Pete sees it in his Pending tab (live), with the note.
      await pete
        .locator("[data-testid=received] li", { hasText: "Hello from the client" })
        .waitFor();

      // Pete sets invitations from people with no mutual connection aside, in the settings.
      await pete.getByText("Settings", { exact: true }).click();
      await pete.getByLabel("From people with no mutual connection").selectOption("FILTER");
      await pete.getByRole("button", { name: "Save settings" }).click();
      await pete.getByRole("status").filter({ hasText: "Saved." }).waitFor();

      // Quinn, a stranger, invites Pete: it lands in his Filtered tab, not in Pending.
      const quinn = await page();
      await signUpAs(quinn, "Quinn Stranger", "quinn.client@example.com");
      await quinn.getByLabel("Search members by name").fill("Pete");
      await quinn.getByRole("button", { name: "Search", exact: true }).click();
      const toPete = quinn.locator("[data-testid=people] li", { hasText: "Pete Client" });
      await toPete.getByLabel("Note for Pete Client").fill("From Quinn");
      await toPete.getByRole("button", { name: "Invite" }).click();
      await toPete.getByText("Invitation sent.").waitFor();
      await pete.getByRole("button", { name: "Filtered" }).click();
      await pete.locator("[data-testid=received] li", { hasText: "From Quinn" }).waitFor();
      await pete.getByRole("button", { name: "Pending" }).click();
      await pete
        .locator("[data-testid=received] li", { hasText: "Hello from the client" })
        .waitFor();
      expect(
        await pete.locator("[data-testid=received] li", { hasText: "From Quinn" }).count(),
      ).toBe(0);
      await screenshot(pete, "client-settings.png");

      // Filters: Olga shares no connection with Pete, so "mutual connections" hides her; the
      // order changes nothing for one invitation.
      await pete.getByLabel("Mutual connections", { exact: true }).check();
      await pete.getByText("No invitations waiting.").waitFor();
      await pete.getByLabel("Mutual connections", { exact: true }).uncheck();
      await pete.getByLabel("Order").selectOption("OLDEST");
      await pete.getByLabel("Search received by name").fill("Olga");
      await pete.getByLabel("Search received by name").press("Enter");
      await pete
        .locator("[data-testid=received] li", { hasText: "Hello from the client" })
        .waitFor();
      // The search stays with the lists until cleared.
      await pete.getByLabel("Search received by name").fill("");
      await pete.getByLabel("Search received by name").press("Enter");

      // Pete declines Olga's invitation with a message; Olga's page shows it at once.
      const fromOlga = pete.locator("[data-testid=received] li", {
        hasText: "Hello from the client",
      });
      await fromOlga.getByRole("button", { name: "Decline…" }).click();
      await fromOlga.getByLabel("Decline with a message").fill("Not this time, Olga");
      await fromOlga.getByRole("button", { name: "Decline", exact: true }).click();
      const olgaSent = olga.locator("[data-testid=sent] li", { hasText: "Pete Client" });
      await olgaSent.getByTestId("status").filter({ hasText: "Declined" }).waitFor();
      expect(await olgaSent.locator("q").textContent()).toBe("Not this time, Olga");

      // Pete blocks Quinn from his Filtered tab, and finds him among the blocked members.
      await pete.getByRole("button", { name: "Filtered" }).click();
      const fromQuinn = pete.locator("[data-testid=received] li", { hasText: "From Quinn" });
      await fromQuinn.getByRole("button", { name: "Block Quinn Stranger" }).click();
      await fromQuinn.waitFor({ state: "detached" });
      await pete.getByText("Blocked members", { exact: true }).click();
      await pete.locator("[data-testid=blocked] li", { hasText: "Quinn Stranger" }).waitFor();

      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
      expect(texts).toEqual([]);
    } finally {
      await browser.close();
      await server.stop();
    }
  }, 90_000);
});
