/**
 * `npm run timing-oracle [-- --rounds=N]`: can a member tell, by timing, a member who blocked
 * them from an id that never existed? Starts a server on a fresh SQLite file, has one member
 * block another, then times the blocked member's `member(id)` and `sendInvitation` aimed at the
 * blocker (A), at a random id (B) and at another random id (C, the control pair: B and C are
 * the same case, so their difference is what noise alone gives). Requests are interleaved in a
 * random order each round. Prints, per operation, the mean difference A - B and C - B in
 * microseconds with 95% confidence intervals: an oracle shows as an A - B interval that
 * excludes zero where C - B does not.
 *
 * Then, on the same data with EMAIL_VERIFICATION on, `signUp` with a registered address (A)
 * against new addresses (B, C) the same way (`--signup-rounds=N`, default 400: each costs a
 * password hash). Its mail is written to a folder after the answer, as in development.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/common/logger";
import { startServer } from "../src/server";

const OPERATIONS: Record<string, string> = {
  member: `query ($id: ID!) { member(id: $id) { id name } }`,
  sendInvitation: `mutation ($id: ID!) { sendInvitation(input: { recipientId: $id }) { connected } }`,
};

async function main(): Promise<void> {
  const rounds = Number(/--rounds=(\d+)/.exec(process.argv.join(" "))?.[1] ?? 2000);
  const signUpRounds = Number(/--signup-rounds=(\d+)/.exec(process.argv.join(" "))?.[1] ?? 400);
  const dir = mkdtempSync(join(tmpdir(), "timing-oracle-"));
  const env = {
    ...process.env,
    NODE_ENV: "development",
    DATABASE_URL: "",
    REDIS_URL: "",
    SQLITE_PATH: join(dir, "t.sqlite"),
    PORT: "0",
    HOST: "127.0.0.1",
    JOBS_INTERVAL_SECONDS: "0",
    RESPONSE_CACHE_MB: "0",
    SIGNUP_MAX_PER_IP: "1000000",
    SIGNUP_MAX_PER_EMAIL: "1000000",
    MAIL_DIR: join(dir, "mail"),
    EMAIL_VERIFICATION: "false",
  };
  const start = (verification: boolean) =>
    startServer({
      config: loadConfig({ ...env, EMAIL_VERIFICATION: String(verification) }),
      logger: createLogger("silent"),
      log: () => {},
    });
  let server = await start(false);
  try {
    const post = async (query: string, variables: object, token?: string) => {
      const res = await fetch(server.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as {
        data?: Record<string, { token: string; member: { id: string } }>;
      };
    };
    const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { token member { id } } }`;
    const signUp = async (name: string, email = `${randomUUID()}@example.com`) => {
      const input = { name, email, password: "correct horse battery" };
      const res = await post(SIGN_UP, { input });
      return { token: res.data!.signUp.token, id: res.data!.signUp.member.id };
    };
    const viewer = await signUp("Viewer", "viewer@example.com");
    const blocker = await signUp("Blocker");
    await post(`mutation ($id: ID!) { blockMember(id: $id) }`, { id: viewer.id }, blocker.token);

    for (const [name, query] of Object.entries(OPERATIONS)) {
      const time = async (id: string) => {
        const start = process.hrtime.bigint();
        await post(query, { id }, viewer.token);
        return Number(process.hrtime.bigint() - start) / 1000;
      };
      for (let i = 0; i < 200; i++) await time(randomUUID()); // warm-up
      const aMinusB: number[] = [];
      const cMinusB: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const cases = shuffle(["A", "B", "C"]);
        const t: Record<string, number> = {};
        for (const c of cases) t[c] = await time(c === "A" ? blocker.id : randomUUID());
        aMinusB.push(t.A - t.B);
        cMinusB.push(t.C - t.B);
      }
      process.stdout.write(
        `${name} (${rounds} rounds): blocker - random ${interval(aMinusB)} µs; ` +
          `control (random - random) ${interval(cMinusB)} µs\n`,
      );
    }

    await server.stop();
    server = await start(true);
    const attempt = async (email: string) => {
      const input = { name: "Someone", email, password: "correct horse battery" };
      const begin = process.hrtime.bigint();
      await post(SIGN_UP, { input });
      return Number(process.hrtime.bigint() - begin) / 1000;
    };
    for (let i = 0; i < 30; i++) await attempt(`${randomUUID()}@example.com`); // warm-up
    const aMinusB: number[] = [];
    const cMinusB: number[] = [];
    for (let r = 0; r < signUpRounds; r++) {
      const cases = shuffle(["A", "B", "C"]);
      const t: Record<string, number> = {};
      for (const c of cases) {
        t[c] = await attempt(c === "A" ? "viewer@example.com" : `${randomUUID()}@example.com`);
      }
      aMinusB.push(t.A - t.B);
      cMinusB.push(t.C - t.B);
    }
    process.stdout.write(
      `signUp with verification (${signUpRounds} rounds): registered - new ${interval(aMinusB)} µs; ` +
        `control (new - new) ${interval(cMinusB)} µs\n`,
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A random order (Fisher-Yates). */
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Mean with a 95% confidence interval (normal approximation over the paired differences). */
function interval(xs: number[]): string {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  const half = 1.96 * Math.sqrt(variance / xs.length);
  const f = (v: number) => v.toFixed(1);
  return `${f(mean)} [${f(mean - half)}, ${f(mean + half)}]`;
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
