import { createConnection, createServer, type Server, type Socket } from "node:net";

/** A TCP proxy in front of a service, whose traffic towards the service arrives late. */
export interface LatencyProxy {
  /** `host:port` to connect to instead of the service. */
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Forwards every connection to `target`, holding each chunk from the client for `delayMs`
 * before sending it on (in order); replies come back at once. It stands for a network where
 * a command takes that long to reach Redis, which opens the gaps between sending a command
 * and Redis acting on it that loopback hides.
 */
export async function startLatencyProxy(
  target: { host: string; port: number },
  delayMs: number,
): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    // Equal delays keep the chunks in order.
    client.on("data", (chunk) => setTimeout(() => upstream.write(chunk), delayMs));
    client.on("end", () => setTimeout(() => upstream.end(), delayMs));
    upstream.pipe(client);
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy: no TCP address");
  return {
    host: "127.0.0.1",
    port: address.port,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}
