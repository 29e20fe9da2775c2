import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { AfterArg, FirstArg } from "../common/pagination";
import { refreshLoaders, requireViewer, type Context } from "../context";
import { MemberConnection } from "../members/member.types";
import { MemberResolver } from "../members/member.resolver";

@Resolver()
export class ConnectionResolver {
  private readonly members = new MemberResolver();

  @Query(() => MemberConnection, { description: "The viewer's connections, newest first." })
  async connections(
    @Ctx() ctx: Context,
    @FirstArg()
    first?: number,
    @AfterArg()
    after?: string,
  ) {
    const viewerId = requireViewer(ctx);
    const page = await ctx.services.connections.list(
      viewerId,
      viewerId,
      first,
      after,
      "Query.connections",
    );
    return this.members.loadMembers(page, ctx);
  }

  @Mutation(() => Boolean, {
    description:
      "Ends the connection with a member: true when it ended, false when there was none. Silent.",
  })
  async removeConnection(
    @Arg("memberId", () => ID, { description: "The connected member." }) memberId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const removed = await ctx.services.connections.remove(requireViewer(ctx), memberId);
    refreshLoaders(ctx);
    return removed;
  }
}
