import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { AccountResolver } from "./account/account.resolver";
import { AuthResolver } from "./auth/auth.resolver";
import { createAppPubSub, type AppPubSub } from "./common/pubsub";
import { BlockResolver } from "./blocks/block.resolver";
import { ConnectionResolver } from "./connections/connection.resolver";
import { InvitationResolver } from "./invitations/invitation.resolver";
import { MemberResolver } from "./members/member.resolver";
import { EmailPreferenceResolver } from "./notifications/email-preference.resolver";
import { NotificationResolver } from "./notifications/notification.resolver";
import { SettingsResolver } from "./settings/settings.resolver";
import { ReminderResolver } from "./jobs/reminder.resolver";

/**
 * Builds the executable schema, once per process. No global middleware and no authChecker:
 * each resolver asks for the viewer (`requireViewer`), which also holds for subscriptions.
 * So every object type says `simpleResolvers: true`: its plain fields are read by graphql's
 * own default resolver instead of a type-graphql wrapper per field (a list page reads
 * hundreds of them).
 */
export async function buildAppSchema(
  pubsub: AppPubSub = createAppPubSub(),
): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    // Subscriptions subscribe through their own `subscribe` functions (per-member topics,
    // replay); type-graphql still insists on a pubSub when a schema has subscriptions.
    pubSub: pubsub,
    resolvers: [
      AuthResolver,
      MemberResolver,
      ConnectionResolver,
      InvitationResolver,
      NotificationResolver,
      EmailPreferenceResolver,
      BlockResolver,
      SettingsResolver,
      ReminderResolver,
      AccountResolver,
    ],
    validate: true,
  });
  // type-graphql has no option for the root types' descriptions; Sandbox shows them.
  schema.getQueryType()!.description =
    "Reads. Every field needs `Authorization: Bearer <token>` except `viewer`.";
  schema.getMutationType()!.description =
    "Changes. Every field needs a token except `signUp` and `logIn`.";
  schema.getSubscriptionType()!.description =
    "Live events over graphql-ws at the same path, for the member named by `connectionParams.authorization`.";
  return schema;
}

export const SCHEMA_HEADER =
  "# Generated from the code by `npm run schema`; do not edit. A test fails when it drifts.\n\n";

/** The SDL committed as schema/schema.graphql. */
export async function emitSchemaText(): Promise<string> {
  return SCHEMA_HEADER + printSchema(lexicographicSortSchema(await buildAppSchema())) + "\n";
}
