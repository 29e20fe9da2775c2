import { Repeater } from "@graphql-yoga/subscription";
import type { GraphQLResolveInfo } from "graphql";
import {
  Arg,
  Ctx,
  Info,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from "type-graphql";
import { AfterArg, FirstArg, mapPage, type Page } from "../common/pagination";
import { selectedNames } from "../common/selection";
import { Topic, type Topics } from "../common/pubsub";
import { eagerSubscribe } from "../common/subscribe";
import { refreshLoaders, requireViewer, type Context } from "../context";
import { Member } from "../members/member.entity";
import { ReceivedInvitationsFilter, SendInvitationInput } from "./invitation.inputs";
import type { Listed } from "./invitation.service";
import {
  BulkInvitationsPayload,
  Invitation,
  InvitationConnection,
  InvitationDeclinedEvent,
  InvitationOrder,
  InvitationStatus,
  ReceivedStatus,
  ReportReason,
  SendInvitationPayload,
} from "./invitation.types";

const idArg = () => Arg("id", () => ID, { description: "The invitation's id." });

/** Thin: arguments in, service call, viewer's projection out. */
@Resolver(() => Invitation)
export class InvitationResolver {
  @Query(() => Invitation, {
    nullable: true,
    description: "An invitation the viewer sent or received; null for any other id.",
  })
  async invitation(@idArg() id: string, @Ctx() ctx: Context): Promise<Invitation | null> {
    const v = await ctx.services.invitations.get(requireViewer(ctx), id);
    return v;
  }

  @Query(() => InvitationConnection, {
    description:
      "Invitations the viewer received: pending by default, or the IGNORED or FILTERED lists.",
  })
  async receivedInvitations(
    @Ctx() ctx: Context,
    @Arg("filter", () => ReceivedInvitationsFilter, {
      nullable: true,
      description: "Which list to read.",
    })
    filter?: ReceivedInvitationsFilter,
    @Arg("orderBy", () => InvitationOrder, { nullable: true, description: "Default NEWEST." })
    orderBy?: InvitationOrder,
    @FirstArg() first?: number,
    @AfterArg() after?: string,
    @Info() info?: GraphQLResolveInfo,
  ) {
    const page = await ctx.services.invitations.listReceived(
      requireViewer(ctx),
      filter?.status ?? ReceivedStatus.PENDING,
      orderBy ?? InvitationOrder.NEWEST,
      first,
      after,
      { relations: filter?.relations, search: filter?.search },
      selectedNames(info!),
    );
    return primed(page, ctx);
  }

  @Query(() => InvitationConnection, {
    description:
      "Invitations the viewer sent, newest first, each with the status the sender may see.",
  })
  async sentInvitations(
    @Ctx() ctx: Context,
    @Arg("status", () => InvitationStatus, {
      nullable: true,
      description: "Only those the sender sees with this status (ignored ones count as PENDING).",
    })
    status?: InvitationStatus,
    @FirstArg() first?: number,
    @AfterArg() after?: string,
    @Info() info?: GraphQLResolveInfo,
  ) {
    const page = await ctx.services.invitations.listSent(
      requireViewer(ctx),
      status ?? null,
      first,
      after,
      selectedNames(info!),
    );
    return primed(page, ctx);
  }

  @Mutation(() => SendInvitationPayload, {
    description:
      "Invites a member to connect. If they had invited you, this accepts theirs and connects you.",
  })
  async sendInvitation(
    @Arg("input", () => SendInvitationInput, { description: "Who to invite, with a note." })
    input: SendInvitationInput,
    @Ctx() ctx: Context,
  ): Promise<SendInvitationPayload> {
    const r = await ctx.services.invitations.send(requireViewer(ctx), input);
    if (r.connected) refreshLoaders(ctx);
    return r;
  }

  @Mutation(() => Invitation, {
    description: "Accepts a received invitation, with an optional greeting.",
  })
  async acceptInvitation(
    @idArg() id: string,
    @Arg("message", () => String, {
      nullable: true,
      description: "A greeting, up to 500 characters.",
    })
    message: string | null,
    @Ctx() ctx: Context,
  ): Promise<Invitation> {
    return this.act(ctx, id, "accept", message);
  }

  @Mutation(() => Invitation, {
    description:
      "Ignores a received invitation. Silent: the sender keeps seeing it pending; it moves to your IGNORED list, where you can still answer it.",
  })
  async ignoreInvitation(@idArg() id: string, @Ctx() ctx: Context): Promise<Invitation> {
    return this.act(ctx, id, "ignore");
  }

  @Mutation(() => Invitation, {
    description: "Declines a received invitation; the sender is told, with your message if given.",
  })
  async declineInvitation(
    @idArg() id: string,
    @Arg("message", () => String, {
      nullable: true,
      description: "A message for the sender, up to 500 characters.",
    })
    message: string | null,
    @Ctx() ctx: Context,
  ): Promise<Invitation> {
    return this.act(ctx, id, "decline", message);
  }

  @Mutation(() => Invitation, { description: "Withdraws an invitation you sent." })
  async withdrawInvitation(@idArg() id: string, @Ctx() ctx: Context): Promise<Invitation> {
    return this.act(ctx, id, "withdraw");
  }

  @Mutation(() => Boolean, {
    description:
      "Reports a received invitation: ignores it silently, and this sender's later invitations to you land in your FILTERED list.",
  })
  async reportInvitation(
    @idArg() id: string,
    @Arg("reason", () => ReportReason, { description: "Why you report it." }) reason: ReportReason,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.invitations.act(requireViewer(ctx), id, "report", null, reason);
    return true;
  }

  @Mutation(() => BulkInvitationsPayload, {
    description:
      "Accepts many received invitations in one transaction; ids that are not yours are reported as failed, not fatal.",
  })
  acceptInvitations(
    @Arg("ids", () => [ID], { description: "Up to 100 invitation ids." }) ids: string[],
    @Ctx() ctx: Context,
  ): Promise<BulkInvitationsPayload> {
    return this.actMany(ctx, ids, "accept");
  }

  @Mutation(() => BulkInvitationsPayload, {
    description:
      "Ignores many received invitations in one transaction, silently as ignoreInvitation; ids that are not yours are reported as failed.",
  })
  ignoreInvitations(
    @Arg("ids", () => [ID], { description: "Up to 100 invitation ids." }) ids: string[],
    @Ctx() ctx: Context,
  ): Promise<BulkInvitationsPayload> {
    return this.actMany(ctx, ids, "ignore");
  }

  @FieldResolver(() => Member, { description: "Who sent it." })
  sender(@Root() inv: Invitation, @Ctx() ctx: Context) {
    return ctx.loaders.known.member.get(inv.senderId) ?? ctx.loaders.member.load(inv.senderId);
  }

  @FieldResolver(() => Member, { description: "Who received it." })
  recipient(@Root() inv: Invitation, @Ctx() ctx: Context) {
    return (
      ctx.loaders.known.member.get(inv.recipientId) ?? ctx.loaders.member.load(inv.recipientId)
    );
  }

  @Subscription(() => Invitation, {
    description: "Invitations the connected member receives, as they arrive.",
    subscribe: (data) => invitationStream(data, Topic.InvitationReceived),
  })
  invitationReceived(@Root() inv: Invitation): Invitation {
    return inv;
  }

  @Subscription(() => Invitation, {
    description: "The connected member's sent invitations as they are accepted.",
    subscribe: (data) => invitationStream(data, Topic.InvitationAccepted),
  })
  invitationAccepted(@Root() inv: Invitation): Invitation {
    return inv;
  }

  @Subscription(() => InvitationDeclinedEvent, {
    description: "The connected member's sent invitations as they are declined, with the message.",
    subscribe: (data) =>
      invitationStream(data, Topic.InvitationDeclined, (inv, signal) => ({
        invitation: inv,
        message: signal.message,
        declinedAt: new Date(signal.declinedAt),
      })),
  })
  invitationDeclined(@Root() event: InvitationDeclinedEvent): InvitationDeclinedEvent {
    return event;
  }

  private async actMany(
    ctx: Context,
    ids: string[],
    action: "accept" | "ignore",
  ): Promise<BulkInvitationsPayload> {
    const r = await ctx.services.invitations.actMany(requireViewer(ctx), ids, action);
    if (action === "accept") refreshLoaders(ctx);
    return r;
  }

  private async act(
    ctx: Context,
    id: string,
    action: "accept" | "ignore" | "decline" | "withdraw",
    message: string | null = null,
  ): Promise<Invitation> {
    const invitation = await ctx.services.invitations.act(requireViewer(ctx), id, action, message);
    if (action === "accept") refreshLoaders(ctx);
    return invitation;
  }
}

/**
 * The connected member's events on one per-member topic, each re-read from the store and
 * projected for them (an invitation hidden by a block since is skipped).
 */
function invitationStream<
  K extends
    | typeof Topic.InvitationReceived
    | typeof Topic.InvitationAccepted
    | typeof Topic.InvitationDeclined,
  T = Invitation,
>(
  { context }: SubscribeResolverData<unknown, unknown, Context>,
  topic: K,
  shape: (inv: Invitation, signal: Topics[K][1]) => T = (inv) => inv as T,
): AsyncIterable<T> {
  const viewerId = requireViewer(context);
  const signals = eagerSubscribe(context.deps.pubsub, topic, viewerId);
  return new Repeater<T>(async (push, stop) => {
    stop.then(() => signals.return?.());
    for await (const signal of signals) {
      const invitation = await context.services.invitations.get(viewerId, signal.invitationId);
      if (invitation) await push(shape(invitation, signal));
    }
    stop();
  });
}

/** The page's invitations, with what the list read about the other party handed to the loaders. */
function primed(page: Page<Listed>, ctx: Context): Page<Invitation> {
  return mapPage(page, ({ invitation, other, mutualCount }) => {
    // Open: the two are not connected, and the row keeps what they share.
    ctx.loaders.prime(other, mutualCount === null ? {} : { mutualCount, connected: false });
    return invitation;
  });
}
