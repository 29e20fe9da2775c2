/**
 * CORS_ORIGINS: which browser origins may call the API, over real HTTP (CORS headers and
 * preflights) and on the real WebSocket upgrade (the Origin header, refused with 403).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConfigError, loadConfig } from "../src/config";
import { signUp, type TestMember } from "./helpers/http";
import { startTestServer, type TestServer } from "./helpers/server";

// Members are made with one signUp each: e-mail verification (on in production) stays off.
const PRODUCTION = {
  NODE_ENV: "production",
  JWT_SECRET: "p".repeat(40),
  EMAIL_VERIFICATION: "false",
};
const FOREIGN = "https://evil.example";

/** POSTs a query with an Origin header, as a page on that origin would. */
async function postFrom(server: TestServer, origin: string | null, token?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (origin !== null) headers.origin = origin;
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(server.url, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: "{ viewer { id } }" }),
  });
  return { res, body: (await res.json()) as { data?: { viewer: { id: string } | null } } };
}

/** The browser's preflight before a cross-origin POST with a JSON body and a token. */
function preflightFrom(server: TestServer, origin: string) {
  return fetch(server.url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    },
  });
}

/**
 * Opens a graphql-transport-ws socket with this Origin (none when null) and a token:
 * "acked" when the upgrade went through and the server acknowledged the connection, else
 * the HTTP status the upgrade was refused with.
 */
function connectFrom(
  server: TestServer,
  origin: string | null,
  token: string,
): Promise<"acked" | number> {
  const socket = new WebSocket(
    server.wsUrl,
    "graphql-transport-ws",
    origin === null ? {} : { origin },
  );
  return new Promise((resolve, reject) => {
    socket.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("open", () =>
      socket.send(
        JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }),
      ),
    );
    socket.on("message", (raw) => {
      if ((JSON.parse(String(raw)) as { type: string }).type === "connection_ack") {
        resolve("acked");
        socket.close(1000);
      }
    });
    socket.on("error", reject);
    socket.on("close", (code) => reject(new Error(`socket closed ${code} before an answer`)));
  });
}

/** What a browser on `origin` would be allowed to do: read answers, open the socket. */
async function expectAdmitted(server: TestServer, origin: string, member: TestMember) {
  const { res, body } = await postFrom(server, origin, member.token);
  expect(res.status).toBe(200);
  expect(body.data?.viewer?.id).toBe(member.id);
  expect(res.headers.get("access-control-allow-origin")).toBe(origin);
  expect(res.headers.get("vary")).toMatch(/origin/i);
  const pre = await preflightFrom(server, origin);
  expect(pre.status).toBe(204);
  expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
  expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
  expect(pre.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
  // No cookies are involved: never credentials.
  expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
  expect(await connectFrom(server, origin, member.token)).toBe("acked");
}

/** A browser on `origin` gets nothing it may read, and no socket. */
async function expectRefused(server: TestServer, origin: string, member: TestMember) {
  const { res } = await postFrom(server, origin, member.token);
  expect(res.headers.get("access-control-allow-origin")).toBeNull();
  const pre = await preflightFrom(server, origin);
  expect(pre.status).toBe(403);
  expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  expect(await connectFrom(server, origin, member.token)).toBe(403);
}

describe("outside production, by default", () => {
  let server: TestServer;
  let member: TestMember;
  beforeAll(async () => {
    server = await startTestServer();
    member = await signUp(server);
  });
  afterAll(() => server.stop());

  it("admits pages on http://localhost and http://127.0.0.1, any port", async () => {
    for (const origin of [
      "http://localhost:5173",
      "http://localhost:3000",
      "http://localhost",
      "http://127.0.0.1:8080",
    ]) {
      await expectAdmitted(server, origin, member);
    }
  });

  it("refuses other origins on HTTP and on the WebSocket upgrade", async () => {
    for (const origin of [
      FOREIGN,
      "https://localhost:5173",
      "http://localhost.evil.example",
      "null",
    ]) {
      await expectRefused(server, origin, member);
    }
  });

  it("lets requests without an Origin (curl, servers) through, with no CORS headers", async () => {
    const { res, body } = await postFrom(server, null, member.token);
    expect(res.status).toBe(200);
    expect(body.data?.viewer?.id).toBe(member.id);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(await connectFrom(server, null, member.token)).toBe("acked");
  });
});

describe("in production", () => {
  let server: TestServer;
  let member: TestMember;
  beforeAll(async () => {
    server = await startTestServer({ env: PRODUCTION });
    member = await signUp(server);
  });
  afterAll(() => server.stop());

  it("admits no other origin unless configured, not even localhost", async () => {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:8080", FOREIGN]) {
      await expectRefused(server, origin, member);
    }
  });

  it("always admits its own origin (the page at /app)", async () => {
    await expectAdmitted(server, new URL(server.url).origin, member);
  });

  it("lets requests without an Origin through", async () => {
    expect((await postFrom(server, null, member.token)).body.data?.viewer?.id).toBe(member.id);
    expect(await connectFrom(server, null, member.token)).toBe("acked");
  });
});

describe("CORS_ORIGINS", () => {
  let server: TestServer;
  let member: TestMember;
  beforeAll(async () => {
    server = await startTestServer({
      env: { ...PRODUCTION, CORS_ORIGINS: "https://app.example.com, http://localhost:*" },
    });
    member = await signUp(server);
  });
  afterAll(() => server.stop());

  it("admits exactly the listed origins, with any port where the entry says :*", async () => {
    await expectAdmitted(server, "https://app.example.com", member);
    await expectAdmitted(server, "http://localhost:4200", member);
    for (const origin of [
      "https://app.example.com:8443",
      "http://app.example.com",
      "https://other.example.com",
      "http://127.0.0.1:4200",
    ]) {
      await expectRefused(server, origin, member);
    }
  });
});

describe("CORS_ORIGINS values", () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ JWT_SECRET: "x".repeat(40), SQLITE_PATH: "/tmp/unused.sqlite", ...env });

  it("defaults to localhost outside production and to nothing in production", () => {
    expect(load({}).corsOrigins).toEqual(["http://localhost:*", "http://127.0.0.1:*"]);
    expect(load({ NODE_ENV: "production" }).corsOrigins).toEqual([]);
  });

  it("replaces the default when set, normalised", () => {
    expect(
      load({ CORS_ORIGINS: " https://App.Example.com/ ,http://localhost:* " }).corsOrigins,
    ).toEqual(["https://app.example.com", "http://localhost:*"]);
  });

  it("refuses at start-up what is not an origin", () => {
    for (const bad of [
      "*",
      "https://*.example.com",
      "https://app.example.com/path",
      "app.example.com",
      "https://app.example.com:8443:*",
      "https://user@app.example.com",
    ]) {
      expect(() => load({ CORS_ORIGINS: bad }), bad).toThrow(ConfigError);
    }
  });
});
