import { GraphQLError } from "graphql";
import { LRUCache } from "lru-cache";
import { ErrorCode } from "../common/errors";
import type { Deps } from "../deps";
import { Member } from "../members/member.entity";
import { bearerToken, verifyTokenClaims, type TokenClaims } from "./token";

/** Who a valid token names, and when the token expires (epoch ms). */
export interface TokenHolder {
  id: string;
  expiresAt: number;
}

/**
 * Turns the `Authorization: Bearer <token>` of an HTTP request or of a WebSocket's
 * `connectionParams` into the member it names.
 */
export class Authenticator {
  // Members are never deleted, so a member once found stays found: remember them and save a
  // query on every request (bounded, in case of a flood of valid tokens).
  private readonly known = new LRUCache<string, true>({ max: 100_000 });
  // Verified tokens, so a client's repeated requests skip the HMAC check and JSON parsing.
  // Bounded; an entry lives until the token's own expiry.
  private readonly verified = new LRUCache<string, TokenClaims>({ max: 10_000 });

  constructor(private readonly deps: Pick<Deps, "reads" | "config">) {}

  /** The member a token names, if the token is valid and the member still exists. */
  async holderOf(token: string): Promise<TokenHolder | null> {
    const claims = this.claimsOf(token);
    if (!claims) return null;
    const id = claims.memberId;
    if (!this.known.get(id)) {
      if (!(await this.deps.reads.getRepository(Member).existsBy({ id }))) return null;
      this.known.set(id, true);
    }
    return { id, expiresAt: claims.expiresAt };
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
   * names no member (bad, expired, another form), a 401 UNAUTHENTICATED error to throw.
   */
  async viewerOfRequest(header: string | undefined): Promise<string | null> {
    if (!header) return null;
    const holder = await this.holderOfHeader(header);
    if (!holder) {
      throw new GraphQLError("The token is invalid or expired.", {
        extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
      });
    }
    return holder.id;
  }
}
