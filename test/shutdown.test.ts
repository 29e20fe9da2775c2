import { connect as tcpConnect } from "node:net";
import { describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server";

// Once stop() has begun, /healthz answers 503 {"status":"stopping"} (docs/operations.md,
// "Health" and "Graceful shutdown"), so a load balancer stops sending traffic; it never
// answers 200 again.

const healthUrl = (s: TestServer) => s.url.replace(/\/graphql$/, "/healthz");

interface RawAnswer {
  status: number | null;
  body: string;
}

/** Reads one HTTP/1.1 response (with Content-Length) from `raw`, if complete. */
function parseResponse(raw: string): (RawAnswer & { rest: string }) | null {
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const head = raw.slice(0, headEnd);
  const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  const bodyStart = headEnd + 4;
  if (Buffer.byteLength(raw.slice(bodyStart)) < length) return null;
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? NaN),
    body: raw.slice(bodyStart, bodyStart + length),
    rest: raw.slice(bodyStart + length),
  };
}

/**
 * On one keep-alive connection: GET /healthz (answered while running), then a second
 * GET /healthz written right before `during()` starts the stop, so the server reads it
 * after stop() has begun but on a connection it already holds.
 */
async function healthzAcrossStop(
  server: TestServer,
  during: () => void,
): Promise<{ before: RawAnswer; after: RawAnswer | "no answer" }> {
  const socket = tcpConnect(server.port, "127.0.0.1");
  let raw = "";
  let closed = false;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on("data", (chunk) => {
    raw += chunk.toString("utf8");
    wake();
  });
  socket.on("error", () => undefined); // a reset counts as "no answer"
  socket.on("close", () => {
    closed = true;
    wake();
  });
  const nextResponse = async (): Promise<RawAnswer | "no answer"> => {
    for (;;) {
      const parsed = parseResponse(raw);
      if (parsed) {
        raw = parsed.rest;
        return { status: parsed.status, body: parsed.body };
      }
      if (closed) return "no answer";
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const request = (connection: string) =>
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: ${connection}\r\n\r\n`);

  request("keep-alive");
  const before = await nextResponse();
  if (before === "no answer") throw new Error("no answer to /healthz while running");
  // Node reads the next request on a keep-alive connection only once the last response is
  // flushed; give it that moment, so the request is read in the stop's first turns.
  await new Promise((resolve) => setTimeout(resolve, 100));
  request("close");
  during();
  const after = await nextResponse();
  socket.destroy();
  return { before, after };
}

describe("/healthz while stopping", () => {
  it("a request read after stop() began gets 503 stopping (or no answer), never 200", async () => {
    const server = await startTestServer();
    let stopped: Promise<void> | null = null;
    const { before, after } = await healthzAcrossStop(server, () => {
      stopped = server.stop();
    });
    await stopped;
    expect(before.status).toBe(200);
    expect(JSON.parse(before.body)).toMatchObject({ status: "ok" });
    if (after !== "no answer") {
      expect(after.status, JSON.stringify(after)).toBe(503);
      expect(JSON.parse(after.body)).toEqual({ status: "stopping" });
    }
  });

  it("a fresh fetch after stop() began: 503 stopping or a refused connection, never 200", async () => {
    const server = await startTestServer();
    const stopped = server.stop();
    let outcome: { status: number; body: unknown } | "connection error";
    try {
      const res = await fetch(healthUrl(server));
      outcome = { status: res.status, body: await res.json().catch(() => null) };
    } catch {
      outcome = "connection error";
    }
    await stopped;
    if (outcome !== "connection error") {
      expect(outcome).toEqual({ status: 503, body: { status: "stopping" } });
    }
  });
});
