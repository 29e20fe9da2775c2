import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { requireViewer, type Context } from "../context";
import { Changes, written } from "../db/changes";
import { Member } from "../members/member.entity";
import { badInput } from "../common/errors";
import {
  InvitationSettings,
  InvitationSettingsInput,
  PolicyActionEnum,
  WhoCanInvite,
} from "./settings.types";

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
    const changes: Partial<Member> = {};
    if (input.whoCanInvite != null) changes.whoCanInvite = input.whoCanInvite;
    if (input.notifyOnInvitation != null) changes.notifyOnInvitation = input.notifyOnInvitation;
    if (input.reminders != null) changes.reminders = input.reminders;
    const policy = input.policy ?? {};
    if (policy.newAccounts != null) changes.policyNewAccounts = policy.newAccounts;
    if (policy.noMutualConnections != null) changes.policyNoMutual = policy.noMutualConnections;
    if (policy.restrictedSenders != null) changes.policyRestricted = policy.restrictedSenders;
    if (policy.outsideNetwork != null) changes.policyOutsideNetwork = policy.outsideNetwork;
    if (input.pausedUntil !== undefined) {
      changes.pausedUntil = checkPause(input.pausedUntil, ctx.deps.clock.now());
    }
    const member = await ctx.deps.writer.transaction(async (em) => {
      if (Object.keys(changes).length) await em.update(Member, { id: viewerId }, changes);
      // Settings decide where others' invitations land, never what another member reads.
      return written(await em.findOneByOrFail(Member, { id: viewerId }), Changes.of(viewerId));
    });
    return toSettings(member);
  }
}

/** The longest pause: a forgotten one ends by itself within a year. */
const MAX_PAUSE_MS = 365 * 24 * 60 * 60 * 1000;

function checkPause(until: Date | null, now: Date): Date | null {
  if (until === null) return null;
  if (until.getTime() <= now.getTime())
    throw badInput("pausedUntil must be in the future.", "pausedUntil");
  if (until.getTime() > now.getTime() + MAX_PAUSE_MS) {
    throw badInput("pausedUntil must be at most 365 days ahead.", "pausedUntil");
  }
  return until;
}

function toSettings(m: Member): InvitationSettings {
  return {
    whoCanInvite: m.whoCanInvite as WhoCanInvite,
    notifyOnInvitation: m.notifyOnInvitation,
    reminders: m.reminders,
    policy: {
      newAccounts: m.policyNewAccounts as PolicyActionEnum,
      noMutualConnections: m.policyNoMutual as PolicyActionEnum,
      restrictedSenders: m.policyRestricted as PolicyActionEnum,
      outsideNetwork: m.policyOutsideNetwork as PolicyActionEnum,
    },
    // As stored, also once it passed: an answer that changed with the clock alone could not
    // be cached exactly (the response cache moves on writes).
    pausedUntil: m.pausedUntil,
  };
}
