/** What `CORS_ORIGINS` admits outside production when it is not set: local dev servers. */
export const DEVELOPMENT_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*"];

/** One admitted origin: scheme and host exactly, and one port or (`*`) any. */
export interface OriginRule {
  protocol: string;
  hostname: string;
  /** "" is the scheme's default port, as `URL` normalises it. */
  port: string | "*";
}

/**
 * Parses one `CORS_ORIGINS` entry such as `https://app.example.com` or `http://localhost:*`.
 * Throws an Error saying what is wrong: no path, no wildcard but the port.
 */
export function parseRule(entry: string): OriginRule {
  const anyPort = entry.endsWith(":*");
  const base = (anyPort ? entry.slice(0, -2) : entry).replace(/\/$/, "");
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`"${entry}" is not an origin such as https://app.example.com`);
  }
  const onlyOrigin =
    (url.pathname === "" || url.pathname === "/") &&
    !/[?#*]/.test(base) &&
    url.username === "" &&
    url.password === "";
  if (!onlyOrigin) {
    throw new Error(
      `"${entry}" is not an origin: scheme://host[:port], no path, "*" only as the port`,
    );
  }
  if (anyPort && url.port !== "") throw new Error(`"${entry}" names a port and "*"`);
  return { protocol: url.protocol, hostname: url.hostname, port: anyPort ? "*" : url.port };
}

/**
 * Checks the entries of `CORS_ORIGINS` (comma-separated, blanks ignored) and returns them
 * normalised. Throws an Error naming the first bad entry.
 */
export function parseOrigins(raw: string): string[] {
  const entries = raw
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const entry of entries) parseRule(entry);
  return entries.map((e) => e.toLowerCase().replace(/\/$/, ""));
}

/** Whether `url` (a parsed Origin) is one of `rules`. */
export function matchesRule(rules: readonly OriginRule[], url: URL): boolean {
  return rules.some(
    (r) =>
      r.protocol === url.protocol &&
      r.hostname === url.hostname &&
      (r.port === "*" || r.port === url.port),
  );
}
