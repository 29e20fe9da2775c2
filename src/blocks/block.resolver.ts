import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { requireViewer } from "../common/viewer";
import type { Context } from "../context";

@Resolver()
export class BlockResolver {
  @Mutation(() => Boolean, {
    description:
      "Blocks a member: the connection ends, open invitations between you close, and each of you disappears for the other. The blocked member is never told.",
  })
  blockMember(
    @Arg("id", () => ID, { description: "The member to block." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.blocks.block(requireViewer(ctx), id);
  }

  @Mutation(() => Boolean, {
    description:
      "Lifts your block on a member: true when one was lifted, false when there was none.",
  })
  unblockMember(
    @Arg("id", () => ID, { description: "The member to unblock." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.blocks.unblock(requireViewer(ctx), id);
  }
}
