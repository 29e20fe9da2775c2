import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A sign-up waiting for its address to be verified (EMAIL_VERIFICATION): no member exists
 * until `verifyEmail`, so an unverified address is in no search, list or count, and cannot
 * log in. Several may wait for one address (each mail carries its own link); the first
 * verified one creates the member and the others are deleted.
 */
@Entity("pending_sign_up")
export class PendingSignUp {
  @PrimaryColumn("varchar", { length: 36 })
  id: string;

  /** Normalized (lower case); not unique: anyone may ask, only the mailbox's owner verifies. */
  @Column("varchar", { length: 254 })
  @Index()
  email: string;

  /** SHA-256 of the link's token (base64url): a leaked table verifies nothing. */
  @Column("varchar", { length: 64 })
  @Index({ unique: true })
  tokenHash: string;

  @Column("varchar", { length: 100 })
  name: string;

  @Column("varchar", { length: 200 })
  passwordHash: string;

  @Column("varchar", { length: 200, nullable: true })
  headline: string | null;

  @Column("varchar", { length: 100, nullable: true })
  employer: string | null;

  @Column("varchar", { length: 100, nullable: true })
  industry: string | null;

  @Column("varchar", { length: 100, nullable: true })
  school: string | null;

  @Column("datetime")
  createdAt: Date;

  @Column("datetime")
  @Index()
  expiresAt: Date;
}
