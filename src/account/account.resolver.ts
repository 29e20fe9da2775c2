import { GraphQLJSONObject } from "graphql-scalars";
import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { requireViewer, type Context } from "../context";
import type { JsonObject } from "./account.service";

@Resolver()
export class AccountResolver {
  @Mutation(() => Boolean, {
    description:
      "Deletes the viewer's account and everything that is theirs: profile, settings, " +
      "invitations sent and received, connections, notifications, blocks and reports. To " +
      "everyone else the member then looks exactly like one who never existed. The token, " +
      "and every other token of the member, is refused from then on (HTTP 401; open sockets " +
      "close with 4403). True once done; a wrong password is UNAUTHENTICATED and deletes " +
      "nothing.",
  })
  deleteAccount(
    @Arg("password", { description: "The member's password, to confirm." }) password: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.account.delete(requireViewer(ctx), password);
  }

  @Query(() => GraphQLJSONObject, {
    description:
      "Everything the viewer may see about themselves, as one JSON document: `profile` " +
      "(email and createdAt included), `settings`, `invitationsSent` and " +
      "`invitationsReceived` (each as the viewer sees it, the received ones with the list they " +
      "sit in and the viewer's own reminder), `connections`, `notifications` and " +
      "`blockedMembers` (the members the viewer blocked). Times are ISO 8601 strings.",
  })
  accountExport(@Ctx() ctx: Context): Promise<JsonObject> {
    return ctx.services.account.export(requireViewer(ctx));
  }
}
