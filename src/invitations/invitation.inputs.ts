import { IsEmail, IsOptional, MaxLength } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { ReceivedStatus, Relation } from "./invitation.types";

@InputType({ description: "An invitation to send." })
export class SendInvitationInput {
  @Field(() => ID, { description: "Who to invite." })
  recipientId: string;

  @Field(() => String, {
    nullable: true,
    description: "A personal note, up to 300 characters (configurable).",
  })
  message?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The recipient's email address, for members who only accept invitations that give it. A wrong one is not an error.",
  })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  recipientEmail?: string | null;
}

@InputType({ description: "Which received invitations to list." })
export class ReceivedInvitationsFilter {
  @Field(() => ReceivedStatus, {
    nullable: true,
    description: "PENDING (default), IGNORED (the archive) or FILTERED (set aside).",
  })
  status?: ReceivedStatus | null;

  @Field(() => [Relation], {
    nullable: true,
    description: "Only senders with every one of these relations to you.",
  })
  relations?: Relation[] | null;

  @Field(() => String, {
    nullable: true,
    description: "Part of the sender's name, any case (up to 100 characters).",
  })
  @IsOptional()
  @MaxLength(100)
  search?: string | null;
}
