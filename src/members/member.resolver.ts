import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from "type-graphql";
import { AfterArg, FirstArg, mapPage } from "../common/pagination";
import { requireViewer, type Context } from "../context";
import { Member } from "./member.entity";
import { SEARCH_MAX_LENGTH, SUGGESTIONS_DEFAULT, SUGGESTIONS_MAX } from "./member.service";
import {
  ConnectionDegree,
  MemberConnection,
  MemberSuggestion,
  SuggestionReason,
} from "./member.types";

/** Members as the viewer may see them: profile fields open, contact and network closed. */
@Resolver(() => Member)
export class MemberResolver {
  @Query(() => Member, {
    nullable: true,
    description: "The member the token belongs to; null without a token (the one open query).",
  })
  viewer(@Ctx() ctx: Context): Promise<Member | null> | null {
    return ctx.viewerId ? ctx.loaders.member.load(ctx.viewerId) : null;
  }

  @Query(() => Member, {
    nullable: true,
    description: "A member by id; null when there is none, or a block stands either way.",
  })
  async member(
    @Arg("id", () => ID, { description: "The member's id." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<Member | null> {
    requireViewer(ctx);
    // Both reads whatever the answer: a blocker and an id that never existed cost the same
    // statements, in the same order (no timing tells them apart).
    const [blocked, member] = await Promise.all([
      ctx.loaders.blockedEitherWay(),
      ctx.loaders.member.load(id),
    ]);
    return blocked.has(id) ? null : member;
  }

  @Query(() => [Member], { description: "The members the viewer blocked, most recent first." })
  async blockedMembers(@Ctx() ctx: Context): Promise<Member[]> {
    const ids = await ctx.services.blocks.blockedBy(requireViewer(ctx));
    const members = await ctx.loaders.member.loadMany(ids);
    return members.filter((m): m is Member => m instanceof Member);
  }

  @Query(() => MemberConnection, {
    description:
      "Members whose name, employer, school or industry contains `search` (case-insensitive). " +
      "Leaves out the viewer and anyone blocked either way. First-degree connections come first, " +
      "then second-degree members, then everyone else; within each group by name, then id.",
  })
  async members(
    @Arg("search", () => String, {
      description: `Text to find, trimmed; 1 to ${SEARCH_MAX_LENGTH} characters. % and _ match themselves.`,
    })
    search: string,
    @Ctx() ctx: Context,
    @FirstArg()
    first?: number,
    @AfterArg()
    after?: string,
  ) {
    const viewerId = requireViewer(ctx);
    const page = await ctx.services.members.search(viewerId, search, first, after);
    return mapPage(page, (node) => {
      // The search already knows who is connected: spare the field resolvers a query.
      ctx.loaders.prime(node.member, { connected: node.rank === 0 });
      return node.member;
    });
  }

  @Query(() => [MemberSuggestion], {
    description:
      "People the viewer may know: members not connected to the viewer, with no open invitation " +
      "either way and no block either way, who share a connection, the employer, the school or " +
      "the industry with the viewer. Ranked by shared connections (most first), then same " +
      "employer, then same school, then same industry (each: true first), then name, then id.",
  })
  async suggestedMembers(
    @Ctx() ctx: Context,
    @Arg("first", () => Int, {
      nullable: true,
      description: `How many (default ${SUGGESTIONS_DEFAULT}, 1 to ${SUGGESTIONS_MAX}).`,
    })
    first?: number,
  ): Promise<MemberSuggestion[]> {
    const viewerId = requireViewer(ctx);
    const suggestions = await ctx.services.members.suggest(viewerId, first);
    return suggestions.map((s) => {
      ctx.loaders.prime(s.member, { connected: false, mutualCount: s.sharedConnectionsCount });
      return {
        member: s.member,
        reasons: s.reasons.map((r) => SuggestionReason[r]),
        sharedConnectionsCount: s.sharedConnectionsCount,
      };
    });
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "Email address: only for the member themself and their first-degree connections.",
  })
  async email(@Root() m: Member, @Ctx() ctx: Context): Promise<string | null> {
    return (await this.opensProfile(m, ctx)) ? m.email : null;
  }

  @FieldResolver(() => MemberConnection, {
    nullable: true,
    description:
      "The member's connections: only for the member themself and their first-degree connections; null for anyone else.",
  })
  async connections(
    @Root() m: Member,
    @Ctx() ctx: Context,
    @FirstArg()
    first?: number,
    @AfterArg()
    after?: string,
  ) {
    if (!(await this.opensProfile(m, ctx))) return null;
    const page = await ctx.services.connections.list(ctx.viewerId!, m.id, first, after);
    return this.loadMembers(page, ctx);
  }

  @FieldResolver(() => ConnectionDegree, { description: "How far the member is from the viewer." })
  degree(@Root() m: Member, @Ctx() ctx: Context): ConnectionDegree | Promise<ConnectionDegree> {
    if (m.id === ctx.viewerId) return ConnectionDegree.SELF;
    if (!ctx.viewerId) return ConnectionDegree.THIRD_PLUS;
    const { known } = ctx.loaders;
    const connected = known.connected.get(m.id);
    const mutual = known.mutualCount.get(m.id);
    if (connected !== undefined && (connected || mutual !== undefined)) {
      return degreeOf(connected, mutual ?? 0);
    }
    return ctx.loaders.connectedToViewer
      .load(m.id)
      .then(async (c) => degreeOf(c, c ? 0 : await ctx.loaders.mutualCount.load(m.id)));
  }

  @FieldResolver(() => Int, {
    description: "How many connections the member shares with the viewer.",
  })
  mutualConnectionsCount(@Root() m: Member, @Ctx() ctx: Context): Promise<number> | number {
    if (m.id === ctx.viewerId) return 0;
    return ctx.loaders.known.mutualCount.get(m.id) ?? ctx.loaders.mutualCount.load(m.id);
  }

  /** Rule 9: the member themself and first-degree connections see email and connections. */
  private async opensProfile(m: Member, ctx: Context): Promise<boolean> {
    if (!ctx.viewerId) return false;
    return m.id === ctx.viewerId || ctx.loaders.connectedToViewer.load(m.id);
  }

  /** Turns a page of member ids into a page of members (one batched query). */
  async loadMembers(
    page: Awaited<ReturnType<Context["services"]["connections"]["list"]>>,
    ctx: Context,
  ) {
    const members = await ctx.loaders.member.loadMany(page.edges.map((e) => e.node));
    const byId = new Map(page.edges.map((e, i) => [e.node, members[i] as Member]));
    return mapPage(page, (id) => byId.get(id)!);
  }
}

/** Another member's degree, from whether they are connected and what they share. */
function degreeOf(connected: boolean, mutual: number): ConnectionDegree {
  if (connected) return ConnectionDegree.FIRST;
  return mutual > 0 ? ConnectionDegree.SECOND : ConnectionDegree.THIRD_PLUS;
}
