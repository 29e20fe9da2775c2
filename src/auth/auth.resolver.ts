import { Arg, Ctx, Field, Mutation, ObjectType, Resolver, registerEnumType } from "type-graphql";
import type { Context } from "../context";
import { createLoaders } from "../loaders";
import { Member } from "../members/member.entity";
import { SignUpInput } from "./auth.inputs";

@ObjectType({
  simpleResolvers: true,
  description: "A session: the token to send as `Authorization: Bearer <token>`.",
})
export class AuthPayload {
  @Field({ description: "Signed token (JWT); send it as `Authorization: Bearer <token>`." })
  token: string;

  @Field(() => Member, { description: "The member the token belongs to." })
  member: Member;
}

export enum SignUpStatus {
  ACTIVE = "ACTIVE",
  VERIFY_EMAIL = "VERIFY_EMAIL",
}
registerEnumType(SignUpStatus, {
  name: "SignUpStatus",
  description: "What a sign-up did.",
  valuesConfig: {
    ACTIVE: { description: "The member exists and is logged in (`token` and `member` are set)." },
    VERIFY_EMAIL: {
      description:
        "A mail went to the address: its link (`verifyEmail`) creates the member. The same " +
        "answer whether or not the address is registered.",
    },
  },
});

@ObjectType({
  simpleResolvers: true,
  description: "What signUp answers: a session at once, or a link mailed first.",
})
export class SignUpPayload {
  @Field(() => SignUpStatus, { description: "Whether the member is active or must verify." })
  status: SignUpStatus;

  @Field(() => String, {
    nullable: true,
    description: "Signed token (JWT) when ACTIVE; null while verification is pending.",
  })
  token: string | null;

  @Field(() => Member, {
    nullable: true,
    description: "The new member when ACTIVE; null while verification is pending.",
  })
  member: Member | null;
}

@Resolver()
export class AuthResolver {
  @Mutation(() => SignUpPayload, {
    description:
      "Creates a member. With email verification on (production), mails a link instead and " +
      "answers VERIFY_EMAIL, the same for a new and a registered address; otherwise logs the " +
      "new member in (ACTIVE).",
  })
  async signUp(
    @Arg("input", () => SignUpInput, { description: "The new member's details." })
    input: SignUpInput,
    @Ctx() ctx: Context,
  ): Promise<SignUpPayload> {
    const result = await ctx.services.auth.signUp(input);
    if (result.status === "VERIFY_EMAIL") {
      return { status: SignUpStatus.VERIFY_EMAIL, token: null, member: null };
    }
    const session = await actAs(ctx, Promise.resolve(result));
    return { status: SignUpStatus.ACTIVE, ...session };
  }

  @Mutation(() => AuthPayload, {
    description:
      "Follows the link of a sign-up mail: creates the member and logs them in. An invalid, " +
      "used or expired token is BAD_USER_INPUT.",
  })
  verifyEmail(
    @Arg("token", { description: "The token of the link (after `#verify-email=`)." })
    token: string,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return actAs(ctx, ctx.services.auth.verifyEmail(token));
  }

  @Mutation(() => AuthPayload, {
    description: "Logs a member in. Wrong email and wrong password get the same answer.",
  })
  logIn(
    @Arg("email", { description: "The email given at sign-up (any case)." }) email: string,
    @Arg("password", { description: "The password." }) password: string,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return actAs(ctx, ctx.services.auth.logIn(email, password));
  }
}

/** The payload's member is shown as the member sees themself (their own email, SELF). */
async function actAs(ctx: Context, session: Promise<AuthPayload>): Promise<AuthPayload> {
  const result = await session;
  ctx.viewerId = result.member.id;
  ctx.loaders = createLoaders(ctx.deps.reads, result.member.id);
  return result;
}
