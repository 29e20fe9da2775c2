import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { RedisProxy } from "./helpers/redis-proxy";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  MemoryRateLimiter,
  RedisRateLimiter,
  type Limit,
  type RateLimiter,
} from "../src/security/rate-limiter";

// The counters behind the logIn / signUp limits (test/abuse.test.ts covers them through the
// API). They run in real time, so windows here are short where one must be seen to end.

const REDIS_URL = process.env.REDIS_URL || null;

const open: RateLimiter[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

function track<T extends RateLimiter>(limiter: T): T {
  open.push(limiter);
  return limiter;
}

/** A namespace no other run on the same Redis uses. */
const freshNamespace = () => `test-${randomUUID()}`;

function sleepUntil(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
}

/** Counts `n` attempts that must all be allowed. */
async function allow(limit: Limit, key: string, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    expect(await limit.hit(key)).toEqual({ allowed: true, retryAfterMs: 0 });
  }
}

/** The end of the aligned window of `windowMs` that holds `time`. */
function windowEnd(windowMs: number, time = Date.now()): number {
  return (Math.floor(time / windowMs) + 1) * windowMs;
}

/** Waits for a window with at least `room` ms left: the attempts counted fall in one window. */
async function freshWindow(windowMs: number, room = windowMs / 2): Promise<void> {
  if (windowEnd(windowMs) - Date.now() < room) await sleepUntil(windowEnd(windowMs) + 20);
}

/**
 * A refusal whose wait ends where the current aligned window of `windowMs` ends: the same
 * moment for every key, whenever its first attempt was.
 */
async function expectRefused(limit: Limit, key: string, windowMs: number) {
  const hit = await limit.hit(key);
  expect(hit.allowed).toBe(false);
  expect(hit.retryAfterMs).toBeLessThanOrEqual(windowMs);
  // How far the wait's end is from the nearest window boundary (the clock moved a little).
  const off = (Date.now() + hit.retryAfterMs) % windowMs;
  expect(Math.min(off, windowMs - off)).toBeLessThan(50);
}

/** A redis:// address nothing listens on: every connection attempt is refused. */
async function deadRedisUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((res) => server.close(() => res()));
  return `redis://127.0.0.1:${port}`;
}

const backends: { name: string; make: () => RateLimiter }[] = [
  { name: "in memory", make: () => new MemoryRateLimiter() },
];
if (REDIS_URL) {
  backends.push({
    name: "in Redis",
    make: () => new RedisRateLimiter(REDIS_URL, freshNamespace()),
  });
}

for (const { name, make } of backends) {
  describe(`counters ${name}`, () => {
    async function started(): Promise<RateLimiter> {
      const limiter = track(make());
      await limiter.ready();
      return limiter;
    }

    it("allows `points` attempts per key in a window, then refuses with what is left of it", async () => {
      const limiter = await started();
      const limit = limiter.limit("logIn:email", 3, 60_000);
      await freshWindow(60_000, 5000);
      await allow(limit, "a", 3);
      await expectRefused(limit, "a", 60_000);
      // Refused attempts count too: still refused.
      await expectRefused(limit, "a", 60_000);
      // Other keys, and the same key under another limit, count apart.
      await allow(limit, "b", 3);
      await allow(limiter.limit("signUp:email", 3, 60_000), "a");
    });

    it("ends every key's window at the same aligned moment, and forgets the counts then", async () => {
      const limiter = await started();
      // 2 s: time enough to count a few attempts in one even on a busy machine.
      const limit = limiter.limit("logIn:ip", 1, 2000);
      await sleepUntil(windowEnd(2000) + 20); // a window just begun
      const end = windowEnd(2000);
      await allow(limit, "early");
      await sleepUntil(Date.now() + 300);
      await allow(limit, "late");
      // The wait of a key first tried 300 ms later ends at the same moment: no wait dates it.
      await expectRefused(limit, "early", 2000);
      await expectRefused(limit, "late", 2000);
      await sleepUntil(end + 50);
      await allow(limit, "early");
      await allow(limit, "late");
    });

    it("counts only whole-second windows (the library counts in seconds)", async () => {
      const limiter = await started();
      expect(() => limiter.limit("x", 1, 1500)).toThrow(RangeError);
      expect(() => limiter.limit("x", 1, 0)).toThrow(RangeError);
    });
  });
}

describe("counters in memory", () => {
  it("hold at most maxKeys keys, forgetting the least recently counted first", async () => {
    const limiter = track(new MemoryRateLimiter(3));
    const limit = limiter.limit("logIn:ip", 1, 60_000);
    await allow(limit, "a");
    await allow(limit, "b");
    await allow(limit, "c");
    expect((await limit.hit("b")).allowed).toBe(false); // b is now the most recent
    await allow(limit, "d"); // a 4th key: a, the least recent, is forgotten
    await allow(limit, "a"); // counted afresh; c is forgotten to make room
    for (const key of ["b", "d", "a"]) expect((await limit.hit(key)).allowed).toBe(false);
    await allow(limit, "c");
  });

  it("share the bound between limits", async () => {
    const limiter = track(new MemoryRateLimiter(2));
    const [one, two] = [limiter.limit("one", 1, 60_000), limiter.limit("two", 1, 60_000)];
    await allow(one, "k");
    await allow(two, "k");
    await allow(two, "other"); // one's k is the least recent
    await allow(one, "k");
  });

  it("forget every count on close", async () => {
    const limiter = new MemoryRateLimiter();
    const limit = limiter.limit("logIn:ip", 1, 60_000);
    await allow(limit, "k");
    await limiter.close();
    await allow(limit, "k");
    await limiter.close();
  });
});

describe("counters in Redis while Redis cannot be reached", () => {
  it("count in each instance instead: no error, and nothing let through unlimited", async () => {
    const url = await deadRedisUrl();
    const [first, second] = [
      track(new RedisRateLimiter(url, "unreachable")),
      track(new RedisRateLimiter(url, "unreachable")),
    ];
    await Promise.all([first.ready(200), second.ready(200)]);
    await freshWindow(60_000, 5000);
    const limit = first.limit("logIn:email", 2, 60_000);
    await allow(limit, "k", 2);
    await expectRefused(limit, "k", 60_000);
    // Each instance counts alone meanwhile.
    await allow(second.limit("logIn:email", 2, 60_000), "k", 2);
  });

  it("keep the fallback counters bounded too", async () => {
    const limiter = track(new RedisRateLimiter(await deadRedisUrl(), "unreachable", 2));
    await limiter.ready(200);
    const limit = limiter.limit("logIn:ip", 1, 60_000);
    await allow(limit, "a");
    await allow(limit, "b");
    await allow(limit, "c"); // a is forgotten
    expect((await limit.hit("c")).allowed).toBe(false);
    await allow(limit, "a");
  });
});

describe.runIf(REDIS_URL)("counters in Redis", () => {
  it("are shared by the instances of one namespace, not by another namespace", async () => {
    const namespace = freshNamespace();
    const [first, second, other] = [
      track(new RedisRateLimiter(REDIS_URL!, namespace)),
      track(new RedisRateLimiter(REDIS_URL!, namespace)),
      track(new RedisRateLimiter(REDIS_URL!, freshNamespace())),
    ];
    await Promise.all([first.ready(), second.ready(), other.ready()]);
    await freshWindow(60_000, 5000);
    await allow(first.limit("logIn:email", 2, 60_000), "k", 2);
    await expectRefused(second.limit("logIn:email", 2, 60_000), "k", 60_000);
    await allow(other.limit("logIn:email", 2, 60_000), "k");
  });

  it("fall back to this process during an outage, and go back to Redis after it", async () => {
    const proxy = await RedisProxy.start(new URL(REDIS_URL!));
    try {
      const limiter = track(new RedisRateLimiter(proxy.url, freshNamespace()));
      await limiter.ready();
      const connection = connectionOf(limiter);
      expect(connection.status).toBe("ready");
      const limit = limiter.limit("logIn:email", 2, 60_000);
      await freshWindow(60_000, 5000);
      await allow(limit, "k"); // 1 in Redis

      const lost = once(connection, "close");
      await proxy.cut();
      await lost;
      // The outage: counted in this process from 0, to the same limit, without an error.
      await allow(limit, "k", 2);
      await expectRefused(limit, "k", 60_000);

      await proxy.restore();
      await limiter.ready(10_000);
      expect(connection.status).toBe("ready");
      // Redis again, where the count is still 1: the outage's counts are not carried over.
      await allow(limit, "k");
      await expectRefused(limit, "k", 60_000);
    } finally {
      await proxy.stop();
    }
  });
});

/** The limiter's own Redis connection, to wait for it to see an outage begin and end. */
function connectionOf(limiter: RedisRateLimiter): Redis {
  return (limiter as unknown as { redis: Redis }).redis;
}
