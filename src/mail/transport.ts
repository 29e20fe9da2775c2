import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createTransport, type SendMailOptions } from "nodemailer";
import type { Logger } from "../common/logger";
import type { Config } from "../config";

/** Where mail goes: an SMTP server, a folder of `.eml` files, or nowhere yet. */
export interface MailTransport {
  /** For the start-up log: where mail goes. */
  readonly describe: string;
  /** Resolves once the message is taken (the SMTP server said 250, the file is written). */
  send(message: SendMailOptions): Promise<void>;
  close(): void;
}

/**
 * SMTP_URL (nodemailer, `smtp://` or `smtps://`, pooled); else, outside production, `.eml`
 * files in MAIL_DIR, each named in the log; else (production without SMTP_URL) none: mail
 * waits in the outbox until the server restarts with SMTP_URL.
 */
export function createMailTransport(config: Config, logger: Logger): MailTransport | null {
  if (config.smtpUrl) return smtpTransport(config.smtpUrl);
  if (config.production) return null;
  return folderTransport(resolve(config.mailDir), logger);
}

function smtpTransport(url: string): MailTransport {
  // The pool keeps a connection open between the mails of a burst (a digest run).
  const transporter = createTransport(url + (url.includes("?") ? "&" : "?") + "pool=true");
  const { host, port } = new URL(url);
  return {
    describe: `SMTP ${host}${port ? `:${port}` : ""}`,
    async send(message) {
      await transporter.sendMail(message);
    },
    close: () => transporter.close(),
  };
}

function folderTransport(dir: string, logger: Logger): MailTransport {
  // nodemailer builds the whole RFC 5322 message, as it would for SMTP.
  const composer = createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    describe: `files in ${dir}`,
    async send(message) {
      const info = await composer.sendMail(message);
      await mkdir(dir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, "-")}-${idOf(message)}.eml`;
      const file = join(dir, name);
      // "wx": a message is never written over another.
      await writeFile(file, info.message as Buffer, { flag: "wx", mode: 0o600 });
      logger.info({ file }, `mail written to ${file}`);
    },
    close: () => composer.close(),
  };
}

/** The local part of the Message-ID (the outbox row's id), for a file name. */
function idOf(message: SendMailOptions): string {
  return String(message.messageId ?? "mail")
    .replace(/^<|@.*$/g, "")
    .replace(/[^\w-]/g, "");
}
