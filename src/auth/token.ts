import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { LRUCache } from "lru-cache";

// jsonwebtoken, given a string secret, first tries to read it as a public key (which throws)
// and then builds a secret key, on every call: a quarter of a request's CPU here. Build the
// key once per secret.
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, "utf8"))));
  return key;
}

// Verified tokens, so a client's repeated requests skip the HMAC check and JSON parsing.
// Bounded; an entry lives until the token's own expiry.
const verified = new LRUCache<string, { sub: string; exp: number }>({ max: 10_000 });

/** Signs a token naming the member (`sub`), HS256, expiring after `expiresIn`. */
export function signToken(memberId: string, secret: string, expiresIn: string): string {
  return jwt.sign({}, keyOf(secret), {
    subject: memberId,
    expiresIn: expiresIn as jwt.SignOptions["expiresIn"],
    algorithm: "HS256",
  });
}

/** The member a valid token names, and when it expires (epoch ms; null if it never does). */
export interface TokenClaims {
  memberId: string;
  expiresAt: number | null;
}

/** The claims of a valid token, or null for anything else (bad, expired, forged). */
export function verifyTokenClaims(token: string, secret: string): TokenClaims | null {
  const claims = check(token, secret);
  if (!claims) return null;
  return { memberId: claims.sub, expiresAt: claims.exp === null ? null : claims.exp * 1000 };
}

/** `sub` and `exp` (seconds) of a valid token; the cached entry itself on a hit. */
function check(token: string, secret: string): { sub: string; exp: number | null } | null {
  const cacheKey = secret + "\u0000" + token;
  const hit = verified.get(cacheKey);
  if (hit) return hit;
  try {
    const payload = jwt.verify(token, keyOf(secret), { algorithms: ["HS256"] });
    if (typeof payload !== "object" || typeof payload.sub !== "string") return null;
    if (typeof payload.exp !== "number") return { sub: payload.sub, exp: null };
    const entry = { sub: payload.sub, exp: payload.exp };
    const ttl = entry.exp * 1000 - Date.now();
    if (ttl > 0) verified.set(cacheKey, entry, { ttl });
    return entry;
  } catch {
    return null;
  }
}

/** The token of an `Authorization: Bearer <token>` value; null when the value has another form. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== "string") return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
