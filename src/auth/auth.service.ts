import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { Changes, written } from "../db/changes";
import type { Deps } from "../deps";
import { badInput, conflict, unauthenticated } from "../common/errors";
import { Member } from "../members/member.entity";
import type { SignUpInput } from "./auth.inputs";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./password";
import { signToken } from "./token";
import { PendingSignUp } from "./sign-up.entity";
import { alreadyRegisteredMail, verificationMail } from "./sign-up.mail";

/** How long a verification link works. */
export const VERIFICATION_VALID_HOURS = 24;
const HOUR_MS = 60 * 60 * 1000;

/** What signUp answers (SignUpPayload): a session at once, or a mailed link first. */
export type SignUpResult =
  | { status: "ACTIVE"; token: string; member: Member }
  | { status: "VERIFY_EMAIL"; token: null; member: null };

/** A member's own details, as given at sign-up. */
type Profile = Pick<
  Member,
  "name" | "email" | "passwordHash" | "headline" | "employer" | "industry" | "school"
>;

/** What is stored of a verification token: its SHA-256, so a leaked table verifies nothing. */
const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** Sign-up and log-in; the only operations open without a token. */
export class AuthService {
  constructor(private readonly deps: Deps) {}

  /**
   * With EMAIL_VERIFICATION, the same answer, the same statements and one mail for a new and
   * a registered address (the answer is no oracle for who is registered): the new address
   * gets a link (`verifyEmail` creates the member), the registered one a note that someone
   * tried. Without it, the member is created and logged in at once (a registered address is
   * CONFLICT: the development-only exception, docs/security.md).
   */
  async signUp(input: SignUpInput): Promise<SignUpResult> {
    const name = input.name.trim();
    if (!name) throw badInput("name must not be empty.", "name");
    // class-validator skips some characters (variation selectors) when it counts; the columns
    // count every one. UTF-16 length is never below the count of code points.
    for (const [field, max] of Object.entries(FIELD_MAX)) {
      const value = (input as unknown as Record<string, string | null | undefined>)[field];
      if (value && value.trim().length > max) {
        throw badInput(`${field} must be at most ${max} characters.`, field);
      }
    }
    const email = normalizeEmail(input.email);
    const passwordHash = await hashPassword(input.password);
    const profile = {
      name,
      email,
      passwordHash,
      headline: blankToNull(input.headline),
      employer: blankToNull(input.employer),
      industry: blankToNull(input.industry),
      school: blankToNull(input.school),
    };
    if (this.deps.config.emailVerification) {
      await this.askToVerify(profile);
      return { status: "VERIFY_EMAIL", token: null, member: null };
    }
    const member = await this.deps.writer.transaction(async (em) => {
      if (await em.exists(Member, { where: { email } })) {
        throw conflict("An account with this email already exists.");
      }
      const m = await this.createMember(em, profile);
      // A new member is in everyone's search and suggestions, and nobody's contact yet.
      return written(m, Changes.directory(m.id));
    });
    return { status: "ACTIVE", token: this.tokenFor(member.id), member };
  }

  /**
   * Stores a pending sign-up and its mail in one transaction; the mail leaves after the
   * commit, never delaying the answer. A registered address runs the same statements (its
   * pending row can never be verified: its token is mailed to nobody).
   */
  private async askToVerify(profile: Profile): Promise<void> {
    const token = randomBytes(32).toString("base64url");
    const { config, clock, mail } = this.deps;
    await this.deps.writer.transaction(async (em) => {
      const now = clock.now();
      await em
        .createQueryBuilder()
        .delete()
        .from(PendingSignUp)
        .where("expiresAt <= :now", { now })
        .execute();
      const registered = await em.exists(Member, { where: { email: profile.email } });
      await em.insert(PendingSignUp, {
        ...profile,
        id: randomUUID(),
        tokenHash: hashToken(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + VERIFICATION_VALID_HOURS * HOUR_MS),
      });
      await mail.enqueue(
        em,
        registered
          ? alreadyRegisteredMail(profile.email, config.publicUrl)
          : verificationMail(
              profile.email,
              profile.name,
              token,
              config.publicUrl,
              VERIFICATION_VALID_HOURS,
            ),
      );
      // Nothing anyone reads changed: no member exists yet.
      return written(undefined, Changes.none);
    });
    mail.kick();
  }

  /**
   * Follows a verification link: creates the member of that pending sign-up and logs them in;
   * the address's other pending sign-ups go. An unknown, used or expired token, or an address
   * registered meanwhile, is BAD_USER_INPUT, all with one message.
   */
  async verifyEmail(token: string): Promise<{ token: string; member: Member }> {
    const member = await this.deps.writer.transaction(async (em) => {
      const now = this.deps.clock.now();
      const pending = await em
        .createQueryBuilder(PendingSignUp, "p")
        .where("p.tokenHash = :hash AND p.expiresAt > :now", { hash: hashToken(token), now })
        .getOne();
      if (!pending) throw badInput("This link is invalid or has expired.", "token");
      if (await em.exists(Member, { where: { email: pending.email } })) {
        throw badInput("This link is invalid or has expired.", "token");
      }
      await em.delete(PendingSignUp, { email: pending.email });
      const { id: _id, tokenHash: _hash, createdAt: _at, expiresAt: _exp, ...profile } = pending;
      const m = await this.createMember(em, profile);
      return written(m, Changes.directory(m.id));
    });
    return { token: this.tokenFor(member.id), member };
  }

  private async createMember(em: EntityManager, profile: Profile): Promise<Member> {
    const m = em.create(Member, { ...profile, id: randomUUID(), createdAt: this.deps.clock.now() });
    await em.insert(Member, m);
    return m;
  }

  /** Same answer, and about the same time, whether the email is unknown or the password wrong. */
  async logIn(email: string, password: string): Promise<{ token: string; member: Member }> {
    const member = await this.deps.reads
      .getRepository(Member)
      .findOneBy({ email: normalizeEmail(email) });
    const ok = await verifyPassword(password, member?.passwordHash ?? DUMMY_HASH);
    if (!member || !ok) throw unauthenticated("Wrong email or password.");
    return { token: this.tokenFor(member.id), member };
  }

  private tokenFor(memberId: string): string {
    return signToken(memberId, this.deps.config.jwtSecret, this.deps.config.jwtExpiresIn);
  }
}

/** The column sizes of the member table. */
const FIELD_MAX = {
  name: 100,
  email: 254,
  headline: 200,
  employer: 100,
  industry: 100,
  school: 100,
} as const;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function blankToNull(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}
