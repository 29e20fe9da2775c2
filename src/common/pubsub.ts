import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { setMaxListeners } from "node:events";
import { createPubSub } from "@graphql-yoga/subscription";
import { Redis } from "ioredis";

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

export type AppPubSub = ReturnType<typeof createPubSub<Topics>>;

/** The in-process pubsub: one per process (tests, a single server). */
export function createAppPubSub(): AppPubSub {
  const eventTarget = new EventTarget();
  // One listener per subscription on a member's topic: a member may hold up to
  // WS_MAX_CONNECTIONS_PER_MEMBER × WS_MAX_SUBSCRIPTIONS_PER_CONNECTION of them, far past
  // Node's default of 10 that prints MaxListenersExceededWarning. The limits bound it.
  setMaxListeners(0, eventTarget);
  return createPubSub<Topics>({ eventTarget });
}

/** A pubsub with what the server needs to report on it and shut it down. */
export interface PubSubHandle {
  pubSub: AppPubSub;
  /** "in-process", or Redis's state for /healthz. */
  health(): Promise<{ kind: "in-process" | "redis"; ok: boolean }>;
  /** Calls `listener` with the topic of every event this process publishes (for metrics). */
  onPublish(listener: (topic: keyof Topics) => void): void;
  close(): Promise<void>;
}

/**
 * `pubSub` with its `publish` telling `listeners` first. Events that arrive from other
 * instances through Redis are not publishes of this process and are not told.
 */
function announcing(pubSub: AppPubSub, listeners: Set<(topic: keyof Topics) => void>): AppPubSub {
  const publish = pubSub.publish.bind(pubSub) as (topic: keyof Topics, ...args: unknown[]) => void;
  return {
    ...pubSub,
    publish: ((topic: keyof Topics, ...args: unknown[]) => {
      for (const listener of listeners) listener(topic);
      publish(topic, ...args);
    }) as AppPubSub["publish"],
  };
}

/**
 * In-process without `redisUrl`; otherwise through Redis (two connections: one publishes,
 * one subscribes), so an event published by any instance reaches subscribers on every
 * instance. The per-member topic ids become Redis channels one to one. Redis carries
 * signals only: a subscriber that missed one (Redis restarting, a reconnect) recovers from
 * the stored notifications with `notificationAdded(after:)`.
 */
export function createPubSubHandle(redisUrl: string | null): PubSubHandle {
  const listeners = new Set<(topic: keyof Topics) => void>();
  const onPublish = (listener: (topic: keyof Topics) => void) => void listeners.add(listener);
  if (!redisUrl) {
    return {
      pubSub: announcing(createAppPubSub(), listeners),
      health: async () => ({ kind: "in-process", ok: true }),
      onPublish,
      close: async () => {},
    };
  }
  const options = { maxRetriesPerRequest: 3, lazyConnect: false };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  for (const client of [publishClient, subscribeClient]) {
    // ioredis reconnects by itself; without a listener an error event would crash the process.
    client.on("error", (err) => console.error(`redis: ${err.message}`));
  }
  const eventTarget = createRedisEventTarget({
    publishClient: failSoft(publishClient),
    subscribeClient: failSoft(subscribeClient),
  });
  return {
    pubSub: announcing(createPubSub<Topics>({ eventTarget }), listeners),
    onPublish,
    health: async () => {
      try {
        return { kind: "redis", ok: (await publishClient.ping()) === "PONG" };
      } catch {
        return { kind: "redis", ok: false };
      }
    },
    close: async () => {
      await Promise.all([publishClient.quit(), subscribeClient.quit()]).catch(() => undefined);
    },
  };
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

/**
 * The Redis event target calls publish/subscribe/unsubscribe without handling their
 * failure; while Redis is down ioredis rejects them and the rejection would end the process.
 * A lost signal costs nothing durable (clients resume from the stored notifications), so
 * log it and go on.
 */
function failSoft(client: Redis): Redis {
  const guarded = new Set(["publish", "subscribe", "unsubscribe"]);
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (!guarded.has(String(prop))) return value.bind(target);
      return (...args: unknown[]) =>
        Promise.resolve(value.apply(target, args)).catch((err: Error) => {
          console.error(`redis ${String(prop)} failed: ${err.message}`);
        });
    },
  });
}
