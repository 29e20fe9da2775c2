import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A mail as the SMTP server received it: parsed, and the raw message. */
export interface ReceivedMail {
  to: string;
  parsed: ParsedMail;
  raw: string;
}

/**
 * A real SMTP server in the test process (the smtp-server package): the server under test
 * sends to `url` over SMTP, and tests read what arrived. `refuse(n)` makes the next `n`
 * messages fail with a temporary error (451), as a busy mail server would.
 */
export class Mailbox {
  readonly received: ReceivedMail[] = [];
  private refusals = 0;
  private waiters: (() => void)[] = [];
  private constructor(
    private readonly smtp: SMTPServer,
    readonly url: string,
  ) {}

  static async start(): Promise<Mailbox> {
    let box: Mailbox | null = null;
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          if (box!.refusals > 0) {
            box!.refusals--;
            const err = Object.assign(new Error("Try again later"), { responseCode: 451 });
            return callback(err);
          }
          const raw = Buffer.concat(chunks).toString("utf8");
          void simpleParser(raw).then((parsed) => {
            for (const rcpt of session.envelope.rcptTo) {
              box!.received.push({ to: rcpt.address, parsed, raw });
            }
            callback();
            for (const wake of box!.waiters.splice(0)) wake();
          }, callback);
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const { port } = smtp.server.address() as AddressInfo;
    box = new Mailbox(smtp, `smtp://127.0.0.1:${port}`);
    return box;
  }

  refuse(messages: number): void {
    this.refusals = messages;
  }

  /** The mails to `address` so far. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.to === address);
  }

  /** Waits until `address` has `count` mails (or fails after `timeoutMs`). */
  async waitFor(address: string, count = 1, timeoutMs = 5000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(address).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${address} got ${this.to(address).length} of ${count} mails`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.to(address);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.smtp.close(() => resolve()));
  }
}
