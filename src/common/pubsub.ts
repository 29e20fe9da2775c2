import { createPubSub } from "@graphql-yoga/subscription";

/**
 * Topics, each published per member id (the recipient of the event), never on one shared
 * topic with a filter: a per-member topic reaches only its subscribers (DESIGN.md measured
 * the difference). Payloads are signals; the stored rows are the truth.
 */
export const Topic = {
  NotificationAdded: "NOTIFICATION_ADDED",
  InvitationReceived: "INVITATION_RECEIVED",
  InvitationAccepted: "INVITATION_ACCEPTED",
  InvitationDeclined: "INVITATION_DECLINED",
} as const;

export interface InvitationSignal {
  invitationId: string;
}

export interface DeclineSignal extends InvitationSignal {
  message: string | null;
  declinedAt: string;
}

export type Topics = {
  [Topic.NotificationAdded]: [memberId: string, payload: { seq: number }];
  [Topic.InvitationReceived]: [memberId: string, payload: InvitationSignal];
  [Topic.InvitationAccepted]: [memberId: string, payload: InvitationSignal];
  [Topic.InvitationDeclined]: [memberId: string, payload: DeclineSignal];
};

export type AppPubSub = ReturnType<typeof createAppPubSub>;

/** The in-process pubsub (one instance per server). */
export function createAppPubSub() {
  return createPubSub<Topics>();
}

/** One event to publish after its transaction commits. */
export type PendingEvent = {
  [K in keyof Topics]: { topic: K; memberId: string; payload: Topics[K][1] };
}[keyof Topics];

/** Publishes events collected during a committed transaction. */
export function publishAll(pubSub: AppPubSub, events: PendingEvent[]): void {
  for (const e of events) {
    (pubSub.publish as (t: string, id: string, p: unknown) => void)(e.topic, e.memberId, e.payload);
  }
}
