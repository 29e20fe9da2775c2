// E-mail from notifications (rule 13, docs/inbox.md "E-mail"): per-kind preferences, immediate mail
// and the daily digest from committed notification rows, at most once each, with a one-click
// unsubscribe (RFC 8058), over real SMTP (test/helpers/mailbox.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { query } from "../src/db/sql";
import { act, codeOf, gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";
import { Mailbox, type ReceivedMail } from "./helpers/mailbox";
import { startTestServer, type TestServer } from "./helpers/server";

let mailbox: Mailbox;
let server: TestServer;
const clock = new ManualClock(new Date("2036-03-02T05:00:00.000Z"));

beforeAll(async () => {
  mailbox = await Mailbox.start();
  server = await startTestServer({
    clock,
    env: {
      SMTP_URL: mailbox.url,
      PUBLIC_URL: "https://invitations.test",
      DIGEST_HOUR: "8",
      MAIL_NOTIFICATIONS: "true",
    },
  });
});
afterAll(async () => {
  await server?.stop();
  await mailbox?.close();
});

const PREFS = `query { notificationPreferences { kind email } }`;
const UPDATE = `
  mutation ($input: [NotificationPreferenceInput!]!) {
    updateNotificationPreferences(input: $input) { kind email }
  }
`;
const mailer = () => server.app.services.notificationMail;

/** A header of a received mail as sent (unfolded), e.g. List-Unsubscribe. */
function header(mail: ReceivedMail, name: string): string | undefined {
  const line = mail.parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.replace(/\r?\n[ \t]+/g, " ").replace(/^[^:]+:\s*/, "");
}

/** Lets the mailer and the outbox finish what the last request committed. */
async function settle(): Promise<void> {
  await mailer().mailNew();
  await server.app.deps.mail.flush();
}

async function join(name: string): Promise<TestMember> {
  const local = name
    .toLowerCase()
    .replace(/\W+/g, ".")
    .replace(/^\.|\.$/g, "");
  return signUp(server, { name, email: `${local}@example.com` });
}

describe("notificationPreferences", () => {
  it("defaults: received and reminders in the daily digest, answers at once", async () => {
    const m = await join("Pref Default");
    expect(ok(await gql(server, PREFS, {}, m.token)).notificationPreferences).toEqual([
      { kind: "INVITATION_RECEIVED", email: "DAILY_DIGEST" },
      { kind: "INVITATION_ACCEPTED", email: "IMMEDIATELY" },
      { kind: "INVITATION_DECLINED", email: "IMMEDIATELY" },
      { kind: "INVITATION_REMINDER", email: "DAILY_DIGEST" },
    ]);
    const after = ok(
      await gql(
        server,
        UPDATE,
        { input: [{ kind: "INVITATION_RECEIVED", email: "NEVER" }] },
        m.token,
      ),
    ).updateNotificationPreferences;
    expect(after[0]).toEqual({ kind: "INVITATION_RECEIVED", email: "NEVER" });
    expect(codeOf(await gql(server, PREFS))).toBe("UNAUTHENTICATED");
  });
});

describe("immediate mail", () => {
  it("tells the sender of a decline, with the message, escaped in HTML, with one-click unsubscribe", async () => {
    const ada = await join("Ada Mail");
    const bo = await join("Bo <b>Mail</b>");
    const id = await inviteOk(server, ada, bo.id);
    ok(await act(server, bo, "declineInvitation", id, "Not now & <never>"));
    await settle();
    const [mail] = await mailbox.waitFor(ada.email);
    expect(mail.parsed.subject).toBe("Bo <b>Mail</b> declined your invitation");
    expect(mail.parsed.text).toContain('"Not now & <never>"');
    expect(mail.parsed.html).toContain("&quot;Not now &amp; &lt;never&gt;&quot;");
    expect(mail.parsed.html).not.toContain("<b>");
    const unsubscribe = header(mail, "List-Unsubscribe")!;
    expect(unsubscribe).toMatch(/^<https:\/\/invitations\.test\/unsubscribe\?token=[\w.-]+>$/);
    expect(header(mail, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    // At most once: more passes find nothing new.
    await settle();
    await settle();
    expect(mailbox.to(ada.email)).toHaveLength(1);
    // Bo's invitation went to the digest (the default for received), not to an immediate mail.
    expect(mailbox.to(bo.email)).toHaveLength(0);
  });

  it("sends nothing for an ignore, a filtered or a discarded invitation, or an expiry", async () => {
    const sam = await join("Sam Silent");
    const [ivy, fay, dan] = [
      await join("Ivy Ignores"),
      await join("Fay Filters"),
      await join("Dan Discards"),
    ];
    const everything = [
      "INVITATION_RECEIVED",
      "INVITATION_ACCEPTED",
      "INVITATION_DECLINED",
      "INVITATION_REMINDER",
    ].map((kind) => ({ kind, email: "IMMEDIATELY" }));
    for (const m of [sam, ivy, fay, dan])
      ok(await gql(server, UPDATE, { input: everything }, m.token));
    const settings = `mutation ($input: InvitationSettingsInput!) { updateInvitationSettings(input: $input) { reminders } }`;
    ok(await gql(server, settings, { input: { whoCanInvite: "SECOND_DEGREE" } }, fay.token));
    ok(
      await gql(
        server,
        settings,
        { input: { policy: { noMutualConnections: "DISCARD" } } },
        dan.token,
      ),
    );
    const toIvy = await inviteOk(server, sam, ivy.id);
    await inviteOk(server, sam, fay.id);
    await inviteOk(server, sam, dan.id);
    await settle();
    // Ivy was told of hers (IMMEDIATELY), then ignores it; Fay and Dan were never told.
    expect(mailbox.to(ivy.email)).toHaveLength(1);
    ok(await act(server, ivy, "ignoreInvitation", toIvy));
    clock.advance(181 * 24 * 60 * 60 * 1000);
    await server.runJobs();
    await settle();
    expect(mailbox.to(sam.email)).toHaveLength(0);
    expect(mailbox.to(fay.email)).toHaveLength(0);
    expect(mailbox.to(dan.email)).toHaveLength(0);
  });
});

describe("the daily digest", () => {
  it("batches what waits into one mail at DIGEST_HOUR", async () => {
    clock.set(new Date("2037-01-05T06:00:00.000Z"));
    const rita = await join("Rita Digest");
    const [s1, s2] = [await join("First Sender"), await join("Second Sender")];
    await inviteOk(server, s1, rita.id, "Hello from one");
    await inviteOk(server, s2, rita.id, "Hello from two");
    await settle();
    expect(mailbox.to(rita.email)).toHaveLength(0);
    // Before 08:00 UTC nothing goes for today's; after it, one digest with both.
    await mailer().digest(clock.now());
    await server.app.deps.mail.flush();
    expect(mailbox.to(rita.email)).toHaveLength(0);
    clock.set(new Date("2037-01-05T08:30:00.000Z"));
    expect(await mailer().digest(clock.now())).toBeGreaterThanOrEqual(1);
    await server.app.deps.mail.flush();
    const [digest] = await mailbox.waitFor(rita.email);
    expect(digest.parsed.subject).toBe("2 updates on your invitations");
    expect(digest.parsed.text).toContain("First Sender invited you to connect");
    expect(digest.parsed.text).toContain('"Hello from two"');
    expect(header(digest, "List-Unsubscribe")).toMatch(/unsubscribe\?token=/);
    // Once: the next run finds nothing of hers.
    await mailer().digest(clock.now());
    await server.app.deps.mail.flush();
    expect(mailbox.to(rita.email)).toHaveLength(1);
  });
});

describe("one-click unsubscribe", () => {
  it("turns that kind's e-mail off without logging in, and works for no one else", async () => {
    const ada = await join("Ada Unsub");
    const bo = await join("Bo Unsub");
    const id = await inviteOk(server, ada, bo.id);
    ok(await act(server, bo, "acceptInvitation", id, "Welcome"));
    await settle();
    const [mail] = await mailbox.waitFor(ada.email);
    const url = header(mail, "List-Unsubscribe")!.slice(1, -1);
    const local = url.replace("https://invitations.test", new URL(server.url).origin);
    // GET only shows a button (mail scanners follow links).
    const page = await fetch(local);
    expect(await page.text()).toContain('<form method="post"');
    expect(ok(await gql(server, PREFS, {}, ada.token)).notificationPreferences[1].email).toBe(
      "IMMEDIATELY",
    );
    // A tampered token is refused; the real one, POSTed as RFC 8058 says, works.
    const token = new URL(local).searchParams.get("token")!;
    const [payload, sig] = token.split(".");
    const forged = Buffer.from(JSON.stringify([bo.id, ["INVITATION_ACCEPTED"]])).toString(
      "base64url",
    );
    const refused = await fetch(
      `${new URL(server.url).origin}/unsubscribe?token=${forged}.${sig}`,
      {
        method: "POST",
        body: "List-Unsubscribe=One-Click",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
    );
    expect(refused.status).toBe(400);
    const done = await fetch(local, {
      method: "POST",
      body: "List-Unsubscribe=One-Click",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(done.status).toBe(200);
    expect(payload).toBeTruthy();
    const prefs = ok(await gql(server, PREFS, {}, ada.token)).notificationPreferences;
    expect(prefs[1]).toEqual({ kind: "INVITATION_ACCEPTED", email: "NEVER" });
    expect(ok(await gql(server, PREFS, {}, bo.token)).notificationPreferences[1].email).toBe(
      "IMMEDIATELY",
    );
    // The next acceptance mails nothing.
    const cy = await join("Cy Unsub");
    ok(await act(server, cy, "acceptInvitation", await inviteOk(server, ada, cy.id)));
    await settle();
    expect(mailbox.to(ada.email)).toHaveLength(1);
  });
});

describe("the sender's mailbox", () => {
  it("is the same whether the recipient ignored the invitation or not", async () => {
    const mailOf = async (ignore: boolean) => {
      const sender = await join(`Sender ${ignore ? "A" : "B"}`);
      const recipient = await join(`Recipient ${ignore ? "A" : "B"}`);
      const id = await inviteOk(server, sender, recipient.id, "Hi");
      if (ignore) ok(await act(server, recipient, "ignoreInvitation", id));
      clock.advance(8 * 24 * 60 * 60 * 1000);
      await server.runJobs();
      await mailer().digest(clock.now());
      await settle();
      return mailbox.to(sender.email).map((m) => m.parsed.subject);
    };
    expect(await mailOf(true)).toEqual(await mailOf(false));
  });
});

describe("without a mail server in production", () => {
  it("mails no notification, and keeps none waiting for later", async () => {
    const bare = await startTestServer({
      env: {
        NODE_ENV: "production",
        JWT_SECRET: "m".repeat(40),
        EMAIL_VERIFICATION: "false",
        MAIL_NOTIFICATIONS: "true",
      },
    });
    try {
      const [ada, bo] = [await signUp(bare), await signUp(bare)];
      ok(await act(bare, bo, "declineInvitation", await inviteOk(bare, ada, bo.id), "No"));
      await bare.app.services.notificationMail.mailNew();
      const rows = await query<{ mail: string | null }>(
        bare.dataSource,
        `SELECT "mail" FROM "notification"`,
      );
      expect(rows.map((r) => r.mail)).toEqual(rows.map(() => "SKIPPED"));
      expect(rows.length).toBeGreaterThan(0);
      const [outbox] = await query<{ n: unknown }>(
        bare.dataSource,
        `SELECT COUNT(*) AS "n" FROM "mail_outbox"`,
      );
      expect(Number(outbox.n)).toBe(0);
    } finally {
      await bare.stop();
    }
  });
});
