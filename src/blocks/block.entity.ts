import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Member } from "../members/member.entity";

/** `blockerId` blocked `blockedId`; while it exists each is invisible to the other. */
@Entity("block")
@Index("IDX_block_blocked", ["blockedId", "blockerId"])
export class BlockRecord {
  @PrimaryColumn("varchar", { length: 36 })
  blockerId: string;

  @PrimaryColumn("varchar", { length: 36 })
  blockedId: string;

  @Column("datetime")
  createdAt: Date;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "blockerId" })
  blocker?: Member;

  // Foreign key only (never loaded through it): keeps the table honest.
  @ManyToOne(() => Member, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "blockedId" })
  blocked?: Member;
}
