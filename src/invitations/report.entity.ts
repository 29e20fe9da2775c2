import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Member } from "../members/member.entity";
import { InvitationRecord } from "./invitation.entity";

/** A recipient's report of an invitation; the sender's later invitations to them land FILTERED. */
@Entity("report")
@Index("IDX_report_reporter_sender", ["reporterId", "senderId"])
@Index("IDX_report_sender_created", ["senderId", "createdAt"])
// A deleted invitation's reports cascade by it.
@Index("IDX_report_invitation", ["invitationId"])
export class ReportRecord {
  @PrimaryColumn("varchar", { length: 36 })
  id: string;

  @Column("varchar", { length: 36 })
  reporterId: string;

  @Column("varchar", { length: 36 })
  senderId: string;

  @Column("varchar", { length: 36 })
  invitationId: string;

  @Column("varchar", { length: 20 })
  reason: string;

  @Column("datetime")
  createdAt: Date;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "reporterId" })
  reporter?: Member;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "senderId" })
  sender?: Member;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => InvitationRecord, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "invitationId" })
  invitation?: InvitationRecord;
}
