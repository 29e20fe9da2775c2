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
}

@InputType({ description: "Settings to change; omitted fields stay as they are." })
export class InvitationSettingsInput {
  @Field(() => WhoCanInvite, { nullable: true, description: "Who may invite you." })
  whoCanInvite?: WhoCanInvite | null;

  @Field(() => Boolean, { nullable: true, description: "Notify on a new invitation." })
  notifyOnInvitation?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "Send reminders for waiting invitations." })
  reminders?: boolean | null;
}
