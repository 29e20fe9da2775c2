import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Member } from "../members/member.entity";
import { InvitationRecord } from "../invitations/invitation.entity";

export type NotificationKind =
  | "INVITATION_RECEIVED"
  | "INVITATION_ACCEPTED"
  | "INVITATION_DECLINED"
  | "INVITATION_REMINDER"
  /**
   * What is left of a notification about a member who deleted their account: its place in
   * its recipient's sequence, nothing else. Never listed (`NotificationService`).
   */
  | "ERASED";

/**
 * A stored notification, written in the same transaction as the change that causes it: the
 * truth that signals only announce. `seq` increases strictly per recipient and is what
 * cursors encode.
 */
@Entity("notification")
@Index("UQ_notification_recipient_seq", ["recipientId", "seq"], { unique: true })
@Index("IDX_notification_invitation", ["invitationId"])
@Index("IDX_notification_actor", ["actorId"])
@Index("IDX_notification_mail", ["mail", "createdAt"])
export class NotificationRecord {
  @PrimaryColumn("varchar", { length: 36 })
  id: string;

  @Column("varchar", { length: 36 })
  recipientId: string;

  @Column("integer")
  seq: number;

  @Column("varchar", { length: 30 })
  kind: NotificationKind;

  @Column("varchar", { length: 36, nullable: true })
  actorId: string | null;

  @Column("varchar", { length: 36, nullable: true })
  invitationId: string | null;

  @Column("text", { nullable: true })
  message: string | null;

  @Column("boolean", { default: false })
  read: boolean;

  @Column("datetime")
  createdAt: Date;

  /** Where it stands for e-mail (notification-mail.ts): null until the mailer looked at it. */
  @Column("varchar", { length: 10, nullable: true })
  mail: "SENT" | "WAITING" | "DIGESTED" | "SKIPPED" | null;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "recipientId" })
  recipient?: Member;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: true })
  @JoinColumn({ name: "actorId" })
  actor?: Member;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => InvitationRecord, { onDelete: "CASCADE", nullable: true })
  @JoinColumn({ name: "invitationId" })
  invitation?: InvitationRecord;
}
