import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Node } from "../common/node";
import { ConnectionType } from "../common/pagination";
import type { InvitationRecord } from "./invitation.entity";
import type { InvitationView } from "./lifecycle";

export enum InvitationStatus {
  PENDING = "PENDING",
  ACCEPTED = "ACCEPTED",
  IGNORED = "IGNORED",
  DECLINED = "DECLINED",
  WITHDRAWN = "WITHDRAWN",
  EXPIRED = "EXPIRED",
}
registerEnumType(InvitationStatus, {
  name: "InvitationStatus",
  description:
    "An invitation's status as the viewer may see it. A sender never sees IGNORED: to them an ignored invitation is PENDING.",
  valuesConfig: {
    PENDING: { description: "Waiting for an answer (or looks so to the sender)." },
    ACCEPTED: { description: "Accepted: the two members are connected." },
    IGNORED: { description: "Set aside by the recipient; shown to the recipient only." },
    DECLINED: { description: "Declined by the recipient, possibly with a message." },
    WITHDRAWN: { description: "Withdrawn by the sender." },
    EXPIRED: { description: "Expired unanswered." },
  },
});

export enum ReceivedStatus {
  PENDING = "PENDING",
  IGNORED = "IGNORED",
  FILTERED = "FILTERED",
}
registerEnumType(ReceivedStatus, {
  name: "ReceivedStatus",
  description: "Which of the recipient's lists to read.",
  valuesConfig: {
    PENDING: { description: "Waiting for an answer (the default)." },
    IGNORED: { description: "Ignored or reported: the recipient's archive; still answerable." },
    FILTERED: {
      description:
        "Set aside silently: by your whoCanInvite setting (no shared connection, or a wrong email), your invitation policy (FILTER) or pause, because you reported the sender, or because the sender is restricted after reports.",
    },
  },
});

export enum InvitationOrder {
  NEWEST = "NEWEST",
  OLDEST = "OLDEST",
  MOST_MUTUAL_CONNECTIONS = "MOST_MUTUAL_CONNECTIONS",
}
registerEnumType(InvitationOrder, {
  name: "InvitationOrder",
  description: "Order of a list of invitations.",
  valuesConfig: {
    NEWEST: { description: "Most recently sent first (the default)." },
    OLDEST: { description: "Longest waiting first." },
    MOST_MUTUAL_CONNECTIONS: {
      description: "Senders sharing the most connections with you first; then newest first.",
    },
  },
});

export enum Relation {
  MUTUAL_CONNECTIONS = "MUTUAL_CONNECTIONS",
  SAME_EMPLOYER = "SAME_EMPLOYER",
  SAME_INDUSTRY = "SAME_INDUSTRY",
  SAME_SCHOOL = "SAME_SCHOOL",
}
registerEnumType(Relation, {
  name: "Relation",
  description: "A relation between the sender and the viewer.",
  valuesConfig: {
    MUTUAL_CONNECTIONS: { description: "The sender shares at least one connection with you." },
    SAME_EMPLOYER: { description: "The sender has your employer." },
    SAME_INDUSTRY: { description: "The sender works in your industry." },
    SAME_SCHOOL: { description: "The sender went to your school." },
  },
});

export enum ReportReason {
  I_DONT_KNOW = "I_DONT_KNOW",
  SPAM = "SPAM",
}
registerEnumType(ReportReason, {
  name: "ReportReason",
  description: "Why the recipient reports an invitation.",
  valuesConfig: {
    I_DONT_KNOW: { description: "The recipient does not know the sender." },
    SPAM: { description: "The invitation is spam." },
  },
});

/** The GraphQL shape of an invitation: always built from `viewAs` for one viewer. */
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "An invitation to connect, as the viewer may see it.",
})
export class Invitation implements Node {
  @Field(() => ID, { description: "Opaque identifier." })
  id: string;

  senderId: string;
  recipientId: string;

  @Field(() => String, { nullable: true, description: "The sender's personal note." })
  message: string | null;

  @Field(() => InvitationStatus, { description: "The status as the viewer may see it." })
  status: InvitationStatus;

  @Field({ description: "When it was sent." })
  sentAt: Date;

  @Field(() => Date, {
    nullable: true,
    description: "When it was answered; null while it is, or looks, pending.",
  })
  respondedAt: Date | null;

  @Field(() => String, {
    nullable: true,
    description: "The recipient's decline message or acceptance greeting.",
  })
  responseMessage: string | null;

  /** The stored invitation as one viewer sees it (`view` from `lifecycle.viewAs`). */
  static of(record: InvitationRecord, v: InvitationView): Invitation {
    return Object.assign(new Invitation(), {
      id: record.id,
      senderId: record.senderId,
      recipientId: record.recipientId,
      message: record.message,
      sentAt: record.sentAt,
      status: v.status as InvitationStatus,
      respondedAt: v.respondedAt,
      responseMessage: v.responseMessage,
    });
  }
}

export const InvitationConnection = ConnectionType(Invitation, "Invitation");

@ObjectType({ simpleResolvers: true, description: "The result of sending an invitation." })
export class SendInvitationPayload {
  @Field(() => Invitation, {
    description:
      "The new invitation; or, when the recipient had invited you, theirs, now accepted.",
  })
  invitation: Invitation;

  @Field({ description: "True when sending connected you at once (crossing invitations)." })
  connected: boolean;
}

@ObjectType({
  simpleResolvers: true,
  description: "Pushed to a sender when the recipient declines their invitation.",
})
export class InvitationDeclinedEvent {
  @Field(() => Invitation, { description: "The declined invitation." })
  invitation: Invitation;

  @Field(() => String, { nullable: true, description: "The recipient's message, if any." })
  message: string | null;

  @Field({ description: "When it was declined." })
  declinedAt: Date;
}

@ObjectType({
  simpleResolvers: true,
  description: "One id a bulk action could not act on, and why.",
})
export class BulkInvitationFailure {
  @Field(() => ID, { description: "The id as given." })
  id: string;

  @Field({ description: "The error code this id alone would have had: NOT_FOUND or CONFLICT." })
  code: string;

  @Field({ description: "What went wrong, for people." })
  message: string;
}

@ObjectType({
  simpleResolvers: true,
  description: "The result of a bulk action on invitations (one transaction).",
})
export class BulkInvitationsPayload {
  @Field(() => [Invitation], { description: "The invitations acted on, as you now see them." })
  succeeded: Invitation[];

  @Field(() => [BulkInvitationFailure], { description: "The ids that were not acted on." })
  failed: BulkInvitationFailure[];
}
