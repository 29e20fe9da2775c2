import type { AppPubSub, Topics } from "./pubsub";

/** A started subscription: its events, and when events from every process reach it. */
export interface EagerSubscription<T> extends AsyncIterableIterator<T> {
  /** Resolves once what any process publishes from then on arrives (see `listening`). */
  ready: Promise<void>;
}

/**
 * Subscribes to a per-member topic and starts listening at once. The pubsub's own iterator
 * only registers its listener on the first `next()`, which graphql-ws calls after the
 * operation is set up; an event published in between would be lost.
 */
export function eagerSubscribe<K extends keyof Topics>(
  pubsub: AppPubSub,
  topic: K,
  memberId: string,
): EagerSubscription<Topics[K][1]> {
  const iterable = (pubsub.subscribe as (t: string, id: string) => AsyncIterable<Topics[K][1]>)(
    topic,
    memberId,
  );
  const it = iterable[Symbol.asyncIterator]();
  // The first next() runs the pubsub's executor, which adds the listener (and, through
  // Redis, sends the SUBSCRIBE) before it returns; `listening` then sees that SUBSCRIBE.
  let first: Promise<IteratorResult<Topics[K][1]>> | null = it.next();
  return {
    ready: pubsub.listening(topic, memberId),
    next() {
      if (first) {
        const f = first;
        first = null;
        return f;
      }
      return it.next();
    },
    return(value?: unknown) {
      first = null;
      return it.return ? it.return(value) : Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
