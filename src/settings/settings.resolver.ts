import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { requireViewer, type Context } from "../context";
import { Changes, written } from "../db/changes";
import { Member } from "../members/member.entity";
import { InvitationSettings, InvitationSettingsInput, WhoCanInvite } from "./settings.types";

@Resolver()
export class SettingsResolver {
  @Query(() => InvitationSettings, { description: "The viewer's invitation settings." })
  async invitationSettings(@Ctx() ctx: Context): Promise<InvitationSettings> {
    const member = await ctx.loaders.member.load(requireViewer(ctx));
    return toSettings(member!);
  }

  @Mutation(() => InvitationSettings, {
    description: "Changes the viewer's invitation settings; returns them as they now are.",
  })
  async updateInvitationSettings(
    @Arg("input", () => InvitationSettingsInput, { description: "The settings to change." })
    input: InvitationSettingsInput,
    @Ctx() ctx: Context,
  ): Promise<InvitationSettings> {
    const viewerId = requireViewer(ctx);
    const changes: Partial<Pick<Member, "whoCanInvite" | "notifyOnInvitation" | "reminders">> = {};
    if (input.whoCanInvite != null) changes.whoCanInvite = input.whoCanInvite;
    if (input.notifyOnInvitation != null) changes.notifyOnInvitation = input.notifyOnInvitation;
    if (input.reminders != null) changes.reminders = input.reminders;
    const member = await ctx.deps.writer.transaction(async (em) => {
      if (Object.keys(changes).length) await em.update(Member, { id: viewerId }, changes);
      // Settings decide where others' invitations land, never what another member reads.
      return written(await em.findOneByOrFail(Member, { id: viewerId }), Changes.of(viewerId));
    });
    return toSettings(member);
  }
}

function toSettings(m: Member): InvitationSettings {
  return {
    whoCanInvite: m.whoCanInvite as WhoCanInvite,
    notifyOnInvitation: m.notifyOnInvitation,
    reminders: m.reminders,
  };
}
