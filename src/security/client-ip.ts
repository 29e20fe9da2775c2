import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";
import proxyaddr from "proxy-addr";

/**
 * The client's address as rate limits count it. With `trustProxy` = n, the n proxies nearest
 * the server are trusted to have appended the address they saw to X-Forwarded-For (`proxy-addr`
 * with Express's reading of `trust proxy` = n); with 0 the header is ignored, since any client
 * can send one. IPv6 clients are counted per /64 network, the block one subscriber usually
 * gets.
 */
export function clientIp(req: IncomingMessage, trustProxy: number): string {
  return addressKey(proxyaddr(req, (_address, hop) => hop < trustProxy));
}

/** IPv4 as is (also when IPv4-mapped), IPv6 as its /64 prefix, anything else as given. */
export function addressKey(address: string): string {
  const plain = address.split("%")[0];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return mapped[1];
  if (isIPv4(plain) || !isIPv6(plain)) return plain;
  return `${expandIPv6(plain).slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address, "::" expanded, each without leading zeros. */
function expandIPv6(address: string): string[] {
  const groupsOf = (part: string) => {
    if (!part) return [];
    const groups = part.split(":");
    // A trailing dotted IPv4 part stands for two groups.
    if (groups[groups.length - 1].includes(".")) groups.splice(-1, 1, "0", "0");
    return groups;
  };
  const [head, tail] = address.split("::");
  const first = groupsOf(head);
  const last = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array<string>(Math.max(0, 8 - first.length - last.length)).fill("0");
  return [...first, ...zeros, ...last].map((g) => parseInt(g, 16).toString(16));
}
