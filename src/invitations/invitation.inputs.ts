import { Field, ID, InputType } from "type-graphql";
import { ReceivedStatus } from "./invitation.types";

@InputType({ description: "An invitation to send." })
export class SendInvitationInput {
  @Field(() => ID, { description: "Who to invite." })
  recipientId: string;

  @Field(() => String, {
    nullable: true,
    description: "A personal note, up to 300 characters (configurable).",
  })
  message?: string | null;
}

@InputType({ description: "Which received invitations to list." })
export class ReceivedInvitationsFilter {
  @Field(() => ReceivedStatus, {
    nullable: true,
    description: "PENDING (default), IGNORED (the archive) or FILTERED (set aside).",
  })
  status?: ReceivedStatus | null;
}
