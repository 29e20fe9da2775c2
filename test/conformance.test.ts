import { serverAudits, type AuditResult } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server";

// The GraphQL-over-HTTP audit suite of the `graphql-http` package, against the running server.
// Every MUST and every SHOULD passes; each MAY that does not is listed below with the reason
// (docs/security.md). A check that starts passing fails the test until it leaves the list, so
// the list stays true.

/** MAY audits this server does not meet, and why. */
const NOT_MET: Record<string, string> = {
  "MAY accept application/x-www-form-urlencoded formatted GET requests":
    "CSRF prevention: a GET must carry a non-empty `apollo-require-preflight` (or `x-apollo-operation-name`) header, which a browser cannot add cross-site without a preflight; the audit sends none and gets 400",
  "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/graphql-response+json":
    "CSRF prevention, as above (the same GET with the preflight header is served)",
  "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/json":
    "CSRF prevention, as above",
};

/** Audits whose probe query is `__type(...)`: refused where introspection is off. */
const NEEDS_INTROSPECTION: Record<string, string> = {
  "MUST allow map {variables} parameter when accepting application/json":
    "the audit's query is introspection (`__type(name: $name)`), which production refuses unless INTROSPECTION=true",
  "SHOULD allow map {variables} parameter when accepting application/graphql-response+json":
    "as above: the audit's query is `__type(name: $name)`",
};

function describeFailure(result: AuditResult): string {
  return result.status === "ok" ? "ok" : `${result.status}: ${result.reason}`;
}

/** Runs every audit against a server started with `env`; `expectedNotMet` lists the misses. */
function auditAgainst(
  label: string,
  env: Record<string, string>,
  expectedNotMet: Record<string, string>,
) {
  describe(label, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ env });
    });
    afterAll(async () => {
      await server?.stop();
    });

    for (const audit of serverAudits({ url: () => server.url })) {
      const reason = expectedNotMet[audit.name];
      const title = reason ? `${audit.name} (not met: ${reason})` : audit.name;
      it(title, async () => {
        const result = await audit.fn();
        if (reason) {
          expect(result.status, "passes now: take it off the list").not.toBe("ok");
        } else {
          expect(result.status, describeFailure(result)).toBe("ok");
        }
      });
    }
  });
}

auditAgainst("development defaults (introspection on)", {}, NOT_MET);

auditAgainst(
  "production, INTROSPECTION=true",
  { NODE_ENV: "production", JWT_SECRET: "c".repeat(40), INTROSPECTION: "true" },
  NOT_MET,
);

auditAgainst(
  "production defaults (introspection off)",
  { NODE_ENV: "production", JWT_SECRET: "c".repeat(40) },
  { ...NOT_MET, ...NEEDS_INTROSPECTION },
);

describe("the lists", () => {
  it("name only MAY audits, besides those that probe with introspection", () => {
    const names = serverAudits({ url: "http://unused" }).map((a) => a.name);
    for (const name of Object.keys(NOT_MET)) {
      expect(names).toContain(name);
      expect(name).toMatch(/^MAY /);
    }
    for (const name of Object.keys(NEEDS_INTROSPECTION)) expect(names).toContain(name);
  });

  it("leave every MUST and SHOULD to pass (13 and 23 of them)", () => {
    const names = serverAudits({ url: "http://unused" }).map((a) => a.name);
    expect(names.filter((n) => n.startsWith("MUST ")).length).toBe(13);
    expect(names.filter((n) => n.startsWith("SHOULD ")).length).toBe(23);
  });
});
