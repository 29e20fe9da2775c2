import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { setMaxListeners } from "node:events";
import { createPubSub } from "@graphql-yoga/subscription";
import { Redis } from "ioredis";
import type { Logger } from "./logger";

/**
 * Topics, each published per member id (the recipient of the event), never on one shared
 * topic with a filter: a per-member topic reaches only its subscribers, where a filter offers
 * every event to every subscriber (docs/decisions/per-member-topics.md). Payloads are
 * signals; the stored rows are the truth.
 */
export const Topic = {
  NotificationAdded: "NOTIFICATION_ADDED",
  InvitationReceived: "INVITATION_RECEIVED",
  InvitationAccepted: "INVITATION_ACCEPTED",
  InvitationDeclined: "INVITATION_DECLINED",
  /** The member deleted their account: their sockets close (on every instance). */
  AccountDeleted: "ACCOUNT_DELETED",
} as const;

export interface InvitationSignal {
  invitationId: string;
}

export interface DeclineSignal extends InvitationSignal {
  message: string | null;
  declinedAt: string;
}

export type Topics = {
  // `mail`: the notification is to be e-mailed now (its recipient's choice is IMMEDIATELY).
  [Topic.NotificationAdded]: [memberId: string, payload: { seq: number; mail?: true }];
  [Topic.InvitationReceived]: [memberId: string, payload: InvitationSignal];
  [Topic.InvitationAccepted]: [memberId: string, payload: InvitationSignal];
  [Topic.InvitationDeclined]: [memberId: string, payload: DeclineSignal];
  [Topic.AccountDeleted]: [memberId: string, payload: Record<string, never>];
};

export type AppPubSub = ReturnType<typeof createPubSub<Topics>> & {
  /**
   * Resolves once this process receives what is published on `topic` for `memberId` from
   * anywhere, for a subscription already started. In-process that is at once; through
   * Redis, when Redis has confirmed the SUBSCRIBE (until then its messages do not come here).
   */
  listening(topic: keyof Topics, memberId: string): Promise<void>;
};

/** The in-process pubsub: one per process (tests, a single server). */
export function createAppPubSub(): AppPubSub {
  const eventTarget = new EventTarget();
  // One listener per subscription on a member's topic: a member may hold up to
  // WS_MAX_CONNECTIONS_PER_MEMBER × WS_MAX_SUBSCRIPTIONS_PER_CONNECTION of them, far past
  // Node's default of 10 that prints MaxListenersExceededWarning. The limits bound it.
  setMaxListeners(0, eventTarget);
  return { ...createPubSub<Topics>({ eventTarget }), listening: () => Promise.resolve() };
}

/**
 * The connection the pubsub travels through (in-process, or Redis), with what the server needs
 * to report on it and shut it down.
 */
export interface Broker {
  pubsub: AppPubSub;
  /** "in-process", or Redis's state for /healthz. */
  health(): Promise<{ kind: "in-process" | "redis"; ok: boolean }>;
  /** Calls `listener` with the topic of every event this process publishes (for metrics). */
  onPublish(listener: (topic: keyof Topics) => void): void;
  close(): Promise<void>;
}

/**
 * `pubsub` with its `publish` telling `listeners` first. Events that arrive from other
 * instances through Redis are not publishes of this process and are not told.
 */
function announcing(pubsub: AppPubSub, listeners: Set<(topic: keyof Topics) => void>): AppPubSub {
  const publish = pubsub.publish.bind(pubsub) as (topic: keyof Topics, ...args: unknown[]) => void;
  return {
    ...pubsub,
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
export function createBroker(redisUrl: string | null, logger: Logger): Broker {
  const listeners = new Set<(topic: keyof Topics) => void>();
  const onPublish = (listener: (topic: keyof Topics) => void) => void listeners.add(listener);
  if (!redisUrl) {
    return {
      pubsub: announcing(createAppPubSub(), listeners),
      health: async () => ({ kind: "in-process", ok: true }),
      onPublish,
      close: async () => {},
    };
  }
  // Auto-pipelining: the signals of one commit (and of commits in the same turn) go out in
  // one write to Redis instead of one each.
  const options = { maxRetriesPerRequest: 3, lazyConnect: false, enableAutoPipelining: true };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  for (const client of [publishClient, subscribeClient]) {
    // ioredis reconnects by itself; without a listener an error event would crash the process.
    // Only the message: an error can carry the failed command's arguments (an event's payload).
    client.on("error", (err) => logger.error({ reason: err.message }, "redis connection error"));
  }
  // The Redis event target sends SUBSCRIBE without waiting for Redis to confirm it; what is
  // published in between never reaches this process. Each channel's unconfirmed SUBSCRIBE is
  // kept here so a stream can wait for it (`listening`) before it reads what it may have missed.
  const subscribing = new Map<string, Promise<void>>();
  const onSubscribe = (channel: string, confirmed: Promise<void>) => {
    subscribing.set(channel, confirmed);
    void confirmed.then(() => {
      if (subscribing.get(channel) === confirmed) subscribing.delete(channel);
    });
  };
  const eventTarget = createRedisEventTarget({
    publishClient: failSoft(publishClient, logger),
    subscribeClient: failSoft(subscribeClient, logger, onSubscribe),
  });
  const redisPubsub: AppPubSub = {
    ...createPubSub<Topics>({ eventTarget }),
    // The channel is the pubsub's topic id, `${topic}:${memberId}` (@graphql-yoga/subscription).
    listening: (topic, memberId) => subscribing.get(`${topic}:${memberId}`) ?? Promise.resolve(),
  };
  return {
    pubsub: announcing(redisPubsub, listeners),
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

/** One signal to publish after its transaction commits: a topic, its member, a payload. */
export type Signal = {
  [K in keyof Topics]: { topic: K; memberId: string; payload: Topics[K][1] };
}[keyof Topics];

/** Publishes the signals a committed transaction recorded. */
export function publishAll(pubsub: AppPubSub, signals: Signal[]): void {
  for (const e of signals) {
    (pubsub.publish as (t: string, id: string, p: unknown) => void)(e.topic, e.memberId, e.payload);
  }
}

/**
 * The Redis event target calls publish/subscribe/unsubscribe without handling their
 * failure; while Redis is down ioredis rejects them and the rejection would end the process.
 * A lost signal costs nothing durable (clients resume from the stored notifications), so
 * log it and go on.
 */
function failSoft(
  client: Redis,
  logger: Logger,
  onSubscribe?: (channel: string, confirmed: Promise<void>) => void,
): Redis {
  const guarded = new Set(["publish", "subscribe", "unsubscribe"]);
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (!guarded.has(String(prop))) return value.bind(target);
      return (...args: unknown[]) => {
        const settled = Promise.resolve(value.apply(target, args)).then(
          () => undefined,
          (err: Error) => {
            logger.error({ reason: err.message }, `redis ${String(prop)} failed`);
          },
        );
        // The event target subscribes one channel per call.
        if (prop === "subscribe" && onSubscribe) onSubscribe(String(args[0]), settled);
        return settled;
      };
    },
  });
}
