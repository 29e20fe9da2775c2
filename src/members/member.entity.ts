import { Field, ID, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { DATE_TYPE } from "../db/column-types";
import { Node } from "../common/node";

/**
 * A member of the network. The entity and the GraphQL type are one class: the stored columns
 * that are public become fields; the rest (`email`, `passwordHash`) stay private or are
 * resolved per viewer in MemberResolver.
 */
@Entity("member")
@ObjectType({ implements: Node, description: "A member of the network." })
export class Member implements Node {
  @PrimaryColumn("varchar", { length: 36 })
  @Field(() => ID, { description: "Opaque identifier." })
  id: string;

  @Column("varchar", { length: 100 })
  @Index()
  @Field({ description: "Full name as the member gave it." })
  name: string;

  /** Stored lower-cased; shown only to the member and first-degree connections. */
  @Column("varchar", { length: 254 })
  @Index({ unique: true })
  email: string;

  @Column("varchar", { length: 200 })
  passwordHash: string;

  @Column("varchar", { length: 200, nullable: true })
  @Field(() => String, { nullable: true, description: "One line about the member's work." })
  headline: string | null;

  @Column("varchar", { length: 100, nullable: true })
  @Field(() => String, { nullable: true, description: "Current employer." })
  employer: string | null;

  @Column("varchar", { length: 100, nullable: true })
  @Field(() => String, { nullable: true, description: "Industry the member works in." })
  industry: string | null;

  @Column("varchar", { length: 100, nullable: true })
  @Field(() => String, { nullable: true, description: "School the member attended." })
  school: string | null;

  @Column(DATE_TYPE)
  createdAt: Date;

  /** Who may invite this member (`WhoCanInvite`); private to the member. */
  @Column("varchar", { length: 20, default: "EVERYONE" })
  whoCanInvite: "EVERYONE" | "EMAIL_REQUIRED" | "SECOND_DEGREE";

  /** Whether a new invitation stores an INVITATION_RECEIVED notification for this member. */
  @Column("boolean", { default: true })
  notifyOnInvitation: boolean;

  /** Whether this member gets INVITATION_REMINDER notifications. */
  @Column("boolean", { default: true })
  reminders: boolean;
}
