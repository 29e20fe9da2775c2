import { Field, InputType, ObjectType, registerEnumType } from "type-graphql";

export enum WhoCanInvite {
  EVERYONE = "EVERYONE",
  EMAIL_REQUIRED = "EMAIL_REQUIRED",
  SECOND_DEGREE = "SECOND_DEGREE",
}
registerEnumType(WhoCanInvite, {
  name: "WhoCanInvite",
  description: "Who may send you an invitation that reaches your inbox.",
  valuesConfig: {
    EVERYONE: { description: "Anyone (the default)." },
    EMAIL_REQUIRED: {
      description:
        "Only senders who give your email address. A missing email is EMAIL_REQUIRED; a wrong one lands silently in your FILTERED list.",
    },
    SECOND_DEGREE: {
      description:
        "Only members who share a connection with you; others land silently in your FILTERED list.",
    },
  },
});

export enum PolicyActionEnum {
  DELIVER = "DELIVER",
  FILTER = "FILTER",
  DISCARD = "DISCARD",
}
registerEnumType(PolicyActionEnum, {
  name: "PolicyAction",
  description:
    "What happens to an invitation of one category. When several categories apply, the strictest action wins (DISCARD, then FILTER, then DELIVER). The sender sees PENDING in every case.",
  valuesConfig: {
    DELIVER: {
      description: "To your inbox, with its notification (unless another rule sets it aside).",
    },
    FILTER: { description: "Silently to your FILTERED list: no notification, no push." },
    DISCARD: {
      description:
        "Stored where you never see it (in no list or count); it expires as usual. A crossing invitation from you still connects you.",
    },
  },
});

@ObjectType({
  simpleResolvers: true,
  description: "What happens to an invitation, by the category its sender falls in.",
})
export class InvitationPolicy {
  @Field(() => PolicyActionEnum, {
    description: "Senders whose account is younger than NEW_ACCOUNT_DAYS (30 by default).",
  })
  newAccounts: PolicyActionEnum;

  @Field(() => PolicyActionEnum, { description: "Senders who share no connection with you." })
  noMutualConnections: PolicyActionEnum;

  @Field(() => PolicyActionEnum, {
    description:
      "Senders silently restricted after reports from several members (FILTER by default).",
  })
  restrictedSenders: PolicyActionEnum;

  @Field(() => PolicyActionEnum, {
    description:
      "Senders neither first nor second degree from you. (Members who are connected never invite each other, so today this is everyone with no mutual connection.)",
  })
  outsideNetwork: PolicyActionEnum;
}

@InputType({ description: "Policy actions to change; omitted categories stay as they are." })
export class InvitationPolicyInput {
  @Field(() => PolicyActionEnum, { nullable: true, description: "New accounts." })
  newAccounts?: PolicyActionEnum | null;

  @Field(() => PolicyActionEnum, { nullable: true, description: "No mutual connections." })
  noMutualConnections?: PolicyActionEnum | null;

  @Field(() => PolicyActionEnum, { nullable: true, description: "Restricted senders." })
  restrictedSenders?: PolicyActionEnum | null;

  @Field(() => PolicyActionEnum, { nullable: true, description: "Outside your network." })
  outsideNetwork?: PolicyActionEnum | null;
}

@ObjectType({
  simpleResolvers: true,
  description: "The viewer's invitation settings (private to them).",
})
export class InvitationSettings {
  @Field(() => WhoCanInvite, { description: "Who may invite the viewer." })
  whoCanInvite: WhoCanInvite;

  @Field({ description: "Whether a new invitation is stored and pushed as a notification." })
  notifyOnInvitation: boolean;

  @Field({ description: "Whether reminders for waiting invitations are sent." })
  reminders: boolean;

  @Field(() => InvitationPolicy, { description: "What happens to invitations, by category." })
  policy: InvitationPolicy;

  @Field(() => Date, {
    nullable: true,
    description:
      "New invitations are set aside (FILTERED) until then; a time past, or null, is no pause. The senders see them pending.",
  })
  pausedUntil: Date | null;
}

@InputType({ description: "Settings to change; omitted fields stay as they are." })
export class InvitationSettingsInput {
  @Field(() => WhoCanInvite, { nullable: true, description: "Who may invite you." })
  whoCanInvite?: WhoCanInvite | null;

  @Field(() => Boolean, { nullable: true, description: "Notify on a new invitation." })
  notifyOnInvitation?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "Send reminders for waiting invitations." })
  reminders?: boolean | null;

  @Field(() => InvitationPolicyInput, {
    nullable: true,
    description: "Policy actions to change.",
  })
  policy?: InvitationPolicyInput | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "Pause until then (in the future, at most 365 days ahead); null ends a pause; omitted leaves it.",
  })
  pausedUntil?: Date | null;
}
