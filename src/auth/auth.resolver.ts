import { Arg, Field, Mutation, ObjectType, Resolver, Ctx } from "type-graphql";
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

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: "Creates a member and logs them in." })
  signUp(
    @Arg("input", () => SignUpInput, { description: "The new member's details." })
    input: SignUpInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return actAs(ctx, ctx.services.auth.signUp(input));
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
