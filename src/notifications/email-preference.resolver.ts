import {
  Arg,
  Ctx,
  Field,
  InputType,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  registerEnumType,
} from "type-graphql";
import { badInput } from "../common/errors";
import { requireViewer, type Context } from "../context";
import { NotificationKind } from "./notification.types";

export enum EmailFrequency {
  IMMEDIATELY = "IMMEDIATELY",
  DAILY_DIGEST = "DAILY_DIGEST",
  NEVER = "NEVER",
}
registerEnumType(EmailFrequency, {
  name: "EmailFrequency",
  description: "How often a kind of notification is e-mailed.",
  valuesConfig: {
    IMMEDIATELY: { description: "One mail per notification, as it happens." },
    DAILY_DIGEST: { description: "Gathered into one mail a day, at DIGEST_HOUR (UTC)." },
    NEVER: { description: "In-app only." },
  },
});

@ObjectType({ simpleResolvers: true, description: "The viewer's e-mail choice for one kind." })
export class NotificationPreference {
  @Field(() => NotificationKind, { description: "The kind of notification." })
  kind: NotificationKind;

  @Field(() => EmailFrequency, { description: "How often it is e-mailed." })
  email: EmailFrequency;
}

@InputType({ description: "An e-mail choice for one kind of notification." })
export class NotificationPreferenceInput {
  @Field(() => NotificationKind, { description: "The kind of notification." })
  kind: NotificationKind;

  @Field(() => EmailFrequency, { description: "How often to e-mail it." })
  email: EmailFrequency;
}

@Resolver()
export class EmailPreferenceResolver {
  @Query(() => [NotificationPreference], {
    description:
      "The viewer's e-mail choice for each kind of notification (defaults: received and reminders in the daily digest, accepted and declined at once).",
  })
  notificationPreferences(@Ctx() ctx: Context): Promise<NotificationPreference[]> {
    return ctx.services.notificationMail.preferences(requireViewer(ctx)) as Promise<
      NotificationPreference[]
    >;
  }

  @Mutation(() => [NotificationPreference], {
    description:
      "Sets the e-mail choice of the kinds given; returns every kind's, as they now are.",
  })
  updateNotificationPreferences(
    @Arg("input", () => [NotificationPreferenceInput], { description: "The kinds to change." })
    input: NotificationPreferenceInput[],
    @Ctx() ctx: Context,
  ): Promise<NotificationPreference[]> {
    const viewerId = requireViewer(ctx);
    const kinds = input.map((i) => i.kind);
    if (input.length === 0 || new Set(kinds).size !== kinds.length) {
      throw badInput("input must name each kind at most once, and at least one.", "input");
    }
    return ctx.services.notificationMail.update(viewerId, input) as Promise<
      NotificationPreference[]
    >;
  }
}
