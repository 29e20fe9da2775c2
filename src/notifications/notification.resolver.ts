import {
  Arg,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from "type-graphql";
import { FirstArg, mapPage } from "../common/pagination";
import { requireViewer, type Context } from "../context";
import { Invitation } from "../invitations/invitation.types";
import { Member } from "../members/member.entity";
import type { NotificationRecord } from "./notification.entity";
import { Notification, NotificationConnection } from "./notification.types";

@Resolver(() => Notification)
export class NotificationResolver {
  @Query(() => NotificationConnection, { description: "The viewer's notifications, newest first." })
  async notifications(
    @Ctx() ctx: Context,
    @Arg("unreadOnly", () => Boolean, { nullable: true, description: "Only unread ones." })
    unreadOnly?: boolean,
    @FirstArg()
    first?: number,
    @Arg("after", () => String, {
      nullable: true,
      description: "Cursor to continue after (older).",
    })
    after?: string,
  ) {
    const page = await ctx.services.notifications.list(
      requireViewer(ctx),
      unreadOnly ?? false,
      first,
      after,
    );
    return mapPage(page, Notification.from);
  }

  @Mutation(() => Int, {
    description: "Marks the viewer's notifications read; returns how many changed.",
  })
  markNotificationsRead(
    @Arg("ids", () => [ID], {
      description:
        "Ids of the viewer's notifications: at most the page size limit (100 by default); repeats count once.",
    })
    ids: string[],
    @Ctx() ctx: Context,
  ): Promise<number> {
    return ctx.services.notifications.markRead(requireViewer(ctx), ids);
  }

  @Subscription(() => Notification, {
    description:
      "The connected member's notifications. Without `after`: new ones only. With a cursor: first the stored ones after it, then new ones, with no gap and no duplicate.",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { after?: string }, Context>) =>
      context.services.notifications.stream(
        requireViewer(context),
        context.services.notifications.seqOf(requireViewer(context), args.after),
      ),
  })
  notificationAdded(
    @Root() row: NotificationRecord,
    @Arg("after", () => String, {
      nullable: true,
      description: "Cursor of the last notification the client has; replay starts after it.",
    })
    _after?: string,
  ): Notification {
    return Notification.from(row);
  }

  @FieldResolver(() => String, {
    description:
      "Opaque cursor of this notification's place in its recipient's list, valid for that recipient only: notificationAdded(after:) with it delivers exactly the later ones.",
  })
  cursor(@Root() n: Notification, @Ctx() ctx: Context): string {
    return ctx.services.notifications.cursorOf(n);
  }

  @FieldResolver(() => Member, { nullable: true, description: "Who caused it." })
  actor(@Root() n: Notification, @Ctx() ctx: Context) {
    return n.actorId ? ctx.loaders.member.load(n.actorId) : null;
  }

  @FieldResolver(() => Invitation, {
    nullable: true,
    description: "The invitation it is about, as the viewer may see it.",
  })
  async invitation(@Root() n: Notification, @Ctx() ctx: Context): Promise<Invitation | null> {
    if (!n.invitationId || !ctx.viewerId) return null;
    const record = await ctx.loaders.invitation.load(n.invitationId);
    return record && ctx.services.invitations.view(record, ctx.viewerId);
  }
}
