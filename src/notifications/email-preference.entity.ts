import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Member } from "../members/member.entity";

/** How often a member gets e-mail for one kind of notification. */
export type EmailFrequency = "IMMEDIATELY" | "DAILY_DIGEST" | "NEVER";

/** What a member gets without choosing: what waits in a daily digest, what answers you at once. */
export const EMAIL_DEFAULTS: Record<string, EmailFrequency> = {
  INVITATION_RECEIVED: "DAILY_DIGEST",
  INVITATION_REMINDER: "DAILY_DIGEST",
  INVITATION_ACCEPTED: "IMMEDIATELY",
  INVITATION_DECLINED: "IMMEDIATELY",
};

/**
 * A member's choice of e-mail for one notification kind; a kind without a row has its default
 * (EMAIL_DEFAULTS). Private to the member.
 */
@Entity("email_preference")
export class EmailPreferenceRecord {
  @PrimaryColumn("varchar", { length: 36 })
  memberId: string;

  @PrimaryColumn("varchar", { length: 30 })
  kind: string;

  @Column("varchar", { length: 20 })
  email: EmailFrequency;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "memberId" })
  member?: Member;
}
