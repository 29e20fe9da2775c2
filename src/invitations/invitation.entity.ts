import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { toDate, toDateOrNull, toInt } from "../db/sql";
import { Member } from "../members/member.entity";
import type { StoredStatus } from "./lifecycle";

/**
 * A stored invitation. Its GraphQL shape is `Invitation` (invitation.types.ts), always built
 * through `viewAs`, because what each party may see differs from what is stored.
 */
@Entity("invitation")
// Rule 5: at most one open invitation per pair of members, in either direction.
@Index("UQ_invitation_open_pair", ["pairKey"], {
  unique: true,
  where: `"status" IN ('PENDING','IGNORED','FILTERED','REPORTED','DISCARDED')`,
})
@Index("IDX_invitation_recipient_status_sent", ["recipientId", "status", "sentAt", "id"])
@Index("IDX_invitation_sender_sent", ["senderId", "sentAt", "id"])
@Index("IDX_invitation_status_sent", ["status", "sentAt"])
// A received list in MOST_MUTUAL_CONNECTIONS order, straight from the index: a filtered page
// reads until it has its rows instead of ranking every match.
@Index("IDX_invitation_recipient_status_mutual", [
  "recipientId",
  "status",
  "mutualCount",
  "sentAt",
  "id",
])
export class InvitationRecord {
  @PrimaryColumn("varchar", { length: 36 })
  id: string;

  @Column("varchar", { length: 36 })
  senderId: string;

  @Column("varchar", { length: 36 })
  recipientId: string;

  /** The two member ids sorted and joined: the same for both directions of a pair. */
  @Column("varchar", { length: 73 })
  @Index()
  pairKey: string;

  @Column("text", { nullable: true })
  message: string | null;

  @Column("varchar", { length: 20 })
  status: StoredStatus;

  @Column("datetime")
  sentAt: Date;

  @Column("datetime", { nullable: true })
  respondedAt: Date | null;

  @Column("text", { nullable: true })
  responseMessage: string | null;

  /** When the automatic reminder (after `reminderAfterMs` pending) was sent; null until then. */
  @Column("datetime", { nullable: true })
  remindedAt: Date | null;

  /** The recipient's own "remind me" time (setInvitationReminder); cleared once sent. */
  @Column("datetime", { nullable: true })
  @Index()
  remindAt: Date | null;

  /**
   * How many connections the two members share, kept exact while the invitation is open
   * (set at the send, moved by every connection made or ended next to either of them:
   * ConnectionService). Frozen once it closes; read only for open invitations.
   */
  @Column("integer", { default: 0 })
  mutualCount: number;

  /**
   * Whether the two share the employer, the industry, the school (folded keys, both set):
   * the inbox's relation filters, read from the row. Set at the send; profiles have no
   * mutation that changes them (one would have to set these again for the member's open
   * invitations).
   */
  @Column("boolean", { default: false })
  sameEmployer: boolean;

  @Column("boolean", { default: false })
  sameIndustry: boolean;

  @Column("boolean", { default: false })
  sameSchool: boolean;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "senderId" })
  sender?: Member;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "recipientId" })
  recipient?: Member;
}

/** The key shared by both directions of a pair. */
export function pairKeyOf(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

const COLUMNS = [
  "id",
  "senderId",
  "recipientId",
  "pairKey",
  "message",
  "status",
  "sentAt",
  "respondedAt",
  "responseMessage",
  "remindedAt",
  "remindAt",
  "mutualCount",
] as const;

/** Every column of `invitation`, for hand-written queries (alias `i`). */
export const INVITATION_COLUMNS = COLUMNS.map((c) => `i."${c}"`).join(", ");

/** What a view of an invitation always needs: who, the stored state, the order, the pair. */
const VIEW_COLUMNS: ReadonlySet<string> = new Set([
  "id",
  "senderId",
  "recipientId",
  "status",
  "sentAt",
  "mutualCount",
]);
/** Columns read only for the GraphQL field of the same name. */
const FIELD_COLUMNS: ReadonlySet<string> = new Set(["message", "respondedAt", "responseMessage"]);

/**
 * The columns a list of `Invitation`s needs (alias `i`) when an operation selects `fields`:
 * what `viewAs` needs, and the texts and times only if selected somewhere. Columns left out
 * read as null (`invitationFromRow`), and nothing of this request reads them.
 */
export function invitationColumnsFor(fields: ReadonlySet<string>): string {
  return COLUMNS.filter((c) => VIEW_COLUMNS.has(c) || (FIELD_COLUMNS.has(c) && fields.has(c)))
    .map((c) => `i."${c}"`)
    .join(", ");
}

/**
 * An `invitation` row read with `INVITATION_COLUMNS` (or `invitationColumnsFor`) as an
 * InvitationRecord; a column left out reads as null.
 */
export function invitationFromRow(row: Record<string, unknown>): InvitationRecord {
  const r = new InvitationRecord();
  r.id = row.id as string;
  r.senderId = row.senderId as string;
  r.recipientId = row.recipientId as string;
  r.pairKey = (row.pairKey as string | undefined) ?? pairKeyOf(r.senderId, r.recipientId);
  r.message = (row.message as string | undefined) ?? null;
  r.status = row.status as StoredStatus;
  r.sentAt = toDate(row.sentAt);
  r.respondedAt = toDateOrNull(row.respondedAt);
  r.responseMessage = (row.responseMessage as string | undefined) ?? null;
  r.remindedAt = toDateOrNull(row.remindedAt);
  r.remindAt = toDateOrNull(row.remindAt);
  r.mutualCount = toInt(row.mutualCount);
  return r;
}
