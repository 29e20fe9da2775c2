import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Member } from "../members/member.entity";

/** One direction of a first-degree connection; every connection is stored as two rows. */
@Entity("connection")
@Index("IDX_connection_other", ["otherId", "memberId"])
export class ConnectionRecord {
  @PrimaryColumn("varchar", { length: 36 })
  memberId: string;

  @PrimaryColumn("varchar", { length: 36 })
  otherId: string;

  @Column("datetime")
  createdAt: Date;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "memberId" })
  member?: Member;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "otherId" })
  other?: Member;
}
