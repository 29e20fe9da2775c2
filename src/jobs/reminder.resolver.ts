import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { notFound } from "../common/errors";
import { requireViewer, type Context } from "../context";
import { Invitation } from "../invitations/invitation.types";

/** The recipient's own "remind me" (contract rule 10); the jobs send it when it is due. */
@Resolver()
export class ReminderResolver {
  @Mutation(() => Invitation, {
    description:
      "Asks to be reminded of a received invitation at a time you choose: an INVITATION_REMINDER notification then, unless it was answered, withdrawn or expired meanwhile. One per invitation; setting it again moves it. The sender never learns of it.",
  })
  async setInvitationReminder(
    @Arg("id", () => ID, {
      description: "A received invitation that looks pending or ignored to you.",
    })
    id: string,
    @Arg("remindAt", () => Date, {
      description: "When to be reminded: in the future and before the invitation expires.",
    })
    remindAt: Date,
    @Ctx() ctx: Context,
  ): Promise<Invitation> {
    const viewerId = requireViewer(ctx);
    await ctx.services.jobs.setReminder(viewerId, id, remindAt);
    const invitation = await ctx.services.invitations.get(viewerId, id);
    // Only a block between the write and this read can hide it now.
    if (!invitation) throw notFound("Invitation");
    return invitation;
  }
}
