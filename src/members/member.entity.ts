import { Field, ID, ObjectType } from "type-graphql";
import { BeforeInsert, BeforeUpdate, Column, Entity, Index, PrimaryColumn } from "typeorm";
import { toBool, toDateOrNull } from "../db/sql";
import { Node } from "../common/node";

/**
 * A member of the network. The entity and the GraphQL type are one class: the stored columns
 * that are public become fields; the rest (`email`, `passwordHash`) stay private or are
 * resolved per viewer in MemberResolver.
 */
@Entity("member")
@ObjectType({ simpleResolvers: true, implements: Node, description: "A member of the network." })
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

  // The relation filters (SAME_EMPLOYER …) compare case-insensitively. Folding each row at
  // query time cost a JavaScript LOWER per inbox row on SQLite (whose own LOWER folds ASCII
  // only); the folded values are stored once instead, and indexed.
  /** `employer` folded by `foldKey`; set on every insert and update (see `foldKeys`). */
  @Column("varchar", { length: 100, nullable: true })
  @Index()
  employerKey: string | null;

  /** `industry` folded by `foldKey`. */
  @Column("varchar", { length: 100, nullable: true })
  @Index()
  industryKey: string | null;

  /** `school` folded by `foldKey`. */
  @Column("varchar", { length: 100, nullable: true })
  @Index()
  schoolKey: string | null;

  @Column("datetime")
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

  // The invitation policy (`InvitationPolicy`): what happens to an invitation from each
  // category of sender. Private to the member; read by the send with the pair.
  /** Senders whose account is younger than NEW_ACCOUNT_DAYS. */
  @Column("varchar", { length: 10, default: "DELIVER" })
  policyNewAccounts: PolicyAction;

  /** Senders who share no connection with this member. */
  @Column("varchar", { length: 10, default: "DELIVER" })
  policyNoMutual: PolicyAction;

  /** Senders under the silent restriction for reports (FILTER: rule 12's default). */
  @Column("varchar", { length: 10, default: "FILTER" })
  policyRestricted: PolicyAction;

  /** Senders neither first nor second degree. */
  @Column("varchar", { length: 10, default: "DELIVER" })
  policyOutsideNetwork: PolicyAction;

  /** Until then nothing is delivered: new invitations land in FILTERED. */
  @Column("datetime", { nullable: true })
  pausedUntil: Date | null;

  /**
   * Until then this member's own sends are under the silent restriction for reports (set
   * when a report reaches the threshold, limits.ts). Never shown to anyone.
   */
  @Column("datetime", { nullable: true })
  restrictedUntil: Date | null;

  @BeforeInsert()
  @BeforeUpdate()
  foldKeys(): void {
    this.employerKey = foldKey(this.employer);
    this.industryKey = foldKey(this.industry);
    this.schoolKey = foldKey(this.school);
  }
}

/** What an invitation policy does with an invitation of one category. */
export type PolicyAction = "DELIVER" | "FILTER" | "DISCARD";

/**
 * How employer, industry and school compare: case-insensitively, Unicode included, as
 * PostgreSQL's LOWER folds (the migration that added the keys filled them with LOWER).
 */
export function foldKey(value: string | null | undefined): string | null {
  return value ? value.toLowerCase() : null;
}

/** Every column the per-request loader reads: all but the password hash. */
const COLUMNS = [
  "id",
  "name",
  "email",
  "headline",
  "employer",
  "industry",
  "school",
  "employerKey",
  "industryKey",
  "schoolKey",
  "createdAt",
  "whoCanInvite",
  "notifyOnInvitation",
  "reminders",
  "policyNewAccounts",
  "policyNoMutual",
  "policyRestricted",
  "policyOutsideNetwork",
  "pausedUntil",
] as const;

/** Every column of `member` except the password hash, for hand-written queries. */
export const MEMBER_COLUMNS = COLUMNS.map((c) => `"${c}"`).join(", ");

/** Member columns that are GraphQL fields of the same name; the others serve the server. */
const FIELD_COLUMNS: ReadonlySet<string> = new Set([
  "name",
  "email",
  "headline",
  "employer",
  "industry",
  "school",
]);

/**
 * Columns of the member row `alias`, each renamed `prefix` + column (joins). With `fields`
 * (the names an operation selects), only the id and the field columns among them: a member
 * read this way serves that operation's resolvers, and nothing else reads it.
 */
export function memberColumnsAs(
  alias: string,
  prefix: string,
  fields: ReadonlySet<string> | null = null,
): string {
  return COLUMNS.filter((c) => !fields || c === "id" || (FIELD_COLUMNS.has(c) && fields.has(c)))
    .map((c) => `${alias}."${c}" AS "${prefix}${c}"`)
    .join(", ");
}

/**
 * A `member` row read with `MEMBER_COLUMNS` (or `memberColumnsAs` with the same `prefix`)
 * as a Member (booleans and dates per engine); columns left out stay undefined.
 */
export function memberFromRow(row: Record<string, unknown>, prefix = ""): Member {
  const col = (name: (typeof COLUMNS)[number]) => row[prefix + name];
  const m = new Member();
  m.id = col("id") as string;
  m.name = col("name") as string;
  m.email = col("email") as string;
  m.headline = col("headline") as string | null;
  m.employer = col("employer") as string | null;
  m.industry = col("industry") as string | null;
  m.school = col("school") as string | null;
  m.employerKey = col("employerKey") as string | null;
  m.industryKey = col("industryKey") as string | null;
  m.schoolKey = col("schoolKey") as string | null;
  m.createdAt = toDateOrNull(col("createdAt"))!;
  m.whoCanInvite = col("whoCanInvite") as Member["whoCanInvite"];
  m.notifyOnInvitation = toBool(col("notifyOnInvitation"));
  m.reminders = toBool(col("reminders"));
  m.policyNewAccounts = col("policyNewAccounts") as PolicyAction;
  m.policyNoMutual = col("policyNoMutual") as PolicyAction;
  m.policyRestricted = col("policyRestricted") as PolicyAction;
  m.policyOutsideNetwork = col("policyOutsideNetwork") as PolicyAction;
  m.pausedUntil = toDateOrNull(col("pausedUntil"));
  return m;
}
