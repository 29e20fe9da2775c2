import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A mail waiting to be sent, written in the same transaction as the change that causes it
 * (the outbox pattern): a rolled-back change sends nothing, a committed one is not lost by a
 * crash. The row is deleted once the SMTP server (or the mail folder) took the message.
 */
@Entity("mail_outbox")
@Index("IDX_mail_outbox_due", ["nextAttemptAt"])
export class OutboxMail {
  /** Also the message's Message-ID, so a retried message is recognisable as the same one. */
  @PrimaryColumn("varchar", { length: 36 })
  id: string;

  @Column("varchar", { length: 254 })
  to: string;

  @Column("varchar", { length: 300 })
  subject: string;

  @Column("text")
  text: string;

  @Column("text")
  html: string;

  /** Extra headers as JSON (`List-Unsubscribe` ...), or null. */
  @Column("text", { nullable: true })
  headers: string | null;

  @Column("datetime")
  createdAt: Date;

  /** Failed attempts so far. */
  @Column("integer", { default: 0 })
  attempts: number;

  /** Not sent before this; moved forward after each failure. */
  @Column("datetime")
  nextAttemptAt: Date;

  /** An instance is sending it until then; another takes it over only after. */
  @Column("datetime", { nullable: true })
  claimedUntil: Date | null;

  /** What the last failed attempt said. */
  @Column("varchar", { length: 500, nullable: true })
  lastError: string | null;
}
