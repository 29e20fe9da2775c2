import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { query } from "../src/db/sql";
import { codeOf, gql, inviteOk, ok, signUp } from "./helpers/http";
import { cursorOf, NOTIFICATION_ADDED } from "./helpers/notifications";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, wsErrors, wsOnce } from "./helpers/ws";

// Over WebSocket, errors carry extensions.code exactly as over HTTP (docs/api.md, "Errors"); in
// production an internal error is masked (docs/security.md, "Production mode").

const servers: TestServer[] = [];

/** A fresh server on fresh data, stopped after the file. */
async function freshServer(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(opts);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await closeAll();
});

afterAll(async () => {
  await closeAll();
  await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
});

/**
 * Makes the member table unreachable (renamed in the database), so resolving a notification's
 * `actor` fails inside the server: an internal error, provoked from outside. Tokens already
 * seen stay valid (the server remembers members it found).
 */
async function internalErrorOverWs(server: TestServer) {
  const [a, b] = [await signUp(server), await signUp(server)];
  await inviteOk(server, a, b.id);
  ok(await gql(server, `query { viewer { id } }`, {}, b.token)); // b's token is now known
  await query(server.dataSource, `ALTER TABLE "member" RENAME TO "member_gone"`);
  try {
    return await wsOnce(
      server,
      b.token,
      `subscription ($after: String) { notificationAdded(after: $after) { kind actor { id name } } }`,
      { after: cursorOf([0], b.id, server) },
    );
  } finally {
    await query(server.dataSource, `ALTER TABLE "member_gone" RENAME TO "member"`);
  }
}

/** An invalid document (an unknown field) gets the same code over WS as over HTTP. */
async function expectQueryErrorCodedAsOverHttp(server: TestServer) {
  const a = await signUp(server);
  const document = `subscription { notificationAdded { nope } }`;
  const overHttp = await gql(server, document, {}, a.token);
  expect(codeOf(overHttp)).toBe("GRAPHQL_VALIDATION_FAILED");
  const errors = wsErrors(await wsOnce(server, a.token, document));
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    expect(e.extensions?.code, JSON.stringify(e)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(e.message, JSON.stringify(e)).toMatch(/nope/);
  }
}

describe("WebSocket errors", () => {
  it("a bad cursor arrives as a GraphQL error coded BAD_USER_INPUT (test mode)", async () => {
    const server = await freshServer();
    const a = await signUp(server);
    const o = await wsOnce(server, a.token, NOTIFICATION_ADDED, { after: "not a cursor" });
    const errors = wsErrors(o);
    expect(errors).toHaveLength(1);
    expect(errors[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(errors[0].message).toMatch(/cursor/i);
  });

  it("an internal error is coded INTERNAL_SERVER_ERROR (test mode, not masked)", async () => {
    const server = await freshServer();
    const o = await internalErrorOverWs(server);
    const errors = wsErrors(o);
    expect(errors.length, JSON.stringify(o)).toBeGreaterThan(0);
    expect(errors.map((e) => e.extensions?.code)).toEqual(
      errors.map(() => "INTERNAL_SERVER_ERROR"),
    );
  });

  it("a query error (an unknown field) is coded as over HTTP (test mode)", async () => {
    await expectQueryErrorCodedAsOverHttp(await freshServer());
  });

  describe("in production", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await freshServer({
        env: { NODE_ENV: "production", JWT_SECRET: "x".repeat(40), EMAIL_VERIFICATION: "false" },
      });
    });

    it("a bad cursor still arrives coded BAD_USER_INPUT, with its message", async () => {
      const a = await signUp(server);
      const o = await wsOnce(server, a.token, NOTIFICATION_ADDED, {
        after: cursorOf([1.5], a.id, server),
      });
      const errors = wsErrors(o);
      expect(errors).toHaveLength(1);
      expect(errors[0].extensions?.code).toBe("BAD_USER_INPUT");
      expect(errors[0].message).toMatch(/cursor/i);
    });

    it("an internal error is masked: no SQL, no table names, no stack", async () => {
      const o = await internalErrorOverWs(server);
      const errors = wsErrors(o);
      expect(errors.length, JSON.stringify(o)).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.message).toBe("Internal server error");
        expect(e.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
        expect(e.extensions?.stacktrace).toBeUndefined();
      }
      expect(JSON.stringify(errors)).not.toMatch(/member|relation|table|select|sqlite|exception/i);
    });

    it("a query error (an unknown field) is coded as over HTTP, not as internal", async () => {
      await expectQueryErrorCodedAsOverHttp(server);
    });
  });
});
