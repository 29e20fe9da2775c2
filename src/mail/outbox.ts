import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { SendMailOptions } from "nodemailer";
import type { Clock } from "../common/clock";
import type { Logger } from "../common/logger";
import type { Config } from "../config";
import { Changes, written } from "../db/changes";
import type { Writer } from "../db/writer";
import type { DataSource } from "typeorm";
import { OutboxMail } from "./outbox.entity";
import type { MailTransport } from "./transport";

/** One mail, as the features compose it (src/mail/messages.ts). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

/** Rows read per round of a flush. */
const BATCH = 50;
/** How long an instance holds a mail it is sending before another may take it over. */
const LEASE_MS = 60_000;
/** Attempts before a mail is left for an operator (logged at error level, kept in the table). */
export const MAX_ATTEMPTS = 12;
/** Wait after the n-th failure: 30 s doubling, at most 6 hours (12 attempts span about a day). */
export const retryDelayMs = (attempts: number) =>
  Math.min(30_000 * 2 ** (attempts - 1), 6 * 60 * 60 * 1000);

interface OutboxDeps {
  config: Config;
  writer: Writer;
  reads: DataSource;
  clock: Clock;
  logger: Logger;
}

/**
 * The mail outbox. A feature writes its mail with `enqueue`, in the transaction of the change
 * that causes it, and calls `kick` after the commit; the mail leaves from the committed row,
 * never from the request, so a rolled-back change mails nothing and the answer's time does
 * not depend on the mail server. A failed send is retried with backoff, also after a restart
 * (the timer of `start`).
 *
 * Never twice: an instance claims a row (a conditional UPDATE) before sending it and deletes
 * it once sent; two instances never hold the same row. The one gap is a crash after the SMTP
 * server took the message and before the delete: the row is sent again when its claim runs
 * out, with the same Message-ID (the row's id), which mail systems use to drop duplicates.
 */
export class Outbox {
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<number> | null = null;
  private again = false;
  private readonly domain: string;

  constructor(
    private readonly deps: OutboxDeps,
    private readonly transport: MailTransport | null,
  ) {
    this.domain = new URL(deps.config.publicUrl).hostname || "localhost";
  }

  /** Whether mail can leave at all (false in production without SMTP_URL). */
  get enabled(): boolean {
    return this.transport !== null;
  }

  /** Where mail goes, for the start-up log. */
  get describe(): string {
    return this.transport?.describe ?? "nowhere yet (SMTP_URL is unset): mail waits in the outbox";
  }

  /** Writes `mail` in the caller's transaction: it is sent only if that transaction commits. */
  async enqueue(em: EntityManager, mail: MailMessage): Promise<void> {
    const now = this.deps.clock.now();
    await em.insert(OutboxMail, {
      id: randomUUID(),
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: mail.headers ? JSON.stringify(mail.headers) : null,
      createdAt: now,
      attempts: 0,
      nextAttemptAt: now,
      claimedUntil: null,
      lastError: null,
    });
  }

  /** After a commit that enqueued mail: sends what is due, without making the caller wait. */
  kick(): void {
    void this.flush().catch((err: unknown) => this.deps.logger.error({ err }, "mail failed"));
  }

  /**
   * Sends every mail that is due; resolves with how many were sent. Calls that arrive while
   * one runs are folded into one more round of it.
   */
  flush(): Promise<number> {
    if (!this.transport) return Promise.resolve(0);
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    const run = async () => {
      let sent = 0;
      do {
        this.again = false;
        sent += await this.sendDue();
      } while (this.again);
      return sent;
    };
    this.flushing = run().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Flushes every `intervalMs`: retries, and mail a crashed instance left claimed. */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0 || !this.transport) return;
    this.kick();
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer, waits for a flush under way, closes the transport. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushing?.catch(() => undefined);
    this.transport?.close();
  }

  private async sendDue(): Promise<number> {
    let sent = 0;
    for (;;) {
      const now = this.deps.clock.now();
      const due = await this.deps.reads
        .getRepository(OutboxMail)
        .createQueryBuilder("m")
        .select("m.id")
        .where("m.nextAttemptAt <= :now AND m.attempts < :max", { now, max: MAX_ATTEMPTS })
        .andWhere("(m.claimedUntil IS NULL OR m.claimedUntil < :now)", { now })
        .orderBy("m.nextAttemptAt", "ASC")
        .limit(BATCH)
        .getMany();
      for (const { id } of due) if (await this.sendOne(id)) sent++;
      if (due.length < BATCH) return sent;
    }
  }

  /** Claims, sends and deletes one mail; false if another instance has it or it failed. */
  private async sendOne(id: string): Promise<boolean> {
    const mail = await this.claim(id);
    if (!mail) return false;
    try {
      await this.transport!.send(this.toMessage(mail));
    } catch (err) {
      await this.failed(mail, err);
      return false;
    }
    await this.deps.writer.transaction(async (em) => {
      await em.delete(OutboxMail, { id });
      return written(undefined, Changes.none);
    });
    return true;
  }

  private claim(id: string): Promise<OutboxMail | null> {
    return this.deps.writer.transaction(async (em) => {
      const now = this.deps.clock.now();
      const result = await em
        .createQueryBuilder()
        .update(OutboxMail)
        .set({ claimedUntil: new Date(now.getTime() + LEASE_MS) })
        .where("id = :id AND nextAttemptAt <= :now AND attempts < :max", {
          id,
          now,
          max: MAX_ATTEMPTS,
        })
        .andWhere("(claimedUntil IS NULL OR claimedUntil < :now)", { now })
        .execute();
      const mail = result.affected ? await em.findOneBy(OutboxMail, { id }) : null;
      return written(mail, Changes.none);
    });
  }

  private async failed(mail: OutboxMail, err: unknown): Promise<void> {
    const attempts = mail.attempts + 1;
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    const retryAt = new Date(this.deps.clock.now().getTime() + retryDelayMs(attempts));
    await this.deps.writer.transaction(async (em) => {
      await em.update(
        OutboxMail,
        { id: mail.id },
        { attempts, nextAttemptAt: retryAt, claimedUntil: null, lastError: message },
      );
      return written(undefined, Changes.none);
    });
    const log = { mailId: mail.id, attempts, error: message };
    if (attempts >= MAX_ATTEMPTS) this.deps.logger.error(log, "mail given up; left in mail_outbox");
    else this.deps.logger.warn(log, `mail failed; retried at ${retryAt.toISOString()}`);
  }

  private toMessage(mail: OutboxMail): SendMailOptions {
    return {
      from: this.deps.config.mailFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: mail.headers ? (JSON.parse(mail.headers) as Record<string, string>) : undefined,
      messageId: `<${mail.id}@${this.domain}>`,
      date: mail.createdAt,
    };
  }
}
