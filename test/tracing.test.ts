/**
 * OpenTelemetry tracing, end to end: a real server process (`vite-node src/main.ts`, as
 * operators start it) exports over OTLP/HTTP to a real receiver started here. A decline sent
 * with a `traceparent` must come back as one trace holding the HTTP request, the GraphQL
 * execution, its SQL, the write transaction and the publish; a WebSocket subscription has its
 * own span; and no attribute of any span carries a note, a message, an address, a password or
 * a token.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statementShape } from "../src/common/tracing";
import { scrub } from "../src/observability/tracing";
import { createTestDatabase, startInstance, type Instance } from "./helpers/cluster";
import { gql, inviteOk, ok, signUp, type TestMember } from "./helpers/http";

/** One span as OTLP/JSON carries it, with its attributes flattened. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  service: string;
}

/** A real OTLP/HTTP trace receiver: collects what the exporter POSTs to /v1/traces. */
class Receiver {
  readonly spans: ReceivedSpan[] = [];
  readonly bodies: string[] = [];
  private server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (req.url === "/v1/traces" && req.method === "POST") {
          this.bodies.push(text);
          this.collect(JSON.parse(text));
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private collect(body: OtlpBody): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(flatten(rs.resource?.attributes)["service.name"]);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({ ...s, attributes: flatten(s.attributes), service });
        }
      }
    }
  }

  /** Waits until `done` holds for the spans received (the exporter sends in batches). */
  async until(done: (spans: ReceivedSpan[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!done(this.spans)) {
      if (Date.now() > end) {
        const names = this.spans.map((s) => s.name).join(", ");
        throw new Error(`spans not received in time; got: ${names}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpBody {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: (Omit<ReceivedSpan, "attributes" | "service"> & { attributes?: OtlpAttribute[] })[];
    }[];
  }[];
}

function flatten(attributes: OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes ?? []) out[key] = Object.values(value)[0];
  return out;
}

/**
 * A statement span that changes an invitation: an UPDATE on SQLite, a WITH ... UPDATE on
 * PostgreSQL (where a decline is one statement).
 */
function updatesInvitation(span: ReceivedSpan): boolean {
  return (
    span.attributes["db.system.name"] !== undefined &&
    /UPDATE "?invitation"? /.test(String(span.attributes["db.query.text"]))
  );
}

const DECLINE = `mutation Decline($id: ID!, $message: String) {
  declineInvitation(id: $id, message: $message) { id status }
}`;

describe("tracing over OTLP/HTTP", () => {
  const receiver = new Receiver();
  let instance: Instance;
  let dir: string;

  beforeAll(async () => {
    await receiver.start();
    dir = mkdtempSync(join(tmpdir(), "tracing-"));
    const base = process.env.DATABASE_URL;
    const database: Record<string, string> = base
      ? { DATABASE_URL: await createTestDatabase(base, "tracing") }
      : {};
    instance = await startInstance("traced", {
      SQLITE_PATH: join(dir, "db.sqlite"),
      ...database,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: "invitations-under-test",
      // Export within 100 ms instead of 5 s.
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
  }, 90_000);

  afterAll(async () => {
    await instance?.stop();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("follows a decline from HTTP through GraphQL, SQL, the transaction and the publish", async () => {
    const note = `note-${randomBytes(6).toString("hex")}`;
    const message = `message-${randomBytes(6).toString("hex")}`;
    const sender = await signUp(instance, { password: `pw-${randomBytes(6).toString("hex")}` });
    const recipient = await signUp(instance, { password: `pw-${randomBytes(6).toString("hex")}` });
    const invitationId = await inviteOk(instance, sender, recipient.id, note);

    // The sender listens on a WebSocket: the decline is pushed to them.
    const client = createClient({
      url: instance.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${sender.token}` },
    });
    const pushed = new Promise<unknown>((resolve, reject) => {
      const stop = client.subscribe(
        { query: "subscription Live { notificationAdded { kind message } }" },
        {
          next: (value) => {
            resolve(value);
            stop();
          },
          error: reject,
          complete: () => undefined,
        },
      );
    });
    // The subscription's span is exported once it listens: then the decline can be sent.
    await receiver.until((spans) => spans.some((s) => s.name === "subscription Live"));

    const traceId = randomBytes(16).toString("hex");
    const parentId = randomBytes(8).toString("hex");
    const res = await fetch(instance.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${recipient.token}`,
        traceparent: `00-${traceId}-${parentId}-01`,
      },
      body: JSON.stringify({ query: DECLINE, variables: { id: invitationId, message } }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
    expect(ok({ status: res.status, data: body.data, errors: body.errors })).toMatchObject({
      declineInvitation: { status: "DECLINED" },
    });
    expect(await pushed).toMatchObject({ data: { notificationAdded: { message } } });
    await client.dispose();

    const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
    const has = (spans: ReceivedSpan[], name: string) =>
      inTrace(spans).some((s) => s.name === name);
    await receiver.until(
      (spans) =>
        has(spans, "POST /graphql") &&
        has(spans, "mutation Decline") &&
        has(spans, "db.transaction") &&
        has(spans, "publish") &&
        inTrace(spans).some(updatesInvitation),
    );
    const trace = inTrace(receiver.spans);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const server = trace.find((s) => s.name === "POST /graphql")!;
    // The client's span is the request's parent: the trace continues the caller's.
    expect(server.parentSpanId).toBe(parentId);
    expect(server.service).toBe("invitations-under-test");
    expect(server.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.route": "/graphql",
      "http.response.status_code": 200,
      "graphql.operation.type": "mutation",
      "graphql.operation.name": "Decline",
    });
    /** Whether `span` descends from `ancestor` in this trace. */
    const under = (span: ReceivedSpan, ancestor: ReceivedSpan): boolean => {
      for (let s = span; s.parentSpanId;) {
        if (s.parentSpanId === ancestor.spanId) return true;
        const parent = byId.get(s.parentSpanId);
        if (!parent) return false;
        s = parent;
      }
      return false;
    };
    const execute = trace.find((s) => s.name === "mutation Decline")!;
    expect(under(execute, server)).toBe(true);
    expect(execute.attributes["graphql.operation.type"]).toBe("mutation");
    const transaction = trace.find((s) => s.name === "db.transaction")!;
    expect(under(transaction, server)).toBe(true);
    const update = trace.find(updatesInvitation)!;
    expect(under(update, transaction)).toBe(true);
    expect(update.attributes["db.system.name"]).toBe(
      process.env.DATABASE_URL ? "postgresql" : "sqlite",
    );
    const publish = trace.find((s) => s.name === "publish")!;
    expect(under(publish, transaction)).toBe(true);
    expect(publish.attributes["messaging.destination.name"]).toContain("NOTIFICATION_ADDED");

    // The WebSocket operation has its span too, named by the operation.
    const live = receiver.spans.find((s) => s.name === "subscription Live")!;
    expect(live.attributes).toMatchObject({
      "graphql.operation.type": "subscription",
      "graphql.root_field": "notificationAdded",
    });

    // Nothing private in any span of any trace: not the note, the message, an address, a
    // password, a token, or the variables.
    const secrets = [note, message, sender, recipient].flatMap((s) =>
      typeof s === "string" ? [s] : [s.email, s.password, s.token],
    );
    const everything = receiver.bodies.join("\n");
    for (const secret of secrets) expect(everything).not.toContain(secret);
    for (const span of receiver.spans) {
      for (const key of Object.keys(span.attributes)) expect(key).not.toMatch(/variables/);
    }
  });

  it("keeps each of concurrent declines in its own trace", async () => {
    const recipient = await signUp(instance);
    const senders = await Promise.all(Array.from({ length: 8 }, () => signUp(instance)));
    const ids = await Promise.all(senders.map((s) => inviteOk(instance, s, recipient.id)));
    const traces = ids.map(() => randomBytes(16).toString("hex"));
    // Sent together: on SQLite they share group commits, where each transaction's statements
    // must still land in the trace of the request that made them.
    await Promise.all(
      ids.map(async (id, i) => {
        const res = await fetch(instance.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${recipient.token}`,
            traceparent: `00-${traces[i]}-${randomBytes(8).toString("hex")}-01`,
          },
          body: JSON.stringify({ query: DECLINE, variables: { id } }),
        });
        expect(res.status).toBe(200);
      }),
    );
    const updatesIn = (spans: ReceivedSpan[], traceId: string) =>
      spans.filter((s) => s.traceId === traceId && updatesInvitation(s));
    await receiver.until((spans) =>
      traces.every((t) => spans.some((s) => s.traceId === t && s.name === "POST /graphql")),
    );
    await receiver.until((spans) => traces.every((t) => updatesIn(spans, t).length >= 1));
    for (const t of traces) {
      const spans = receiver.spans.filter((s) => s.traceId === t);
      const transactions = spans.filter((s) => s.name === "db.transaction");
      expect(transactions).toHaveLength(1);
      const updates = updatesIn(receiver.spans, t);
      expect(updates).toHaveLength(1);
      expect(updates[0].parentSpanId).toBe(transactions[0].spanId);
    }
  });

  it("exports no text from refused documents, errors, comments or a free-text operation name", async () => {
    const member = await signUp(instance);
    const secret = () => `secret-${randomBytes(6).toString("hex")}`;
    const [inSyntax, inValidation, inComment, inName, inResolver] = [
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
    ];
    const traced = async (body: object) => {
      const traceId = randomBytes(16).toString("hex");
      await fetch(instance.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${member.token}`,
          traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01`,
        },
        body: JSON.stringify(body),
      });
      return traceId;
    };
    const traces = [
      // graphql-js quotes the string it did not expect in a syntax error...
      await traced({ query: `query Bad { members(search "${inSyntax}") { totalCount } }` }),
      // ...and the literal of the wrong type in a validation error.
      await traced({ query: `query V { members(first: "${inValidation}") { totalCount } }` }),
      // A comment is not a literal: the instrumentation keeps it in graphql.source.
      await traced({ query: `query C {\n  # ${inComment}\n  viewer { id }\n}` }),
      // A resolver's error quotes the input it refuses.
      await traced({
        query: `mutation R($email: String!) { logIn(email: $email, password: "x") { token } }`,
        variables: { email: `${inResolver}@example.com` },
      }),
    ];
    // Over WebSocket, an operationName that matches no operation still executes.
    const client = createClient({
      url: instance.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${member.token}` },
    });
    await new Promise<void>((resolve) =>
      client.subscribe(
        { query: "query Q { viewer { id } }", operationName: `call me ${inName}` },
        { next: () => undefined, error: () => resolve(), complete: () => resolve() },
      ),
    );
    await client.dispose();
    await receiver.until((spans) =>
      traces.every((t) => spans.some((s) => s.traceId === t && s.name === "POST /graphql")),
    );
    // graphql-ws refuses it before executing; its span ends with the refusal.
    await receiver.until((spans) =>
      spans.some((s) => s.name === "graphql-ws operation" && s.attributes["graphql.outcome"]),
    );
    const everything = receiver.bodies.join("\n");
    for (const text of [inSyntax, inValidation, inComment, inName, inResolver]) {
      expect(everything).not.toContain(text);
    }
    // What is kept: the exceptions' types, and the operation's name.
    expect(everything).toContain("exception.type");
    expect(receiver.spans.some((s) => s.traceId === traces[2] && s.name === "query C")).toBe(true);
  });

  it("puts a WebSocket operation's execution, resolvers and SQL inside its span", async () => {
    const member = await signUp(instance);
    const client = createClient({
      url: instance.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${member.token}` },
    });
    await new Promise<void>((resolve, reject) =>
      client.subscribe(
        { query: "query WsViewer { viewer { id name } }" },
        { next: () => undefined, error: reject, complete: () => resolve() },
      ),
    );
    await client.dispose();
    const SERVER = 2;
    await receiver.until((spans) =>
      spans.some((s) => s.name === "query WsViewer" && s.kind === SERVER),
    );
    const operation = receiver.spans.find((s) => s.name === "query WsViewer" && s.kind === SERVER)!;
    await receiver.until((spans) =>
      spans.some((s) => s.name === "query WsViewer" && s.parentSpanId === operation.spanId),
    );
    const execution = receiver.spans.find(
      (s) => s.name === "query WsViewer" && s.parentSpanId === operation.spanId,
    )!;
    expect(execution.traceId).toBe(operation.traceId);
    const inTrace = receiver.spans.filter((s) => s.traceId === operation.traceId);
    expect(inTrace.some((s) => s.attributes["db.system.name"] !== undefined)).toBe(true);
  });

  it("records no literal of a document, and no document text", async () => {
    const member: TestMember = await signUp(instance);
    const inline = `inline-${randomBytes(6).toString("hex")}`;
    const res = await gql(
      instance,
      `query Inline { members(search: "${inline}", first: 3) { edges { node { id } } } }`,
      {},
      member.token,
    );
    ok(res);
    await receiver.until((spans) => spans.some((s) => s.name === "query Inline"));
    const span = receiver.spans.find((s) => s.name === "query Inline")!;
    expect(span.attributes["graphql.operation.type"]).toBe("query");
    expect(receiver.spans.every((s) => s.attributes["graphql.source"] === undefined)).toBe(true);
    expect(receiver.bodies.join("\n")).not.toContain(inline);
  });
});

describe("scrub", () => {
  it("keeps exception types only, drops status messages, the source, free-text names", () => {
    const span = {
      name: "graphql.execute",
      attributes: {
        "graphql.source": "query {\n  # a note\n  viewer { id }\n}",
        "graphql.operation.name": 'Operation "call me maybe" not supported',
      },
      events: [
        {
          name: "exception",
          time: [0, 0],
          attributes: { "exception.type": "GraphQLError", "exception.message": "found String" },
        },
      ],
      status: { code: 2, message: 'Syntax Error: found String "a note"' },
      spanContext: () => ({ traceId: "t", spanId: "s", traceFlags: 1 }),
    } as unknown as Parameters<typeof scrub>[0];
    const out = scrub(span);
    expect(out.attributes).toEqual({ "graphql.operation.name": "unknown" });
    expect(out.events[0].attributes).toEqual({ "exception.type": "GraphQLError" });
    expect(out.status).toEqual({ code: 2 });
    // Read through: the context and the rest come from the SDK's span, left unchanged.
    expect(out.spanContext().spanId).toBe("s");
    expect(span.status.message).toContain("a note");
  });
});

describe("statementShape", () => {
  it("replaces literals, keeps placeholders and identifiers", () => {
    expect(
      statementShape(
        `SELECT "m"."id" FROM member m WHERE m.status = 'it''s' AND m.n > 42 AND x = $1 LIMIT 21`,
      ),
    ).toBe(`SELECT "m"."id" FROM member m WHERE m.status = ? AND m.n > ? AND x = $1 LIMIT ?`);
    expect(statementShape("INSERT INTO t2 (a1) VALUES (?, -3.5)")).toBe(
      "INSERT INTO t2 (a1) VALUES (?, ?)",
    );
  });
});
