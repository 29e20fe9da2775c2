import { once } from "node:events";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { signToken } from "../src/auth/token";
import { query } from "../src/db/sql";
import { inviteOk, signUp, type TestMember } from "./helpers/http";
import { REDIS_URL, startTestServer, type TestServer } from "./helpers/server";
import { closeAll, connectRaw } from "./helpers/ws";

// logIn / signUp rate limits per address and per email, WebSocket limits (connections per
// member, operations per connection, connection_init timeout, token expiry, message size).
// Each limit is configured small here; the defaults are in src/config.ts.
//
// The logIn / signUp windows run in real time, aligned on multiples of their length (a
// ManualClock does not move them): each test that counts attempts starts in a fresh window
// (freshWindow), a test that must see one end uses a window of 2 s, and a Retry-After must
// end where the window ends, whoever made the first attempt when (expectRetryAfter).

const JWT_SECRET = "test-secret"; // what startTestServer gives every server

const servers: TestServer[] = [];
async function serverWith(env: Record<string, string>): Promise<TestServer> {
  const server = await startTestServer({ env });
  servers.push(server);
  return server;
}

const sockets: WebSocket[] = [];
afterEach(async () => {
  await closeAll();
  for (const s of sockets.splice(0)) s.terminate();
});
afterAll(async () => {
  await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
});

function sleepUntil(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
}

/** The end of the aligned window of `seconds` that holds `time`. */
function windowEnd(seconds: number, time = Date.now()): number {
  const ms = seconds * 1000;
  return (Math.floor(time / ms) + 1) * ms;
}

/**
 * Waits, if need be, for a window of `seconds` with at least `room` ms left of it: the attempts
 * a test counts then fall in one window, never on both sides of its end.
 */
async function freshWindow(seconds: number, room = Math.min(5000, seconds * 500)): Promise<void> {
  if (windowEnd(seconds) - Date.now() < room) await sleepUntil(windowEnd(seconds) + 20);
}

// ---------------------------------------------------------------------------------------------
// HTTP with the headers a proxy would add.

interface Answer {
  status: number;
  retryAfterHeader: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function post(
  server: TestServer,
  query: string,
  variables: object,
  from?: string,
): Promise<Answer> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(from ? { "x-forwarded-for": from } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    retryAfterHeader: res.headers.get("retry-after"),
    body: await res.json(),
  };
}

const LOG_IN = `mutation ($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token member { id } }
}`;
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { token member { id } } }`;

function logIn(server: TestServer, email: string, password: string, from?: string) {
  return post(server, LOG_IN, { email, password }, from);
}

function newSignUp(server: TestServer, email: string, from?: string) {
  return post(
    server,
    SIGN_UP,
    { input: { name: "New Member", email, password: "correct horse battery" } },
    from,
  );
}

function codeOf(answer: Answer): string | undefined {
  return answer.body.errors?.[0]?.extensions?.code;
}

/**
 * `retryAfter` is the seconds left, rounded up, of the current aligned window of `seconds`:
 * read now, it ends at the window's end or within the second after it (the rounding). It says
 * nothing of when the key's first attempt was.
 */
function expectRetryAfter(retryAfter: number, seconds: number) {
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(seconds);
  const endsAt = Date.now() + retryAfter * 1000;
  const end = windowEnd(seconds, endsAt - 1000);
  // The server read its clock a moment before this one: a window's end may have passed in
  // between, and then the wait it gave ends at the window before.
  const ends = [end, end - seconds * 1000].map((e) => endsAt - e);
  expect(
    ends.some((d) => d >= -50 && d < 1500),
    `waits end ${ends.join(" or ")} ms after a window's end`,
  ).toBe(true);
}

/**
 * A refusal of the whole request: 429, Retry-After, RATE_LIMITED with the same retryAfter,
 * what is left of the current window of `seconds` (see expectRetryAfter).
 */
function expectRateLimited(answer: Answer, seconds: number) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(429);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toHaveLength(1);
  const { code, retryAfter } = answer.body.errors[0].extensions;
  expect(code).toBe("RATE_LIMITED");
  expect(Number.isInteger(retryAfter), String(retryAfter)).toBe(true);
  expectRetryAfter(retryAfter, seconds);
  expect(answer.retryAfterHeader).toBe(String(retryAfter));
}

async function membersWithEmail(server: TestServer, email: string): Promise<number> {
  const rows = await query(server.dataSource, `SELECT "id" FROM "member" WHERE "email" = :email`, {
    email,
  });
  return rows.length;
}

let serial = 0;
const freshEmail = () => `abuse-${++serial}-${Date.now()}@example.com`;

// ---------------------------------------------------------------------------------------------

describe("logIn, per email (LOGIN_MAX_PER_EMAIL=3 in 60 s)", () => {
  let server: TestServer;
  let member: TestMember;

  beforeAll(async () => {
    server = await serverWith({
      LOGIN_MAX_PER_EMAIL: "3",
      AUTH_RATE_WINDOW_SECONDS: "60",
      TRUST_PROXY: "1",
    });
    member = await signUp(server);
    // The tests below share one window: it must not end among them.
    await freshWindow(60, 20_000);
  });

  it("answers 3 wrong passwords as usual, then refuses even the right one", async () => {
    for (let i = 0; i < 3; i++) {
      const wrong = await logIn(server, member.email, "wrong password", "198.51.100.1");
      expect(codeOf(wrong)).toBe("UNAUTHENTICATED");
    }
    const right = await logIn(server, member.email, member.password, "198.51.100.1");
    expectRateLimited(right, 60);
  });

  it("counts the email wherever the attempts come from, in any case", async () => {
    const elsewhere = await logIn(server, member.email.toUpperCase(), member.password, "192.0.2.9");
    expectRateLimited(elsewhere, 60);
  });

  it("does not touch other emails from the same address", async () => {
    const other = await signUp(server);
    const res = await logIn(server, other.email, other.password, "198.51.100.1");
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.logIn.member.id).toBe(other.id);
  });

  it("says how long is left: until the window's end, the same for every email", async () => {
    // Another email, limited more than a second after the first: its wait ends at the same
    // moment, so no wait dates anyone's attempts.
    await sleepUntil(Date.now() + 1100);
    const other = await signUp(server);
    for (let i = 0; i < 3; i++) await logIn(server, other.email, "wrong password", "192.0.2.10");
    const [a, b] = [
      await logIn(server, member.email, member.password, "198.51.100.1"),
      await logIn(server, other.email, other.password, "192.0.2.10"),
    ];
    expectRateLimited(a, 60);
    expectRateLimited(b, 60);
    const waits = [a, b].map((x) => x.body.errors[0].extensions.retryAfter as number);
    expect(Math.abs(waits[0] - waits[1])).toBeLessThanOrEqual(1);
  });

  it("lets the member in once the window is over (the same limit in 2 s windows)", async () => {
    const short = await serverWith({
      LOGIN_MAX_PER_EMAIL: "3",
      AUTH_RATE_WINDOW_SECONDS: "2",
      TRUST_PROXY: "1",
    });
    for (let round = 1; ; round++) {
      const someone = await signUp(short);
      await sleepUntil(windowEnd(2) + 20); // a window just begun
      const end = windowEnd(2);
      for (let i = 0; i < 3; i++) {
        const wrong = await logIn(short, someone.email, "wrong password", "198.51.100.1");
        expect(codeOf(wrong)).toBe("UNAUTHENTICATED");
      }
      const refused = await logIn(short, someone.email, someone.password, "198.51.100.1");
      // On a machine so busy that the window ended before the 4th attempt was counted, the
      // round proves nothing: another one, with another member.
      if (refused.status !== 429 && Date.now() >= end && round < 5) continue;
      expectRateLimited(refused, 2);
      await sleepUntil(end + 50);
      const res = await logIn(short, someone.email, someone.password, "198.51.100.1");
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.logIn.member.id).toBe(someone.id);
      return;
    }
  });

  it("counts logIn over WebSocket against the same limit", async () => {
    const someone = await signUp(server); // an email not counted yet
    await freshWindow(60);
    for (let i = 0; i < 3; i++) {
      expect(codeOf(await logIn(server, someone.email, "wrong password"))).toBe("UNAUTHENTICATED");
    }
    const socket = await openSocket(server, someone.token);
    const answer = await socket.operation(LOG_IN, {
      email: someone.email,
      password: someone.password,
    });
    expect(answer.type).toBe("error");
    expect(answer.payload).toHaveLength(1);
    // The same error as over HTTP; the HTTP status and header stay on HTTP.
    const { extensions } = answer.payload[0];
    expect(extensions).toEqual({ code: "RATE_LIMITED", retryAfter: expect.any(Number) });
    expectRetryAfter(extensions.retryAfter, 60);
  });
});

describe("logIn, per address (LOGIN_MAX_PER_IP=3 in 60 s)", () => {
  it("refuses the 4th attempt from one address, whatever the emails", async () => {
    const server = await serverWith({
      LOGIN_MAX_PER_IP: "3",
      AUTH_RATE_WINDOW_SECONDS: "60",
      TRUST_PROXY: "1",
    });
    await freshWindow(60);
    for (let i = 0; i < 3; i++) {
      const res = await logIn(server, freshEmail(), "some password", "203.0.113.7");
      expect(codeOf(res)).toBe("UNAUTHENTICATED");
    }
    expectRateLimited(await logIn(server, freshEmail(), "some password", "203.0.113.7"), 60);
    // Another client of the same proxy is not affected.
    const other = await logIn(server, freshEmail(), "some password", "203.0.113.8");
    expect(codeOf(other)).toBe("UNAUTHENTICATED");
  });

  it("counts an IPv6 client per /64 network", async () => {
    const server = await serverWith({
      LOGIN_MAX_PER_IP: "3",
      AUTH_RATE_WINDOW_SECONDS: "60",
      TRUST_PROXY: "1",
    });
    await freshWindow(60);
    for (const host of ["2001:db8:1:2::a", "2001:db8:1:2:ffff::1", "2001:0db8:0001:0002::b"]) {
      expect(codeOf(await logIn(server, freshEmail(), "x", host))).toBe("UNAUTHENTICATED");
    }
    expectRateLimited(await logIn(server, freshEmail(), "x", "2001:db8:1:2::c"), 60);
    expect(codeOf(await logIn(server, freshEmail(), "x", "2001:db8:1:3::a"))).toBe(
      "UNAUTHENTICATED",
    );
  });

  it("ignores X-Forwarded-For unless TRUST_PROXY says a proxy sets it", async () => {
    const server = await serverWith({ LOGIN_MAX_PER_IP: "3", AUTH_RATE_WINDOW_SECONDS: "60" });
    await freshWindow(60);
    // A client cannot escape the limit by making up a new address for each attempt.
    for (let i = 0; i < 3; i++) {
      const res = await logIn(server, freshEmail(), "x", `198.18.0.${i + 1}`);
      expect(codeOf(res)).toBe("UNAUTHENTICATED");
    }
    expectRateLimited(await logIn(server, freshEmail(), "x", "198.18.0.99"), 60);
  });

  it("does not count an attempt refused for its address against the email", async () => {
    const server = await serverWith({
      LOGIN_MAX_PER_IP: "1",
      LOGIN_MAX_PER_EMAIL: "2",
      AUTH_RATE_WINDOW_SECONDS: "60",
      TRUST_PROXY: "1",
    });
    const member = await signUp(server);
    await freshWindow(60);
    expect(codeOf(await logIn(server, member.email, "wrong", "203.0.113.30"))).toBe(
      "UNAUTHENTICATED",
    );
    // Refused for the address, 3 times: the email has still been tried once.
    for (let i = 0; i < 3; i++) {
      expectRateLimited(await logIn(server, member.email, "wrong", "203.0.113.30"), 60);
    }
    const res = await logIn(server, member.email, member.password, "203.0.113.31");
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.logIn.member.id).toBe(member.id);
    // That was the email's 2nd attempt: a 3rd is refused, from anywhere.
    expectRateLimited(await logIn(server, member.email, member.password, "203.0.113.32"), 60);
  });
});

describe("signUp (SIGNUP_MAX_PER_IP=3, SIGNUP_MAX_PER_EMAIL=2 in 60 s)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await serverWith({
      SIGNUP_MAX_PER_IP: "3",
      SIGNUP_MAX_PER_EMAIL: "2",
      AUTH_RATE_WINDOW_SECONDS: "60",
      TRUST_PROXY: "1",
    });
  });

  it("creates 3 members from one address and refuses the 4th without writing it", async () => {
    await freshWindow(60);
    for (let i = 0; i < 3; i++) {
      const res = await newSignUp(server, freshEmail(), "198.51.100.20");
      expect(res.body.errors).toBeUndefined();
    }
    const email = freshEmail();
    expectRateLimited(await newSignUp(server, email, "198.51.100.20"), 60);
    expect(await membersWithEmail(server, email)).toBe(0);
  });

  it("refuses a request of 4 aliased signUps as a whole: none of them runs", async () => {
    const emails = [freshEmail(), freshEmail(), freshEmail(), freshEmail()];
    const fields = emails
      .map(
        (email, i) =>
          `s${i}: signUp(input: { name: "Alias ${i}", email: "${email}", password: "correct horse battery" }) { token }`,
      )
      .join("\n");
    await freshWindow(60);
    const answer = await post(server, `mutation { ${fields} }`, {}, "198.51.100.21");
    expectRateLimited(answer, 60);
    for (const email of emails) expect(await membersWithEmail(server, email)).toBe(0);
  });

  it("counts tries of one email from many addresses: a CONFLICT, then RATE_LIMITED", async () => {
    const email = freshEmail();
    await freshWindow(60);
    expect((await newSignUp(server, email, "198.51.100.31")).body.errors).toBeUndefined();
    expect(codeOf(await newSignUp(server, email, "198.51.100.32"))).toBe("CONFLICT");
    expectRateLimited(await newSignUp(server, email, "198.51.100.33"), 60);
    expect(await membersWithEmail(server, email)).toBe(1);
  });
});

describe("rate-limit counters across instances", () => {
  const env = { LOGIN_MAX_PER_EMAIL: "2", AUTH_RATE_WINDOW_SECONDS: "60" };

  it(
    REDIS_URL
      ? "with REDIS_URL, instances on one database share them"
      : "without REDIS_URL, each instance counts alone",
    async () => {
      const first = await serverWith(env);
      const member = await signUp(first);
      const second = await startTestServer({ env, sqlitePath: first.sqlitePath });
      servers.push(second);
      await freshWindow(60);
      for (let i = 0; i < 2; i++) {
        expect(codeOf(await logIn(first, member.email, "wrong"))).toBe("UNAUTHENTICATED");
      }
      const onSecond = await logIn(second, member.email, member.password);
      if (REDIS_URL) expectRateLimited(onSecond, 60);
      else expect(onSecond.body.data.logIn.member.id).toBe(member.id);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// WebSocket limits, over a bare graphql-transport-ws socket.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Message = any;

interface RawSocket {
  socket: WebSocket;
  messages: Message[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: object | string): void;
  next(match: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
  /** Sends a subscribe message; resolves with its first `next` or `error`. */
  operation(query: string, variables?: object): Promise<Message>;
}

let nextId = 0;

/** Opens a socket and, with a token, sends connection_init and waits for the ack. */
async function openSocket(server: TestServer, token: string | null): Promise<RawSocket> {
  const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
  sockets.push(socket);
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  let closedWith: { code: number; reason: string } | null = null;
  const wake = () => waiters.forEach((w) => w());
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on("close", (code, reason) => {
      closedWith = { code, reason: String(reason) };
      resolve(closedWith);
      wake();
    }),
  );
  socket.on("error", () => {
    /* the close event reports it */
  });
  socket.on("message", (raw) => {
    messages.push(JSON.parse(String(raw)));
    wake();
  });
  const raw: RawSocket = {
    socket,
    messages,
    closed,
    send: (m) => socket.send(typeof m === "string" ? m : JSON.stringify(m)),
    next: (match, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) settle(() => resolve(found));
          else if (closedWith) settle(() => reject(new Error(`closed ${closedWith!.code}`)));
        };
        const timer = setTimeout(() => settle(() => reject(new Error("no message"))), timeoutMs);
        const settle = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      }),
    operation: (query, variables = {}) => {
      const id = String(++nextId);
      raw.send({ id, type: "subscribe", payload: { query, variables } });
      return raw.next((m) => m.id === id && (m.type === "next" || m.type === "error"));
    },
  };
  await once(socket, "open");
  if (token !== null) {
    raw.send({ type: "connection_init", payload: { authorization: `Bearer ${token}` } });
    await raw.next((m) => m.type === "connection_ack");
  }
  return raw;
}

/** Waits for the server's "subscribed" events of `count` operations of `memberId`. */
function subscribedEvents(server: TestServer, memberId: string, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const listener = (e: { memberId: string }) => {
      if (e.memberId !== memberId) return;
      if (++seen === count) {
        server.events.off("subscribed", listener);
        resolve();
      }
    };
    server.events.on("subscribed", listener);
  });
}

const NOTIFICATION_ADDED = `subscription { notificationAdded { kind actor { id } } }`;

/** Subscribes to NOTIFICATION_ADDED as `id`; resolves once it listens, rejects if the socket closes. */
async function start(server: TestServer, socket: RawSocket, memberId: string, id: string) {
  const started = subscribedEvents(server, memberId, 1);
  socket.send({ id, type: "subscribe", payload: { query: NOTIFICATION_ADDED } });
  await Promise.race([
    started,
    socket.closed.then((c) => Promise.reject(new Error(`socket closed ${c.code} ${c.reason}`))),
  ]);
}

describe("WebSocket connections per member (WS_MAX_CONNECTIONS_PER_MEMBER=2)", () => {
  let server: TestServer;
  let member: TestMember;

  beforeAll(async () => {
    server = await serverWith({ WS_MAX_CONNECTIONS_PER_MEMBER: "2" });
    member = await signUp(server);
  });

  it("acknowledges 2 and closes the 3rd with 4429, before any ack", async () => {
    await openSocket(server, member.token);
    await openSocket(server, member.token);
    const third = await openSocket(server, null);
    third.send({ type: "connection_init", payload: { authorization: `Bearer ${member.token}` } });
    const closed = await third.closed;
    expect(closed.code).toBe(4429);
    expect(closed.reason).toMatch(/too many connections/i);
    expect(third.messages).toEqual([]);
  });

  it("does not count another member's sockets", async () => {
    const other = await signUp(server);
    expect(await connectRaw(server, { authorization: `Bearer ${other.token}` })).toBe("acked");
  });

  it("frees the slot when a socket closes", async () => {
    const [a] = [await openSocket(server, member.token), await openSocket(server, member.token)];
    expect(await connectRaw(server, { authorization: `Bearer ${member.token}` })).toBe(4429);
    const freed = once(server.events, "disconnected");
    a.socket.close(1000);
    expect((await freed)[0]).toMatchObject({ memberId: member.id });
    expect(await connectRaw(server, { authorization: `Bearer ${member.token}` })).toBe("acked");
  });
});

describe("operations per connection (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION=2)", () => {
  it("refuses a 3rd with an error for its id; the others keep running", async () => {
    const server = await serverWith({ WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: "2" });
    const [member, sender] = [await signUp(server), await signUp(server)];
    const socket = await openSocket(server, member.token);
    const started = subscribedEvents(server, member.id, 2);
    for (const id of ["a", "b"]) {
      socket.send({ id, type: "subscribe", payload: { query: NOTIFICATION_ADDED } });
    }
    await started;
    socket.send({ id: "c", type: "subscribe", payload: { query: NOTIFICATION_ADDED } });
    const refused = await socket.next((m) => m.id === "c");
    expect(refused.type).toBe("error");
    expect(refused.payload[0].extensions).toEqual({ code: "RATE_LIMITED", limit: 2 });
    expect(refused.payload[0].message).toMatch(/at most 2 operations/i);

    // Completing one makes room for another on the same socket.
    const restarted = subscribedEvents(server, member.id, 1);
    socket.send({ id: "a", type: "complete" });
    socket.send({ id: "d", type: "subscribe", payload: { query: NOTIFICATION_ADDED } });
    await restarted;

    await inviteOk(server, sender, member.id);
    for (const id of ["b", "d"]) {
      const event = await socket.next((m) => m.id === id && m.type === "next");
      expect(event.payload.data.notificationAdded).toEqual({
        kind: "INVITATION_RECEIVED",
        actor: { id: sender.id },
      });
    }
    expect(socket.messages.filter((m) => m.id === "a" && m.type === "next")).toEqual([]);
  });
});

describe("connection_init timeout (WS_CONNECTION_INIT_TIMEOUT_MS=300)", () => {
  it("closes a socket that never sends connection_init with 4408", async () => {
    const server = await serverWith({ WS_CONNECTION_INIT_TIMEOUT_MS: "300" });
    const socket = await openSocket(server, null);
    const closed = await socket.closed;
    expect(closed.code).toBe(4408);
    expect(socket.messages).toEqual([]);
  });
});

describe("token expiry", () => {
  it("closes a socket with 4403 when its token expires; the token is refused from then on", async () => {
    const server = await serverWith({});
    const [member, sender] = [await signUp(server), await signUp(server)];
    // JWT expiries are whole seconds: this one ends 3 to 4 seconds from now.
    const token = signToken(member.id, JWT_SECRET, "4s");
    const socket = await openSocket(server, token);
    await start(server, socket, member.id, "1");
    // Live until then.
    await inviteOk(server, sender, member.id);
    const event = await socket.next((m) => m.id === "1" && m.type === "next");
    expect(event.payload.data.notificationAdded.kind).toBe("INVITATION_RECEIVED");

    const closed = await socket.closed;
    expect(closed).toEqual({ code: 4403, reason: "Token expired" });
    expect(await connectRaw(server, { authorization: `Bearer ${token}` })).toBe(4403);
  });
});

describe("a long-lived token", () => {
  it("keeps its socket: a 30-day expiry is past what one timer can wait", async () => {
    // setTimeout fires at once for delays over 2^31-1 ms (24.8 days); the server chains timers.
    const server = await serverWith({});
    const [member, sender] = [await signUp(server), await signUp(server)];
    const socket = await openSocket(server, signToken(member.id, JWT_SECRET, "30d"));
    await start(server, socket, member.id, "1");
    await inviteOk(server, sender, member.id);
    const event = await socket.next((m) => m.id === "1" && m.type === "next");
    expect(event.payload.data.notificationAdded.kind).toBe("INVITATION_RECEIVED");
    expect(socket.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe("message size (WS_MAX_MESSAGE_BYTES=2048)", () => {
  it("closes the socket with 1009 when a message is larger", async () => {
    const server = await serverWith({ WS_MAX_MESSAGE_BYTES: "2048" });
    const member = await signUp(server);
    const socket = await openSocket(server, member.token);
    // A comment pads the text without changing the operation.
    const padded = (bytes: number) =>
      JSON.stringify({
        id: String(++nextId),
        type: "subscribe",
        payload: { query: `${NOTIFICATION_ADDED}\n#${"x".repeat(bytes)}` },
      });
    const started = subscribedEvents(server, member.id, 1);
    const small = padded(1800);
    expect(Buffer.byteLength(small)).toBeLessThanOrEqual(2048);
    socket.send(small);
    await started;

    const big = padded(2100);
    expect(Buffer.byteLength(big)).toBeGreaterThan(2048);
    socket.send(big);
    expect((await socket.closed).code).toBe(1009);
  });
});
