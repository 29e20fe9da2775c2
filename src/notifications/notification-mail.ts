import { createHmac, timingSafeEqual } from "node:crypto";
import type { EntityManager } from "typeorm";
import { Changes, written } from "../db/changes";
import { execute, query } from "../db/sql";
import type { Deps } from "../deps";
import { compose } from "../mail/messages";
import type { MailMessage } from "../mail/outbox";
import {
  EMAIL_DEFAULTS,
  EmailPreferenceRecord,
  type EmailFrequency,
} from "./email-preference.entity";
import type { NotificationKind as StoredKind } from "./notification.entity";
import { NOTIFICATION_VISIBLE } from "./notification.service";

/** The kinds a member is notified of (an ERASED row is no notification). */
export type NotificationKind = Exclude<StoredKind, "ERASED">;

export { EMAIL_DEFAULTS };

export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  "INVITATION_RECEIVED",
  "INVITATION_ACCEPTED",
  "INVITATION_DECLINED",
  "INVITATION_REMINDER",
];

/**
 * Where a notification stands for e-mail (`notification.mail`): null until the mailer looked at
 * it, then SENT (its own mail is in the outbox), WAITING (for the digest), DIGESTED or SKIPPED.
 * Each step is a conditional UPDATE in the transaction that writes the mail, so a notification
 * is mailed at most once, whichever instance gets to it.
 */
type MailState = "SENT" | "WAITING" | "DIGESTED" | "SKIPPED";

const BATCH = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Row {
  id: string;
  recipientId: string;
  kind: NotificationKind;
  message: string | null;
  createdAt: unknown;
  to: string;
  actorName: string | null;
  pref: EmailFrequency | null;
  visible: unknown;
}

/**
 * E-mail from committed notifications (rule 13). A notification row exists only for what its
 * recipient may know (a delivered invitation, an answer, a reminder): no ignore, filter,
 * discard or expiry ever has one, so none is ever mailed. Mail leaves after the commit, never
 * inside the request that caused it, so the request's work does not depend on anyone's
 * preferences.
 */
export class NotificationMailer {
  private readonly key: Buffer;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private again = false;

  constructor(private readonly deps: Deps) {
    this.key = createHmac("sha256", deps.config.jwtSecret).update("unsubscribe").digest();
  }

  /** The member's choice for every kind (defaults where none was made). */
  async preferences(
    memberId: string,
  ): Promise<{ kind: NotificationKind; email: EmailFrequency }[]> {
    const rows = await this.deps.reads.getRepository(EmailPreferenceRecord).findBy({ memberId });
    const chosen = new Map(rows.map((r) => [r.kind, r.email]));
    return NOTIFICATION_KINDS.map((kind) => ({
      kind,
      email: chosen.get(kind) ?? EMAIL_DEFAULTS[kind],
    }));
  }

  /** Sets the given kinds' e-mail; returns every kind's, as they now are. */
  async update(
    memberId: string,
    changes: { kind: NotificationKind; email: EmailFrequency }[],
  ): Promise<{ kind: NotificationKind; email: EmailFrequency }[]> {
    await this.deps.writer.transaction(async (em) => {
      for (const { kind, email } of changes) await this.set(em, memberId, kind, email);
      // Preferences are read by their member only.
      return written(undefined, Changes.of(memberId));
    });
    return this.preferences(memberId);
  }

  private async set(em: EntityManager, memberId: string, kind: string, email: EmailFrequency) {
    await em
      .createQueryBuilder()
      .insert()
      .into(EmailPreferenceRecord)
      .values({ memberId, kind, email })
      .orUpdate(["email"], ["memberId", "kind"])
      .execute();
  }

  /** After a commit that stored notifications: mails what is due, without making anyone wait. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.mailNew();
      } while (this.again);
    })()
      .catch((err: unknown) => this.deps.logger.error({ err }, "notification mail failed"))
      .finally(() => (this.running = null));
  }

  /** Every `intervalMs`: new notifications another instance left, and the daily digest. */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0 || !this.deps.config.notificationMail) return;
    this.timer = setInterval(() => {
      this.kick();
      void this.digest(this.deps.clock.now()).catch((err: unknown) =>
        this.deps.logger.error({ err }, "digest failed"),
      );
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /**
   * Looks at every notification not yet considered: IMMEDIATELY mails it now (through the
   * outbox), DAILY_DIGEST sets it waiting, NEVER (or a notification its recipient can no
   * longer see) skips it. Returns how many mails it wrote.
   */
  async mailNew(): Promise<number> {
    let mailed = 0;
    for (;;) {
      const rows = await this.read(`n."mail" IS NULL`, {});
      for (const row of rows) {
        const choice = row.pref ?? EMAIL_DEFAULTS[row.kind];
        // The insert left null only what was to be mailed now; the choice may have changed
        // since, or the notification become hidden.
        const state: MailState =
          !this.deps.mail.enabled || !row.visible || choice === "NEVER"
            ? "SKIPPED"
            : choice === "IMMEDIATELY"
              ? "SENT"
              : "WAITING";
        const sent = await this.deps.writer.transaction(async (em) => {
          const moved = await execute(
            em,
            `UPDATE "notification" SET "mail" = :state WHERE "id" = :id AND "mail" IS NULL`,
            { id: row.id, state },
          );
          if (moved && state === "SENT") await this.deps.mail.enqueue(em, this.single(row));
          // Nothing any member reads changed.
          return written(moved > 0 && state === "SENT", Changes.none);
        });
        if (sent) mailed++;
      }
      if (rows.length < BATCH) break;
    }
    if (mailed) this.deps.mail.kick();
    return mailed;
  }

  /**
   * The daily digest: every member's waiting notifications from before the last DIGEST_HOUR
   * (UTC) in one mail, those their recipient still wants and may see; the rest are skipped.
   * Returns how many digests it wrote.
   */
  async digest(now: Date): Promise<number> {
    await this.mailNew();
    const hour = this.deps.config.digestHour;
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour);
    const before = new Date(today <= now.getTime() ? today : today - DAY_MS);
    const rows = await this.read(`n."mail" = 'WAITING' AND n."createdAt" < :before`, { before });
    const byMember = new Map<string, Row[]>();
    for (const row of rows) {
      const rowsOf = byMember.get(row.recipientId) ?? [];
      if (!rowsOf.length) byMember.set(row.recipientId, rowsOf);
      rowsOf.push(row);
    }
    let digests = 0;
    for (const [memberId, waiting] of byMember) {
      const wanted = waiting.filter(
        (r) => r.visible && (r.pref ?? EMAIL_DEFAULTS[r.kind]) !== "NEVER",
      );
      const made = await this.deps.writer.transaction(async (em) => {
        const taken: Row[] = [];
        for (const row of waiting) {
          const state: MailState = wanted.includes(row) ? "DIGESTED" : "SKIPPED";
          const moved = await execute(
            em,
            `UPDATE "notification" SET "mail" = :state WHERE "id" = :id AND "mail" = 'WAITING'`,
            { id: row.id, state },
          );
          if (moved && state === "DIGESTED") taken.push(row);
        }
        if (taken.length) await this.deps.mail.enqueue(em, this.digestMail(memberId, taken));
        return written(taken.length > 0, Changes.none);
      });
      if (made) digests++;
    }
    if (digests) this.deps.mail.kick();
    return digests;
  }

  /**
   * A one-click unsubscribe token (RFC 8058) for `kinds` of `memberId`'s e-mail: signed with
   * the server's secret, so it works without logging in and for no one else.
   */
  unsubscribeToken(memberId: string, kinds: readonly NotificationKind[]): string {
    const payload = Buffer.from(JSON.stringify([memberId, [...kinds].sort()])).toString(
      "base64url",
    );
    return `${payload}.${this.sign(payload)}`;
  }

  /** Turns the token's kinds' e-mail off; false for a token this server did not sign. */
  async unsubscribe(token: string): Promise<boolean> {
    const [payload, signature, ...rest] = token.split(".");
    if (!payload || !signature || rest.length) return false;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    const [memberId, kinds] = JSON.parse(Buffer.from(payload, "base64url").toString()) as [
      string,
      NotificationKind[],
    ];
    await this.deps.writer.transaction(async (em) => {
      // A deleted member's token changes nothing (the row's foreign key would refuse it).
      const exists = await query(em, `SELECT 1 FROM "member" WHERE "id" = :memberId`, { memberId });
      if (exists.length) for (const kind of kinds) await this.set(em, memberId, kind, "NEVER");
      return written(undefined, Changes.of(memberId));
    });
    return true;
  }

  private sign(payload: string): string {
    return createHmac("sha256", this.key).update(payload).digest("base64url");
  }

  private read(where: string, params: Record<string, unknown>): Promise<Row[]> {
    return query<Row>(
      this.deps.reads,
      `SELECT n."id", n."recipientId", n."kind", n."message", n."createdAt",
         r."email" AS "to", a."name" AS "actorName", p."email" AS "pref",
         (${NOTIFICATION_VISIBLE}) AS "visible"
       FROM "notification" n
       INNER JOIN "member" r ON r."id" = n."recipientId"
       LEFT JOIN "member" a ON a."id" = n."actorId"
       LEFT JOIN "email_preference" p ON p."memberId" = n."recipientId" AND p."kind" = n."kind"
       WHERE ${where} AND n."kind" <> 'ERASED'
       ORDER BY n."createdAt", n."id"
       LIMIT ${BATCH}`,
      params,
    );
  }

  /** One notification's own mail. */
  private single(row: Row): MailMessage {
    const { subject, paragraphs } = describe(row);
    return this.withUnsubscribe(
      compose(row.to, subject, paragraphs, { label: "Open your invitations", url: this.appUrl }),
      row.recipientId,
      [row.kind],
    );
  }

  private digestMail(memberId: string, rows: Row[]): MailMessage {
    const kinds = [...new Set(rows.map((r) => r.kind))];
    const lines = rows.map((r) => {
      const { subject, paragraphs } = describe(r);
      return [subject, ...paragraphs.slice(1)].join(": ");
    });
    const subject =
      rows.length === 1
        ? "1 update on your invitations"
        : `${rows.length} updates on your invitations`;
    return this.withUnsubscribe(
      compose(rows[0].to, subject, ["Since the last digest:", ...lines], {
        label: "Open your invitations",
        url: this.appUrl,
      }),
      memberId,
      kinds,
    );
  }

  private get appUrl(): string {
    return `${this.deps.config.publicUrl}/app/`;
  }

  private withUnsubscribe(
    mail: MailMessage,
    memberId: string,
    kinds: NotificationKind[],
  ): MailMessage {
    const url = `${this.deps.config.publicUrl}/unsubscribe?token=${this.unsubscribeToken(memberId, kinds)}`;
    const note = `Unsubscribe from these e-mails: ${url}`;
    return {
      ...mail,
      text: `${mail.text}\n${note}\n`,
      html: mail.html.replace(
        "</body>",
        `<p><a href="${url.replace(/&/g, "&amp;")}">Unsubscribe from these e-mails</a></p>\n</body>`,
      ),
      headers: {
        "List-Unsubscribe": `<${url}>`,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      },
    };
  }
}

/** What a notification says, in a subject and paragraphs (the members' words as they wrote them). */
function describe(row: Row): { subject: string; paragraphs: string[] } {
  const who = row.actorName ?? "Someone";
  const quote = row.message ? [`"${row.message}"`] : [];
  switch (row.kind) {
    case "INVITATION_RECEIVED":
      return {
        subject: `${who} invited you to connect`,
        paragraphs: [`${who} invited you to connect.`, ...quote],
      };
    case "INVITATION_ACCEPTED":
      return {
        subject: `${who} accepted your invitation`,
        paragraphs: [`${who} accepted your invitation.`, ...quote],
      };
    case "INVITATION_DECLINED":
      return {
        subject: `${who} declined your invitation`,
        paragraphs: [`${who} declined your invitation.`, ...quote],
      };
    default:
      return {
        subject: `${who} is waiting for your answer`,
        paragraphs: [`${who}'s invitation is waiting for your answer.`],
      };
  }
}
