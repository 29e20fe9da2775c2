import type { IncomingMessage } from "node:http";
import ipaddr from "ipaddr.js";
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
  if (!ipaddr.isValid(plain)) return plain;
  const parsed = ipaddr.process(plain); // an IPv4-mapped IPv6 address becomes the IPv4 one
  if (parsed.kind() === "ipv4") return parsed.toString();
  const groups = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((g) => g.toString(16));
  return `${groups.join(":")}::/64`;
}
