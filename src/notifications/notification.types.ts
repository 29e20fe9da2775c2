import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Node } from "../common/node";
import { ConnectionType } from "../common/pagination";
import type { NotificationRecord } from "./notification.entity";

export enum NotificationKind {
  INVITATION_RECEIVED = "INVITATION_RECEIVED",
  INVITATION_ACCEPTED = "INVITATION_ACCEPTED",
  INVITATION_DECLINED = "INVITATION_DECLINED",
  INVITATION_REMINDER = "INVITATION_REMINDER",
}
registerEnumType(NotificationKind, {
  name: "NotificationKind",
  description: "What a notification is about.",
  valuesConfig: {
    INVITATION_RECEIVED: { description: "Someone invited you." },
    INVITATION_ACCEPTED: { description: "Your invitation was accepted (message: the greeting)." },
    INVITATION_DECLINED: { description: "Your invitation was declined (message: theirs, if any)." },
    INVITATION_REMINDER: { description: "An invitation is waiting for your answer." },
  },
});

/** A notification for the viewer; built from the stored row. */
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "Something that happened for the viewer.",
})
export class Notification implements Node {
  @Field(() => ID, { description: "Opaque identifier." })
  id: string;

  @Field(() => NotificationKind, { description: "What it is about." })
  kind: NotificationKind;

  recipientId: string;
  seq: number;
  actorId: string | null;
  invitationId: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The message that came with it, e.g. the decline message or the greeting.",
  })
  message: string | null;

  @Field({ description: "Whether the viewer marked it read." })
  read: boolean;

  @Field({ description: "When it happened." })
  createdAt: Date;

  static from(r: NotificationRecord): Notification {
    return Object.assign(new Notification(), {
      id: r.id,
      recipientId: r.recipientId,
      seq: r.seq,
      kind: r.kind as NotificationKind,
      actorId: r.actorId,
      invitationId: r.invitationId,
      message: r.message,
      read: r.read,
      createdAt: r.createdAt,
    });
  }
}

export const NotificationConnection = ConnectionType(Notification, "Notification");
