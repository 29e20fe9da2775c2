import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";

// jsonwebtoken, given a string secret, first tries to read it as a public key (which throws)
// and then builds a secret key, on every call: a quarter of a small request's CPU. Build the
// key once per secret (a memo of a pure function: it holds nothing a caller could observe).
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, "utf8"))));
  return key;
}

/** Signs a token naming the member (`sub`), HS256, expiring after `expiresIn`. */
export function signToken(memberId: string, secret: string, expiresIn: string): string {
  return jwt.sign({}, keyOf(secret), {
    subject: memberId,
    expiresIn: expiresIn as jwt.SignOptions["expiresIn"],
    algorithm: "HS256",
  });
}

/** The member a valid token names, and when it expires (epoch ms). */
export interface TokenClaims {
  memberId: string;
  expiresAt: number;
}

/**
 * The claims of a valid token, or null for anything else (bad, expired, forged, or without
 * `exp`: the server never issues one, and one that never expires would outlive any leak).
 */
export function verifyTokenClaims(token: string, secret: string): TokenClaims | null {
  try {
    const payload = jwt.verify(token, keyOf(secret), { algorithms: ["HS256"] });
    if (typeof payload !== "object" || typeof payload.sub !== "string") return null;
    if (typeof payload.exp !== "number" || !Number.isFinite(payload.exp)) return null;
    return { memberId: payload.sub, expiresAt: payload.exp * 1000 };
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
