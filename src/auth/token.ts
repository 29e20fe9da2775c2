import jwt from "jsonwebtoken";

/** Signs a token naming the member (`sub`), HS256, expiring after `expiresIn`. */
export function signToken(memberId: string, secret: string, expiresIn: string): string {
  return jwt.sign({}, secret, {
    subject: memberId,
    expiresIn: expiresIn as jwt.SignOptions["expiresIn"],
    algorithm: "HS256",
  });
}

/** Returns the member id of a valid token, or null for anything else (bad, expired, forged). */
export function verifyToken(token: string, secret: string): string | null {
  try {
    const payload = jwt.verify(token, secret, { algorithms: ["HS256"] });
    return typeof payload === "object" && typeof payload.sub === "string" ? payload.sub : null;
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
