import { randomUUID } from "node:crypto";
import { Changes, written } from "../db/changes";
import type { Deps } from "../deps";
import { badInput, conflict, unauthenticated } from "../common/errors";
import { Member } from "../members/member.entity";
import type { SignUpInput } from "./auth.inputs";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./password";
import { signToken } from "./token";

/** Sign-up and log-in; the only operations open without a token. */
export class AuthService {
  constructor(private readonly deps: Deps) {}

  async signUp(input: SignUpInput): Promise<{ token: string; member: Member }> {
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
    const member = await this.deps.writer.transaction(async (em) => {
      if (await em.exists(Member, { where: { email } })) {
        throw conflict("An account with this email already exists.");
      }
      const m = em.create(Member, {
        id: randomUUID(),
        name,
        email,
        passwordHash,
        headline: blankToNull(input.headline),
        employer: blankToNull(input.employer),
        industry: blankToNull(input.industry),
        school: blankToNull(input.school),
        createdAt: this.deps.clock.now(),
      });
      await em.insert(Member, m);
      // A new member is in everyone's search and suggestions, and nobody's contact yet.
      return written(m, Changes.directory(m.id));
    });
    return { token: this.tokenFor(member.id), member };
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
