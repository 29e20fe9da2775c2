import { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";

/** The outcome of counting one attempt against a limit. */
export interface Hit {
  allowed: boolean;
  /** Milliseconds until the window that refused it ends (0 when allowed). */
  retryAfterMs: number;
}

/** At most so many attempts per key in each window: see `RateLimiter.limit`. */
export interface Limit {
  /** Counts one attempt for `key` and says whether it is within the limit. */
  hit(key: string): Promise<Hit>;
}

/**
 * Fixed-window counters, kept by rate-limiter-flexible. Windows are aligned on multiples of the
 * limit's window (see `limitOf`); attempts past the limit are refused (and still counted) until
 * the window ends. Windows run in real time (Date.now, Redis expiry), not on the app's Clock:
 * the library has no clock to pass. A fixed window lets up to twice the limit through around a
 * window's edge: simple, and enough to make guessing passwords or mass sign-ups slow.
 */
export interface RateLimiter {
  /**
   * A limit of `points` attempts per key in each window of `windowMs` (whole seconds: the
   * library counts in seconds). `name` keeps its counters apart from other limits': give each
   * limit its own, once, when the app starts.
   */
  limit(name: string, points: number, windowMs: number): Limit;
  /** Resolves once the counters can be reached (or it is clear they cannot, yet). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The window in whole seconds; anything else would be rounded by the library (0: never ends). */
function windowSeconds(windowMs: number): number {
  if (!Number.isInteger(windowMs / 1000) || windowMs < 1000) {
    throw new RangeError(`A rate-limit window is whole seconds, not ${windowMs} ms`);
  }
  return windowMs / 1000;
}

/**
 * `limiter` as a Limit, in windows aligned on multiples of `windowMs` of the clock: the
 * window's number is part of the key. The library's own windows start at a key's first
 * attempt, so the wait it reports would tell when that first attempt was: a member's email,
 * limited, would date the last time anyone tried to log in as them. An aligned window ends at
 * the same moment for every key, whoever tried when.
 */
function limitOf(limiter: RateLimiterAbstract, windowMs: number): Limit {
  return {
    async hit(key) {
      const now = Date.now();
      const index = Math.floor(now / windowMs);
      try {
        await limiter.consume(`${key}:${index}`);
        return { allowed: true, retryAfterMs: 0 };
      } catch (refusal) {
        // Anything but a RateLimiterRes is a failure of the counters, not a refusal: let it show.
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        return { allowed: false, retryAfterMs: (index + 1) * windowMs - now };
      }
    },
  };
}

/**
 * RateLimiterMemory limiters sharing one bound on the keys they hold. The library forgets a key
 * when its window ends, but holds every key counted within a window, and a flood of new ones
 * (many addresses, made-up emails) could grow that without end: past `maxKeys` the least
 * recently counted key is forgotten, which only lets a few attempts more through.
 */
class MemoryCounters {
  private readonly keys: LRUCache<string, BoundedRateLimiterMemory>;

  constructor(maxKeys = 100_000) {
    this.keys = new LRUCache({
      max: maxKeys,
      noDisposeOnSet: true,
      dispose: (limiter, key, reason) => {
        if (reason === "evict") limiter.forget(key);
      },
    });
  }

  limiter(name: string, points: number, windowMs: number): RateLimiterMemory {
    const duration = windowSeconds(windowMs);
    return new BoundedRateLimiterMemory({ keyPrefix: name, points, duration }, this.keys);
  }

  /** Forgets every key (and stops the library's timer for each). */
  clear(): void {
    for (const [key, limiter] of this.keys.entries()) limiter.forget(key);
    this.keys.clear();
  }
}

/** A RateLimiterMemory that enters each key it counts in `keys` (see MemoryCounters). */
class BoundedRateLimiterMemory extends RateLimiterMemory {
  constructor(
    opts: { keyPrefix: string; points: number; duration: number },
    private readonly keys: LRUCache<string, BoundedRateLimiterMemory>,
  ) {
    super(opts);
  }

  // Also what RateLimiterRedis calls on its insurance limiter while Redis fails.
  override consume(
    key: string | number,
    points?: number,
    options?: { [key: string]: unknown },
  ): Promise<RateLimiterRes> {
    this.keys.set(this.getKey(String(key)), this);
    return super.consume(key, points, options);
  }

  /** Drops the counter stored under `storedKey` (the key with this limiter's prefix). */
  forget(storedKey: string): void {
    void this.delete(this.parseKey(storedKey));
  }
}

/** Counters in this process: right for one instance. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counters: MemoryCounters;

  constructor(maxKeys?: number) {
    this.counters = new MemoryCounters(maxKeys);
  }

  limit(name: string, points: number, windowMs: number): Limit {
    return limitOf(this.counters.limiter(name, points, windowMs), windowMs);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.counters.clear();
  }
}

/**
 * Counters in Redis, shared by every instance that uses the same Redis and `namespace` (the
 * server passes one derived from its database, so instances of one deployment share them and
 * test servers on one Redis do not). While Redis cannot answer, each limit counts in this
 * process instead (the library's insurance limiter), so attempts are neither all refused nor
 * let through unlimited; those counts are not carried over to Redis when it is back.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly fallback: MemoryCounters;

  constructor(
    redisUrl: string,
    private readonly namespace: string,
    maxFallbackKeys?: number,
  ) {
    // No offline queue: while disconnected a command fails at once and the fallback answers.
    this.redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.redis.on("error", () => {
      /* ioredis reconnects by itself; the fallback covers the meantime */
    });
    this.fallback = new MemoryCounters(maxFallbackKeys);
  }

  limit(name: string, points: number, windowMs: number): Limit {
    return limitOf(
      new RateLimiterRedis({
        storeClient: this.redis,
        // Not ready (connecting, reconnecting): straight to the fallback, without trying.
        rejectIfRedisNotReady: true,
        keyPrefix: `rl:${this.namespace}:${name}`,
        points,
        duration: windowSeconds(windowMs),
        insuranceLimiter: this.fallback.limiter(name, points, windowMs),
      }),
      windowMs,
    );
  }

  /**
   * Waits for the connection (at most `timeoutMs`), so the first attempts after a start are
   * counted in Redis rather than in the fallback.
   */
  async ready(timeoutMs = 2000): Promise<void> {
    if (this.redis.status === "ready") return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off("ready", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.redis.once("ready", done);
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    this.fallback.clear();
  }
}

/**
 * The limiter for `config`: in Redis when REDIS_URL is set (shared by the instances of one
 * deployment, named by `namespace`), else in this process. Resolves once it can count.
 */
export async function createRateLimiter(
  config: { redisUrl: string | null },
  namespace: string,
): Promise<RateLimiter> {
  const limiter = config.redisUrl
    ? new RedisRateLimiter(config.redisUrl, namespace)
    : new MemoryRateLimiter();
  await limiter.ready();
  return limiter;
}
