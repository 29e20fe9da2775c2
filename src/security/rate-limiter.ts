import { Redis } from "ioredis";
import type { Clock } from "../common/clock";

/** The outcome of counting one attempt against a limit. */
export interface Hit {
  allowed: boolean;
  /** Milliseconds until the window that refused it ends (0 when allowed). */
  retryAfterMs: number;
}

/**
 * Fixed-window counters: `hit(key, limit, windowMs)` counts one attempt in the current window
 * (windows are aligned on multiples of `windowMs` of the clock) and says whether it is within
 * `limit`. Time comes from the app's clock, so tests move a ManualClock instead of waiting.
 * A fixed window lets up to twice the limit through around a window's edge: simple, and
 * enough to make guessing passwords or mass sign-ups slow.
 */
export interface RateLimiter {
  hit(key: string, limit: number, windowMs: number): Promise<Hit>;
  /** Resolves once the counters can be reached (or it is clear they cannot, yet). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Where a window ends and how many milliseconds are left of it. */
function windowOf(now: number, windowMs: number): { index: number; leftMs: number } {
  const index = Math.floor(now / windowMs);
  return { index, leftMs: (index + 1) * windowMs - now };
}

/**
 * Counters in this process: right for one instance. Bounded: past `maxKeys` keys, ended
 * windows are dropped first, then the oldest keys (a flood of new keys can then forget a
 * counter early, which only lets a few attempts more through).
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { index: number; count: number; endsAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {}

  async hit(key: string, limit: number, windowMs: number): Promise<Hit> {
    const now = this.clock.now().getTime();
    const { index, leftMs } = windowOf(now, windowMs);
    let counter = this.counters.get(key);
    if (!counter || counter.index !== index) {
      if (!counter && this.counters.size >= this.maxKeys) this.makeRoom(now);
      counter = { index, count: 0, endsAt: now + leftMs };
      this.counters.set(key, counter);
    }
    counter.count += 1;
    return counter.count <= limit
      ? { allowed: true, retryAfterMs: 0 }
      : { allowed: false, retryAfterMs: leftMs };
  }

  async ready(): Promise<void> {}

  private makeRoom(now: number): void {
    for (const [key, c] of this.counters) if (c.endsAt <= now) this.counters.delete(key);
    // Still full: forget the oldest tenth at once rather than one key per hit.
    const excess = this.counters.size - Math.floor(this.maxKeys * 0.9);
    if (excess > 0) {
      let n = 0;
      for (const key of this.counters.keys()) {
        if (n++ >= excess) break;
        this.counters.delete(key);
      }
    }
  }

  async close(): Promise<void> {
    this.counters.clear();
  }
}

// INCR the window's key and set it to expire with the window (plus a second of slack for
// clock differences between instances); returns the count.
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/**
 * Counters in Redis, shared by every instance that uses the same Redis and `namespace` (the
 * server passes one derived from its database, so instances of one deployment share them).
 * While Redis cannot answer, each instance falls back to its own counters instead of
 * refusing every log-in or letting every attempt through.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly fallback: MemoryRateLimiter;

  constructor(
    redisUrl: string,
    private readonly namespace: string,
    private readonly clock: Clock,
  ) {
    // No offline queue: while disconnected a command fails at once and the fallback answers.
    this.redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.redis.on("error", () => {
      /* ioredis reconnects by itself; the fallback covers the meantime */
    });
    this.fallback = new MemoryRateLimiter(clock);
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

  async hit(key: string, limit: number, windowMs: number): Promise<Hit> {
    const { index, leftMs } = windowOf(this.clock.now().getTime(), windowMs);
    try {
      const count = Number(
        await this.redis.eval(HIT_SCRIPT, 1, `rl:${this.namespace}:${key}:${index}`, leftMs + 1000),
      );
      return count <= limit
        ? { allowed: true, retryAfterMs: 0 }
        : { allowed: false, retryAfterMs: leftMs };
    } catch {
      return this.fallback.hit(key, limit, windowMs);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.fallback.close();
  }
}

/**
 * The limiter for `config`: in Redis when REDIS_URL is set (shared by the instances of one
 * deployment, named by `namespace`), else in this process. Resolves once it can count.
 */
export async function createRateLimiter(
  config: { redisUrl: string | null },
  namespace: string,
  clock: Clock,
): Promise<RateLimiter> {
  const limiter = config.redisUrl
    ? new RedisRateLimiter(config.redisUrl, namespace, clock)
    : new MemoryRateLimiter(clock);
  await limiter.ready();
  return limiter;
}
