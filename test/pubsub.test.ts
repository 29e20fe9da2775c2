/**
 * The pubsub through Redis (runs only with REDIS_URL): a stream may rely on `ready` (from
 * `listening`) meaning that what any process publishes from then on reaches it. Redis acts on
 * a SUBSCRIBE only when the command arrives, so the test puts 100 ms between this process and
 * Redis (a TCP proxy that delays what it forwards) and publishes from a direct connection.
 */
import { randomUUID } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBroker, Topic, type Broker } from "../src/common/pubsub";
import { eagerSubscribe } from "../src/common/subscribe";
import { createLogger } from "../src/common/logger";
import { startLatencyProxy, type LatencyProxy } from "./helpers/latency-proxy";

const REDIS_URL = process.env.REDIS_URL;
const DELAY_MS = 100;
const logger = createLogger("silent");

/** `promise`, or a rejection if it takes longer than 2 s (a lost event never comes). */
function within<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error("no event within 2 s")), 2_000);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe.skipIf(!REDIS_URL)("pubsub through Redis", () => {
  let proxy: LatencyProxy;
  let far: Broker; // reaches Redis through the proxy
  let near: Broker; // reaches Redis directly
  let redis: Redis;

  beforeAll(async () => {
    const url = new URL(REDIS_URL!);
    proxy = await startLatencyProxy(
      { host: url.hostname, port: Number(url.port || 6379) },
      DELAY_MS,
    );
    const farUrl = new URL(REDIS_URL!);
    farUrl.hostname = proxy.host;
    farUrl.port = String(proxy.port);
    far = createBroker(farUrl.toString(), logger);
    near = createBroker(REDIS_URL!, logger);
    redis = new Redis(REDIS_URL!);
  });

  afterAll(async () => {
    await Promise.allSettled([far?.close(), near?.close(), redis?.quit()]);
    await proxy?.close();
  });

  it("ready waits for Redis to confirm the SUBSCRIBE, so an event published then arrives", async () => {
    for (let round = 0; round < 5; round++) {
      const memberId = randomUUID();
      const started = Date.now();
      const sub = eagerSubscribe(far.pubsub, Topic.NotificationAdded, memberId);
      await sub.ready;
      // The confirmation crossed the proxy: ready cannot have come sooner.
      expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 5);
      const [, subscribers] = (await redis.pubsub(
        "NUMSUB",
        `${Topic.NotificationAdded}:${memberId}`,
      )) as [string, number];
      expect(Number(subscribers)).toBe(1);

      near.pubsub.publish(Topic.NotificationAdded, memberId, { seq: round + 1 });
      expect(await within(sub.next())).toEqual({ done: false, value: { seq: round + 1 } });
      await sub.return?.();
    }
  });

  it("a second subscription on a channel already confirmed is ready at once", async () => {
    const memberId = randomUUID();
    const first = eagerSubscribe(far.pubsub, Topic.InvitationDeclined, memberId);
    await first.ready;
    const started = Date.now();
    const second = eagerSubscribe(far.pubsub, Topic.InvitationDeclined, memberId);
    await second.ready;
    expect(Date.now() - started).toBeLessThan(DELAY_MS);

    const payload = { invitationId: "i1", message: null, declinedAt: new Date(0).toISOString() };
    near.pubsub.publish(Topic.InvitationDeclined, memberId, payload);
    expect((await within(first.next())).value).toEqual(payload);
    expect((await within(second.next())).value).toEqual(payload);
    await Promise.all([first.return?.(), second.return?.()]);
  });
});

describe("pubsub in one process", () => {
  it("ready is at once", async () => {
    const local = createBroker(null, logger);
    const sub = eagerSubscribe(local.pubsub, Topic.NotificationAdded, "m1");
    await sub.ready;
    local.pubsub.publish(Topic.NotificationAdded, "m1", { seq: 1 });
    expect((await within(sub.next())).value).toEqual({ seq: 1 });
    await sub.return?.();
    await local.close();
  });
});

describe("pubsub with Redis unreachable", () => {
  it("logs each failure as a JSON line, without the event's payload, and the process goes on", async () => {
    // A port nothing listens on: every connection attempt is refused.
    const server = createServer();
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((res) => server.close(() => res()));

    const lines: Record<string, unknown>[] = [];
    const logger = createLogger("error", {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const handle = createBroker(`redis://127.0.0.1:${port}`, logger);
    try {
      const secret = "a decline message that must not reach the logs";
      handle.pubsub.publish(Topic.InvitationDeclined, "m1", {
        invitationId: "i1",
        message: secret,
        declinedAt: new Date(0).toISOString(),
      });
      const deadline = Date.now() + 10_000;
      while (!lines.some((l) => l.msg === "redis publish failed") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(lines.find((l) => l.msg === "redis publish failed")).toMatchObject({
        level: "error",
        reason: expect.any(String),
      });
      expect(lines.find((l) => l.msg === "redis connection error")).toMatchObject({
        level: "error",
        reason: expect.stringContaining("ECONNREFUSED"),
      });
      expect(JSON.stringify(lines)).not.toContain(secret);
      expect((await handle.health()).ok).toBe(false);
    } finally {
      await handle.close();
    }
  }, 20_000);
});
