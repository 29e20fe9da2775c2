import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { refreshLoaders, requireViewer, type Context } from "../context";

@Resolver()
export class BlockResolver {
  @Mutation(() => Boolean, {
    description:
      "Blocks a member: the connection ends, open invitations between you close, and each of you disappears for the other. The blocked member is never told.",
  })
  async blockMember(
    @Arg("id", () => ID, { description: "The member to block." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const done = await ctx.services.blocks.block(requireViewer(ctx), id);
    refreshLoaders(ctx);
    return done;
  }

  @Mutation(() => Boolean, {
    description:
      "Lifts your block on a member: true when one was lifted, false when there was none.",
  })
  async unblockMember(
    @Arg("id", () => ID, { description: "The member to unblock." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const done = await ctx.services.blocks.unblock(requireViewer(ctx), id);
    refreshLoaders(ctx);
    return done;
  }
}
