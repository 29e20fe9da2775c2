import { GraphQLError } from "graphql";
import { LRUCache } from "lru-cache";
import { ErrorCode } from "../common/errors";
import { Topic } from "../common/pubsub";
import { eagerSubscribe } from "../common/subscribe";
import { existenceKey, type Stamp } from "../db/changes";
import type { Deps } from "../deps";
import { Member } from "../members/member.entity";
import { bearerToken, verifyTokenClaims, type TokenClaims } from "./token";

/** What a token that names no member is told (bad, expired, its account deleted). */
export const TOKEN_REFUSED = "The token is invalid or expired.";

/** Who a valid token names, and when the token expires (epoch ms). */
export interface TokenHolder {
  id: string;
  expiresAt: number;
}

/**
 * Turns the `Authorization: Bearer <token>` of an HTTP request or of a WebSocket's
 * `connectionParams` into the member it names, and tells a socket when its member is gone.
 */
export class Authenticator {
  // Members found, each with the version of their existence when found (a key of the
  // response cache's versions that only the account's deletion moves: db/changes.ts), to save
  // a query on every request. The writer moves it before the deletion answers (on every
  // instance through Redis; another process on a SQLite file moves the epoch), so a deleted
  // member's token is refused at once, everywhere. Not the member's own version: that one
  // moves with every write they take part in, and a lookup after each cost sends and declines
  // a sixth statement. Without versions (PostgreSQL without Redis), or while they cannot
  // answer, every request looks the member up. Bounded, in case of a flood of valid tokens.
  private readonly known = new LRUCache<string, Stamp>({ max: 100_000 });
  // Verified tokens, so a client's repeated requests skip the HMAC check and JSON parsing.
  // Bounded; an entry lives until the token's own expiry.
  private readonly verified = new LRUCache<string, TokenClaims>({ max: 10_000 });

  constructor(private readonly deps: Pick<Deps, "reads" | "config" | "writer" | "pubsub">) {}

  /** The member a token names, if the token is valid and the member still exists. */
  async holderOf(token: string): Promise<TokenHolder | null> {
    const claims = this.claimsOf(token);
    if (!claims) return null;
    if (!(await this.exists(claims.memberId))) return null;
    return { id: claims.memberId, expiresAt: claims.expiresAt };
  }

  /** Whether the member exists; from memory while their existence's version has not moved. */
  async exists(id: string): Promise<boolean> {
    const versions = this.deps.writer.versions;
    // Read before the lookup: a deletion committed after it moves the version past this one.
    const stamp = versions ? await versions.stamp(existenceKey(id), false) : null;
    if (stamp !== null && this.known.get(id) === stamp) return true;
    const found = await this.deps.reads.getRepository(Member).existsBy({ id });
    if (found && stamp !== null) this.known.set(id, stamp);
    else this.known.delete(id);
    return found;
  }

  /**
   * Calls `onGone` once if member `id` deletes their account while this watch lasts, whichever
   * instance the deletion ran on, or if they were gone by the time it started (a deletion
   * between a socket's token check and this watch). Returns the function that ends the watch.
   */
  watch(id: string, onGone: () => void): () => void {
    const signals = eagerSubscribe(this.deps.pubsub, Topic.AccountDeleted, id);
    let watching = true;
    const gone = () => {
      if (!watching) return;
      stop();
      onGone();
    };
    const stop = () => {
      watching = false;
      void signals.return?.();
    };
    void (async () => {
      try {
        const next = signals.next();
        // Through Redis, deletions published from here on reach this process: look once.
        await signals.ready;
        if (watching && !(await this.deps.reads.getRepository(Member).existsBy({ id }))) gone();
        if (!(await next).done) gone();
      } catch {
        // A failed lookup or a closed stream: the socket keeps its other checks.
      }
    })();
    return stop;
  }

  /** A valid token's claims, from the cache while the token lives. */
  private claimsOf(token: string): TokenClaims | null {
    const hit = this.verified.get(token);
    if (hit) return hit;
    const claims = verifyTokenClaims(token, this.deps.config.jwtSecret);
    const ttl = claims ? claims.expiresAt - Date.now() : 0;
    if (claims && ttl > 0) this.verified.set(token, claims, { ttl });
    return claims;
  }

  /** The member of an `Authorization` value (`Bearer <token>`), or null. */
  async holderOfHeader(value: unknown): Promise<TokenHolder | null> {
    const token = bearerToken(value);
    return token ? this.holderOf(token) : null;
  }

  /**
   * The viewer of an HTTP request: null without an Authorization header; for a header that
   * names no member (bad, expired, another form, a deleted account), a 401 UNAUTHENTICATED
   * error to throw.
   */
  async viewerOfRequest(header: string | undefined): Promise<string | null> {
    if (!header) return null;
    const holder = await this.holderOfHeader(header);
    if (!holder) {
      throw new GraphQLError(TOKEN_REFUSED, {
        extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
      });
    }
    return holder.id;
  }
}
