import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { query } from "../src/db/sql";
import {
  act,
  codeOf,
  gql,
  inviteOk,
  ok,
  signUp,
  type GqlResult,
  type TestMember,
} from "./helpers/http";
import { DAY_MS, report, send, setSettings, signUpMany, sqlCount } from "./helpers/manager";
import { startTestServer, type TestServer } from "./helpers/server";

// Rule 7 (docs/api.md) and docs/inbox.md, "Limits against spam": the weekly cap (100 in any
// 7 days), counted inside the mutation so that aliases in one request and concurrent requests
// cannot pass it; the cap of open invitations (PENDING_INVITATION_LIMIT); suspension after
// reports from 5 different members within 30 days; cooldown CONFLICT with the date it ends.

const WEEK_S = 7 * 24 * 60 * 60;

function expectRateLimited(res: GqlResult, label = "") {
  expect(codeOf(res), label).toBe("RATE_LIMITED");
  const retryAfter = res.errors![0].extensions.retryAfter;
  expect(typeof retryAfter, `${label}: retryAfter is a number`).toBe("number");
  expect(retryAfter, label).toBeGreaterThan(0);
  return retryAfter as number;
}

async function sentBy(server: TestServer, member: TestMember): Promise<number> {
  return sqlCount(server, `SELECT COUNT(*) AS "n" FROM "invitation" WHERE "senderId" = :senderId`, {
    senderId: member.id,
  });
}

describe("the weekly cap", () => {
  let server: TestServer;
  const clock = new ManualClock(new Date("2033-02-01T10:00:00.000Z"));
  let recipients: TestMember[];
  let aliasSender: TestMember;
  let concurrentSender: TestMember;

  beforeAll(async () => {
    // 150 aliased sendInvitation fields in one request: over the default query limits
    // (30 aliases, 2000 tokens; test/query-limits.test.ts), which would refuse it whole.
    server = await startTestServer({
      clock,
      env: { QUERY_MAX_ALIASES: "150", QUERY_MAX_TOKENS: "3000" },
    });
    recipients = await signUpMany(server, 152, (i) => ({ name: `Recipient ${i}` }));
    aliasSender = await signUp(server, { name: "Alias Sender" });
    concurrentSender = await signUp(server, { name: "Concurrent Sender" });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  let aliasResult: GqlResult;

  it("creates exactly 100 of 150 aliased sendInvitation fields in one request; every error is RATE_LIMITED", async () => {
    const targets = recipients.slice(0, 150);
    const fields = targets
      .map(
        (r, i) =>
          `a${i}: sendInvitation(input: { recipientId: "${r.id}" }) { invitation { id status } }`,
      )
      .join("\n");
    aliasResult = await gql(server, `mutation { ${fields} }`, {}, aliasSender.token);

    expect(await sentBy(server, aliasSender)).toBe(100);
    // Mutation fields run one after another: the first 100 recipients got one each.
    const got = await query<{ recipientId: string }>(
      server.dataSource,
      `SELECT "recipientId" FROM "invitation" WHERE "senderId" = :senderId`,
      { senderId: aliasSender.id },
    );
    expect(new Set(got.map((g) => g.recipientId))).toEqual(
      new Set(targets.slice(0, 100).map((r) => r.id)),
    );
    expect(aliasResult.errors?.length ?? 0).toBeGreaterThan(0);
    for (const err of aliasResult.errors ?? []) {
      expect(err.extensions?.code).toBe("RATE_LIMITED");
      expect(typeof err.extensions?.retryAfter).toBe("number");
      expect(err.extensions.retryAfter).toBeGreaterThan(0);
    }
  });

  it("answers the 101st alias RATE_LIMITED; the contract's non-null payload ends the request there", () => {
    // The contract types `sendInvitation` as `SendInvitationPayload!`, so by the GraphQL spec
    // the first refused alias nulls `data` and the serial execution of mutations stops: the
    // refusal reaches the client once, with `retryAfter`, and no later alias runs (the
    // test before checks that exactly 100 exist). Kept, not loosened: clients rely on the type.
    expect(aliasResult, "the aliased request of the test before").toBeDefined();
    const res = aliasResult;
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0].path).toEqual(["a100"]);
    expect(res.errors![0].extensions.code).toBe("RATE_LIMITED");
    expect(res.errors![0].extensions.retryAfter).toBeGreaterThan(0);
  });

  it("lets exactly 100 of 150 concurrent requests through; the others are RATE_LIMITED", async () => {
    const targets = recipients.slice(0, 150);
    const results = await Promise.all(
      targets.map((r) => send(server, concurrentSender, r.id, { message: "hi" })),
    );
    const passed = results.filter((r) => !r.errors?.length);
    const limited = results.filter((r) => r.errors?.length);
    expect(passed).toHaveLength(100);
    expect(limited).toHaveLength(50);
    for (const r of limited) {
      const retryAfter = expectRateLimited(r);
      // Everything was sent at the same (manual) instant: a slot frees in exactly 7 days.
      expect(retryAfter).toBe(WEEK_S);
    }
    for (const r of passed) expect(r.data.sendInvitation.invitation.status).toBe("PENDING");
    expect(await sentBy(server, concurrentSender)).toBe(100);
    // The recipients of the refused requests got nothing, not even a notification.
    const refusedIds = targets.filter((_, i) => results[i].errors?.length).map((r) => r.id);
    const notes = await sqlCount(
      server,
      `SELECT COUNT(*) AS "n" FROM "notification"
        WHERE "actorId" = :actorId AND "recipientId" IN (:...refusedIds)`,
      { actorId: concurrentSender.id, refusedIds },
    );
    expect(notes).toBe(0);
  });

  it("opens again when retryAfter has passed (7 days on the clock), not a second before", async () => {
    const fresh = recipients[150];
    clock.advance(7 * DAY_MS - 1000);
    const early = await send(server, concurrentSender, fresh.id);
    expect(expectRateLimited(early)).toBe(1);
    expect(await sentBy(server, concurrentSender)).toBe(100);

    clock.advance(1000);
    const later = ok(await send(server, concurrentSender, fresh.id));
    expect(later.sendInvitation.invitation.status).toBe("PENDING");
    // The alias sender too, to a member it has not invited yet.
    const notYet = await query<{ id: string }>(
      server.dataSource,
      `SELECT "id" FROM "member"
        WHERE "id" NOT IN (SELECT "recipientId" FROM "invitation" WHERE "senderId" = :senderId)
          AND "id" != :senderId`,
      { senderId: aliasSender.id },
    );
    expect(notYet.length).toBeGreaterThan(0);
    const again = ok(await send(server, aliasSender, notYet[0].id));
    expect(again.sendInvitation.invitation.status).toBe("PENDING");
    expect(await sentBy(server, aliasSender)).toBe(101);
  });

  it("counts withdrawn invitations against the week: withdrawing frees no weekly slot", async () => {
    const limited = await startTestServer({
      clock,
      env: { WEEKLY_INVITATION_LIMIT: "2" },
    });
    try {
      const s = await signUp(limited, { name: "Withdrawer" });
      const [r1, r2, r3] = await signUpMany(limited, 3);
      const first = await inviteOk(limited, s, r1.id);
      await inviteOk(limited, s, r2.id);
      ok(await act(limited, s, "withdrawInvitation", first));
      expectRateLimited(await send(limited, s, r3.id));
    } finally {
      await limited.stop();
    }
  });
});

describe("the cap of open invitations (PENDING_INVITATION_LIMIT=3)", () => {
  let server: TestServer;
  const clock = new ManualClock(new Date("2033-03-01T10:00:00.000Z"));

  beforeAll(async () => {
    server = await startTestServer({ clock, env: { PENDING_INVITATION_LIMIT: "3" } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a fourth open invitation, counts ignored and filtered ones, frees a slot on withdraw or accept", async () => {
    const sender = await signUp(server, { name: "Capped Sender" });
    const r = await signUpMany(server, 6);
    // The second lands in r[1]'s FILTERED list (a wrong email); to the sender it is pending.
    await setSettings(server, r[1], { whoCanInvite: "EMAIL_REQUIRED" });
    const ids = [
      await inviteOk(server, sender, r[0].id),
      ok(await send(server, sender, r[1].id, { recipientEmail: "wrong@example.com" }))
        .sendInvitation.invitation.id as string,
      await inviteOk(server, sender, r[2].id),
    ];
    expect(
      await sqlCount(
        server,
        `SELECT COUNT(*) AS "n" FROM "invitation" WHERE "id" = :id AND "status" = 'FILTERED'`,
        { id: ids[1] },
      ),
    ).toBe(1);
    const fourth = await send(server, sender, r[3].id);
    expectRateLimited(fourth, "fourth");
    expect(await sentBy(server, sender)).toBe(3);

    // An ignored one still counts: the cap must not tell the sender it was ignored (rule 1).
    ok(await act(server, r[0], "ignoreInvitation", ids[0]));
    expect(normalizeLimit(await send(server, sender, r[3].id))).toEqual(normalizeLimit(fourth));

    // A withdraw frees a slot.
    ok(await act(server, sender, "withdrawInvitation", ids[2]));
    const afterWithdraw = ok(await send(server, sender, r[3].id));
    expect(afterWithdraw.sendInvitation.invitation.status).toBe("PENDING");
    expectRateLimited(await send(server, sender, r[4].id), "after withdraw, full again");

    // Accepting (even from the IGNORED list) frees one too; so does a decline.
    ok(await act(server, r[0], "acceptInvitation", ids[0]));
    ok(await send(server, sender, r[4].id));
    expectRateLimited(await send(server, sender, r[5].id), "full again");
    ok(await act(server, r[1], "declineInvitation", ids[1]));
    ok(await send(server, sender, r[5].id));
  });
});

/** A RATE_LIMITED answer without the parts that move with the clock. */
function normalizeLimit(res: GqlResult) {
  return {
    data: res.data,
    errors: res.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })),
  };
}

describe("silent restriction after reports from 5 different members within 30 days", () => {
  let server: TestServer;
  const clock = new ManualClock(new Date("2033-04-01T10:00:00.000Z"));

  beforeAll(async () => {
    server = await startTestServer({ clock });
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Where `sender`'s invitation to `to` landed, as `to` sees it, and what `to` was told. */
  async function landing(to: TestMember, invitationId: string) {
    const lists = ok(
      await gql(
        server,
        `query {
          p: receivedInvitations { edges { node { id } } }
          f: receivedInvitations(filter: { status: FILTERED }) { edges { node { id } } }
          n: notifications { edges { node { kind invitation { id } } } }
        }`,
        {},
        to.token,
      ),
    );
    const has = (l: { edges: { node: { id: string } }[] }) =>
      l.edges.some((e) => e.node.id === invitationId);
    return {
      list: has(lists.p) ? "PENDING" : has(lists.f) ? "FILTERED" : "nowhere",
      told: lists.n.edges.some(
        (e: { node: { invitation: { id: string } | null } }) =>
          e.node.invitation?.id === invitationId,
      ),
    };
  }

  it("restricts the sender silently for 7 days from the fifth report: sends succeed and land in FILTERED", async () => {
    const spammer = await signUp(server, { name: "Spammer" });
    const reporters = await signUpMany(server, 5, (i) => ({ name: `Reporter ${i}` }));
    const [clean, clean2, clean3] = await signUpMany(server, 3, (i) => ({ name: `Clean ${i}` }));
    const ids = [];
    for (const r of reporters) ids.push(await inviteOk(server, spammer, r.id, "buy now"));

    for (let i = 0; i < 4; i++) {
      clock.advance(DAY_MS);
      await report(server, reporters[i], ids[i], i % 2 ? "SPAM" : "I_DONT_KNOW");
    }
    // Four reports: not yet (proves the threshold is 5, not fewer).
    const fine = ok(await send(server, spammer, clean2.id));
    expect(await landing(clean2, fine.sendInvitation.invitation.id)).toEqual({
      list: "PENDING",
      told: true,
    });

    clock.advance(DAY_MS);
    await report(server, reporters[4], ids[4]);
    // The sender is told nothing: the same answer as before, an invitation that looks pending.
    const restricted = ok(await send(server, spammer, clean.id));
    expect(restricted.sendInvitation).toMatchObject({
      connected: false,
      invitation: { status: "PENDING" },
    });
    expect(await landing(clean, restricted.sendInvitation.invitation.id)).toEqual({
      list: "FILTERED",
      told: false,
    });

    // Until 7 days after the fifth report.
    clock.advance(7 * DAY_MS - 1000);
    const still = ok(await send(server, spammer, clean3.id));
    expect((await landing(clean3, still.sendInvitation.invitation.id)).list).toBe("FILTERED");
    clock.advance(1000);
    const [later] = await signUpMany(server, 1);
    const back = ok(await send(server, spammer, later.id, { message: "sorry" }));
    expect(await landing(later, back.sendInvitation.invitation.id)).toEqual({
      list: "PENDING",
      told: true,
    });
  });

  it("does not count reports spread over more than 30 days, nor one member twice", async () => {
    const sender = await signUp(server, { name: "Occasional Sender" });
    const reporters = await signUpMany(server, 5);
    const [target, target2] = await signUpMany(server, 2);
    const ids = [];
    for (const r of reporters) ids.push(await inviteOk(server, sender, r.id));
    for (let i = 0; i < 4; i++) await report(server, reporters[i], ids[i]);
    clock.advance(31 * DAY_MS);
    await report(server, reporters[4], ids[4]);
    // Five reporters, but never five within 30 days.
    const first = ok(await send(server, sender, target.id)).sendInvitation.invitation.id;
    expect((await landing(target, first)).list).toBe("PENDING");

    // The same member reporting again (an idempotent second report) adds no reporter.
    await report(server, reporters[4], ids[4]);
    const second = ok(await send(server, sender, target2.id)).sendInvitation.invitation.id;
    expect((await landing(target2, second)).list).toBe("PENDING");
  });
});

describe("cooldown after a decline or a withdraw", () => {
  let server: TestServer;
  const clock = new ManualClock(new Date("2033-05-01T10:00:00.000Z"));

  beforeAll(async () => {
    server = await startTestServer({ clock });
  });

  afterAll(async () => {
    await server?.stop();
  });

  for (const how of ["declineInvitation", "withdrawInvitation"] as const) {
    it(`answers CONFLICT with until (ISO) and retryAfter after ${how}, and opens at until`, async () => {
      const a = await signUp(server);
      const b = await signUp(server);
      const id = await inviteOk(server, a, b.id);
      clock.advance(60 * 60 * 1000);
      const closedAt = clock.now();
      ok(await act(server, how === "declineInvitation" ? b : a, how, id));

      clock.advance(DAY_MS);
      const res = await send(server, a, b.id);
      expect(codeOf(res)).toBe("CONFLICT");
      const ext = res.errors![0].extensions;
      const until = new Date(closedAt.getTime() + 21 * DAY_MS);
      expect(ext.until).toBe(until.toISOString());
      expect(new Date(ext.until).toISOString()).toBe(ext.until);
      expect(ext.retryAfter).toBe(20 * 24 * 60 * 60);
      expect(res.errors![0].message).toContain(until.toISOString());

      clock.set(new Date(until.getTime() - 1000));
      const late = await send(server, a, b.id);
      expect(codeOf(late)).toBe("CONFLICT");
      expect(late.errors![0].extensions.retryAfter).toBe(1);

      clock.set(until);
      const again = ok(await send(server, a, b.id));
      expect(again.sendInvitation.invitation.status).toBe("PENDING");
    });
  }
});
