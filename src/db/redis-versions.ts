import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "../common/logger";
import type { Changes, Stamp, VersionStore } from "./changes";

/** A Redis command that takes longer is a failure: the cache steps aside rather than wait. */
const COMMAND_TIMEOUT_MS = 500;

/**
 * Versions shared by every instance of a deployment, in Redis (PostgreSQL with several
 * instances): one counter per member, one for the directory, and an epoch. A write INCRs the
 * counters of the members it changed (one MULTI) before its caller hears back, and a cached
 * answer is served only if the counters read now equal those read before it was computed, so
 * a read on any instance after a write on another is never answered from before it.
 *
 * Never stale, even when Redis fails:
 * - while Redis cannot answer, `stamp` is null: no instance serves from its cache or stores
 *   into it, and `onLost` flushes what it held (it may have missed other instances' writes);
 * - a write whose INCR failed leaves this instance owing a new epoch: until it has set one
 *   (which makes every instance's entries stale), it answers nothing from its cache;
 * - Redis restarted without its data: the epoch is gone, a new random one is set, and no
 *   counter that starts over from zero can match an old stamp.
 * The one case left: an instance cut off from Redis while the others still reach it; its
 * writes reach the others' caches only once it sets its new epoch (docs/security.md).
 */
export class RedisVersions implements VersionStore {
  private readonly redis: Redis;
  private owesEpoch = false;
  private lost = false;
  private readonly epochKey: string;
  private readonly directoryKey: string;
  /** Called when Redis stops answering: the cache drops everything it holds. */
  private onLost: () => void = () => {};

  constructor(
    redisUrl: string,
    private readonly namespace: string,
    private readonly logger: Logger,
  ) {
    // No offline queue: while disconnected a command fails at once instead of waiting.
    this.redis = new Redis(redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    this.redis.on("error", () => this.lose());
    this.redis.on("close", () => this.lose());
    this.epochKey = `cache:${namespace}:epoch`;
    this.directoryKey = `cache:${namespace}:directory`;
  }

  whenLost(onLost: () => void): void {
    this.onLost = onLost;
  }

  async stamp(memberId: string, directory: boolean): Promise<Stamp | null> {
    try {
      if (this.owesEpoch) await this.newEpoch();
      const keys = [this.epochKey, this.memberKey(memberId)];
      if (directory) keys.push(this.directoryKey);
      let [epoch, member, dir] = await this.redis.mget(keys);
      if (epoch === null) {
        // Never set, or Redis lost its data: start an epoch no old stamp can match (another
        // instance may have just started one: whichever came first stays).
        await this.redis.set(this.epochKey, randomUUID(), "NX");
        [epoch, member, dir] = await this.redis.mget(keys);
        if (epoch === null) return null;
      }
      this.lost = false;
      return `${epoch}:${member ?? 0}:${directory ? (dir ?? 0) : ""}`;
    } catch {
      this.lose();
      return null;
    }
  }

  async changed(changes: Changes): Promise<void> {
    const multi = this.redis.multi();
    for (const id of changes.members) multi.incr(this.memberKey(id));
    if (changes.directory) multi.incr(this.directoryKey);
    try {
      const results = await multi.exec();
      if (!results || results.some(([err]) => err)) throw new Error("MULTI failed");
    } catch (err) {
      // Other instances may now hold answers from before this write: until a new epoch is
      // set, this one serves nothing from its cache, and then no instance does from before.
      this.owesEpoch = true;
      this.lose();
      this.logger.error({ reason: (err as Error).message }, "cache versions: write not recorded");
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private memberKey(memberId: string): string {
    return `cache:${this.namespace}:m:${memberId}`;
  }

  private async newEpoch(): Promise<void> {
    await this.redis.set(this.epochKey, randomUUID());
    this.owesEpoch = false;
  }

  private lose(): void {
    if (this.lost) return;
    this.lost = true;
    this.onLost();
  }
}
