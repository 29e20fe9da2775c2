// Sign-up with e-mail verification (EMAIL_VERIFICATION): the answer is the same for a new and
// a registered address, the difference travels by mail only, over real SMTP (test/helpers/
// mailbox.ts), from the outbox after the commit.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { simpleParser } from "mailparser";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { loadConfig } from "../src/config";
import { query, toInt } from "../src/db/sql";
import { MAX_ATTEMPTS, Outbox, retryDelayMs } from "../src/mail/outbox";
import { createMailTransport } from "../src/mail/transport";
import { codeOf, gql, messageOf, ok } from "./helpers/http";
import { Mailbox } from "./helpers/mailbox";
import { startTestServer, type TestServer } from "./helpers/server";

const SIGN_UP = `
  mutation ($input: SignUpInput!) {
    signUp(input: $input) { status token member { id name } }
  }
`;
const VERIFY = `
  mutation ($token: String!) { verifyEmail(token: $token) { token member { id name email } } }
`;
const LOG_IN = `
  mutation ($email: String!, $password: String!) {
    logIn(email: $email, password: $password) { token member { id } }
  }
`;

let mailbox: Mailbox;
let server: TestServer;
const clock = new ManualClock(new Date("2026-06-01T09:00:00Z"));

beforeAll(async () => {
  mailbox = await Mailbox.start();
  server = await startTestServer({
    clock,
    env: {
      EMAIL_VERIFICATION: "true",
      SMTP_URL: mailbox.url,
      PUBLIC_URL: "https://invitations.test",
      MAIL_FROM: "Invitations <no-reply@invitations.test>",
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await mailbox?.close();
});

const input = (email: string, name = "Ada Lovelace") => ({
  name,
  email,
  password: "analytical-engine",
});

/** The token of the link in a verification mail. */
function tokenOf(text: string): string {
  const match = /#verify-email=([\w-]+)/.exec(text);
  if (!match) throw new Error(`no link in: ${text}`);
  return match[1];
}

/**
 * A raw POST, to compare whole answers: status, headers and body bytes; but Date and
 * X-Request-Id, which differ between any two requests (a clock, a random id).
 */
async function rawSignUp(email: string) {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query: SIGN_UP, variables: { input: input(email) } }),
  });
  const headers = [...res.headers].filter(([name]) => !["date", "x-request-id"].includes(name));
  return { status: res.status, headers, body: await res.text() };
}

async function outboxRows(): Promise<number> {
  const [row] = await query<{ n: unknown }>(
    server.dataSource,
    `SELECT COUNT(*) AS "n" FROM "mail_outbox"`,
  );
  return toInt(row.n);
}

describe("signUp with EMAIL_VERIFICATION", () => {
  it("mails a link; the account exists only once it is followed", async () => {
    const email = "ada.verify@example.com";
    const res = ok(await gql(server, SIGN_UP, { input: input(email, "Ada <b>&</b> Co") }));
    expect(res.signUp).toEqual({ status: "VERIFY_EMAIL", token: null, member: null });

    const [mail] = await mailbox.waitFor(email);
    expect(mail.parsed.subject).toBe("Confirm your email address");
    expect(mail.parsed.from?.value).toEqual([
      { name: "Invitations", address: "no-reply@invitations.test" },
    ]);
    expect(mail.parsed.messageId).toMatch(/^<[\w-]{36}@invitations\.test>$/);
    const token = tokenOf(mail.parsed.text ?? "");
    expect(mail.parsed.text).toContain(`https://invitations.test/app/#verify-email=${token}`);
    // The member's own words are escaped in the HTML part, and plain in the text part.
    expect(mail.parsed.text).toContain("Hello Ada <b>&</b> Co,");
    expect(mail.parsed.html).toContain("Hello Ada &lt;b&gt;&amp;&lt;/b&gt; Co,");
    expect(mail.parsed.html).not.toContain("<b>");

    // Unverified: no member, and logIn answers exactly as for a wrong password.
    const unverified = await gql(server, LOG_IN, { email, password: "analytical-engine" });
    const wrong = await gql(server, LOG_IN, {
      email: "nobody@example.com",
      password: "x".repeat(9),
    });
    expect(unverified.errors).toEqual(wrong.errors);
    expect(codeOf(unverified)).toBe("UNAUTHENTICATED");

    const verified = ok(await gql(server, VERIFY, { token })).verifyEmail;
    expect(verified.member).toMatchObject({ name: "Ada <b>&</b> Co", email });
    expect(ok(await gql(server, `{ viewer { id } }`, {}, verified.token)).viewer.id).toBe(
      verified.member.id,
    );
    ok(await gql(server, LOG_IN, { email: email.toUpperCase(), password: "analytical-engine" }));

    // A link works once.
    const again = await gql(server, VERIFY, { token });
    expect(codeOf(again)).toBe("BAD_USER_INPUT");
    expect(messageOf(again)).toBe("This link is invalid or has expired.");
    // Sent mail leaves the outbox.
    expect(await outboxRows()).toBe(0);
  });

  it("answers a registered address byte for byte as a new one, and tells only its mailbox", async () => {
    const registered = "bo.registered@example.com";
    ok(await gql(server, SIGN_UP, { input: input(registered) }));
    const [link] = await mailbox.waitFor(registered);
    ok(await gql(server, VERIFY, { token: tokenOf(link.parsed.text ?? "") }));

    const fresh = "cy.fresh@example.com";
    const forRegistered = await rawSignUp(registered.toUpperCase());
    const forFresh = await rawSignUp(fresh);
    expect(forRegistered).toEqual(forFresh);
    expect(JSON.parse(forFresh.body)).toEqual({
      data: { signUp: { status: "VERIFY_EMAIL", token: null, member: null } },
    });

    const [, attempt] = await mailbox.waitFor(registered, 2);
    expect(attempt.parsed.subject).toBe("Someone tried to sign up with your address");
    expect(attempt.parsed.text).not.toMatch(/verify-email/);
    const [welcome] = await mailbox.waitFor(fresh);
    expect(welcome.parsed.subject).toBe("Confirm your email address");
  });

  it("lets any of several links of one address verify it, once", async () => {
    const email = "dee.twice@example.com";
    ok(await gql(server, SIGN_UP, { input: input(email, "Dee First") }));
    ok(await gql(server, SIGN_UP, { input: input(email, "Dee Second") }));
    const [first, second] = await mailbox.waitFor(email, 2);
    const member = ok(await gql(server, VERIFY, { token: tokenOf(second.parsed.text ?? "") }));
    expect(member.verifyEmail.member.name).toBe("Dee Second");
    const late = await gql(server, VERIFY, { token: tokenOf(first.parsed.text ?? "") });
    expect(codeOf(late)).toBe("BAD_USER_INPUT");
  });

  it("refuses a link after 24 hours, and a token that was never issued", async () => {
    const email = "eve.late@example.com";
    ok(await gql(server, SIGN_UP, { input: input(email) }));
    const [mail] = await mailbox.waitFor(email);
    clock.advance(24 * 60 * 60 * 1000 + 1000);
    expect(codeOf(await gql(server, VERIFY, { token: tokenOf(mail.parsed.text ?? "") }))).toBe(
      "BAD_USER_INPUT",
    );
    expect(codeOf(await gql(server, VERIFY, { token: "made-up" }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await gql(server, VERIFY, { token: "" }))).toBe("BAD_USER_INPUT");
  });
});

describe("the outbox", () => {
  it("keeps a refused mail and retries it after the backoff, delivering it once", async () => {
    const email = "fay.retry@example.com";
    mailbox.refuse(1);
    ok(await gql(server, SIGN_UP, { input: input(email) }));
    // The refusal was recorded on the row, which waits for its retry.
    await waitUntil(async () => {
      const [row] = await query<{ attempts: unknown }>(
        server.dataSource,
        `SELECT "attempts" FROM "mail_outbox"`,
      );
      return row !== undefined && toInt(row.attempts) === 1;
    });
    expect(mailbox.to(email)).toHaveLength(0);
    const outbox = server.app.deps.mail;
    expect(await outbox.flush()).toBe(0); // not due yet

    clock.advance(retryDelayMs(1));
    // Several flushes at once, and a second outbox on the same database (another instance).
    const other = new Outbox(
      server.app.deps,
      createMailTransport(server.app.deps.config, server.app.deps.logger)!,
    );
    const [here, alsoHere, there] = await Promise.all([
      outbox.flush(),
      outbox.flush(), // folded into the first
      other.flush(),
    ]);
    await other.stop();
    expect(here).toBe(alsoHere);
    expect(here + there).toBe(1);
    await mailbox.waitFor(email);
    await new Promise((r) => setTimeout(r, 200));
    expect(mailbox.to(email)).toHaveLength(1);
    expect(await outboxRows()).toBe(0);
  });

  it("gives up after MAX_ATTEMPTS and keeps the row for an operator", async () => {
    const email = "gus.never@example.com";
    mailbox.refuse(MAX_ATTEMPTS);
    ok(await gql(server, SIGN_UP, { input: input(email) }));
    const outbox = server.app.deps.mail;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await outbox.flush();
      clock.advance(retryDelayMs(attempt));
    }
    const [row] = await query<{ attempts: unknown; lastError: string }>(
      server.dataSource,
      `SELECT "attempts", "lastError" FROM "mail_outbox"`,
    );
    expect(toInt(row.attempts)).toBe(MAX_ATTEMPTS);
    expect(row.lastError).toMatch(/Try again later/);
    expect(await outbox.flush()).toBe(0);
    expect(mailbox.to(email)).toHaveLength(0);
    await query(server.dataSource, `DELETE FROM "mail_outbox"`);
  });
});

describe("without SMTP_URL in development", () => {
  it("writes each mail as an .eml file in MAIL_DIR and names the file in the log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mail-"));
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = loadConfig({ MAIL_DIR: dir, JWT_SECRET: "x".repeat(40) });
    const transport = createMailTransport(config, pino(sink))!;
    await transport.send({
      from: config.mailFrom,
      to: "hal@example.com",
      subject: "Hello",
      text: "Plain",
      messageId: "<abc-123@localhost>",
    });
    transport.close();
    const [file] = readdirSync(dir);
    expect(file).toMatch(/abc-123\.eml$/);
    const parsed = await simpleParser(readFileSync(join(dir, file)));
    expect(parsed.subject).toBe("Hello");
    expect(parsed.to && "text" in parsed.to ? parsed.to.text : "").toBe("hal@example.com");
    expect(lines.join("")).toContain(join(dir, file));
  });

  it("is off by default in development and on in production", () => {
    expect(loadConfig({}).emailVerification).toBe(false);
    const production = { NODE_ENV: "production", JWT_SECRET: "p".repeat(40) };
    expect(loadConfig(production).emailVerification).toBe(true);
    expect(loadConfig({ ...production, EMAIL_VERIFICATION: "false" }).emailVerification).toBe(
      false,
    );
    expect(() => loadConfig({ SMTP_URL: "http://mail" })).toThrow(/SMTP_URL/);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
