/**
 * What an open invitation stores about its pair (`mutualCount`, `sameEmployer`,
 * `sameIndustry`, `sameSchool`: the inbox's filters and MOST_MUTUAL_CONNECTIONS order read
 * them from the row) always equals a recount from the connections and the profiles, after
 * any sequence of sends, answers, removals and blocks, on either engine. And what the inbox
 * shows from them equals what `member(id)` computes for the same sender.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { query } from "../src/db/sql";
import { OPEN_STATUSES } from "../src/invitations/lifecycle";
import { gql, ok, signUp } from "./helpers/http";
import { actRandomly, RANDOM_ACTS, type RandomAct } from "./helpers/random-acts";
import { startTestServer, type TestServer } from "./helpers/server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Stored values and a recount, per open invitation of `ids`' members. */
async function storedAndRecounted(ids: string[]) {
  const same = (key: string) => `CASE WHEN s."${key}" IS NOT NULL AND s."${key}" = r."${key}"
    THEN 1 ELSE 0 END`;
  return query<Record<string, unknown>>(
    server.dataSource,
    `SELECT i."id", i."mutualCount",
       CASE WHEN i."sameEmployer" THEN 1 ELSE 0 END AS "sameEmployer",
       CASE WHEN i."sameIndustry" THEN 1 ELSE 0 END AS "sameIndustry",
       CASE WHEN i."sameSchool" THEN 1 ELSE 0 END AS "sameSchool",
       (SELECT COUNT(*) FROM "connection" c1 INNER JOIN "connection" c2
          ON c2."otherId" = c1."otherId"
        WHERE c1."memberId" = i."senderId" AND c2."memberId" = i."recipientId") AS "recount",
       ${same("employerKey")} AS "employerNow",
       ${same("industryKey")} AS "industryNow",
       ${same("schoolKey")} AS "schoolNow"
     FROM "invitation" i
     INNER JOIN "member" s ON s."id" = i."senderId"
     INNER JOIN "member" r ON r."id" = i."recipientId"
     WHERE i."status" IN (:...open) AND i."senderId" IN (:...ids)`,
    { open: OPEN_STATUSES, ids },
  );
}

const INBOX = `query ($order: InvitationOrder) {
  receivedInvitations(first: 50, orderBy: $order) {
    edges { node { id sender { id mutualConnectionsCount degree } } } } }`;
const MEMBER = `query ($id: ID!) { member(id: $id) { mutualConnectionsCount degree } }`;

describe("stored relations on open invitations", () => {
  it("always equal a recount, and the inbox shows what member(id) computes", async () => {
    let run = 0;
    const op = fc.record({
      who: fc.nat(5),
      other: fc.nat(5),
      // Connections come and go often: they move the stored counts.
      what: fc.constantFrom<RandomAct>(
        ...RANDOM_ACTS.filter((a) => a !== "signUp"),
        "invite",
        "accept",
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        run++;
        // Small sets of employers, industries and schools: pairs share them often.
        const people = await Promise.all(
          [0, 1, 2, 3, 4, 5].map((i) =>
            signUp(server, {
              name: `Rel ${run}-${i}`,
              employer: ["Acme", "Globex", undefined][i % 3],
              industry: ["Software", "Banking"][i % 2],
              school: i < 3 ? "Tech U" : undefined,
            }),
          ),
        );
        // Every pair starts with an open invitation: the connections the ops make and end
        // then move the counts of invitations sent before them.
        for (const [i, me] of people.entries()) {
          for (const other of people.slice(i + 1)) await actRandomly(server, me, other, "invite");
        }
        for (const { who, other, what } of ops) {
          await actRandomly(server, people[who], people[other], what);
          for (const row of await storedAndRecounted(people.map((p) => p.id))) {
            expect({
              mutual: Number(row.mutualCount),
              employer: Number(row.sameEmployer),
              industry: Number(row.sameIndustry),
              school: Number(row.sameSchool),
            }).toEqual({
              mutual: Number(row.recount),
              employer: Number(row.employerNow),
              industry: Number(row.industryNow),
              school: Number(row.schoolNow),
            });
          }
        }
        // What the inbox shows from the row is what the member's own resolvers compute.
        for (const viewer of people) {
          for (const order of ["NEWEST", "MOST_MUTUAL_CONNECTIONS"]) {
            const inbox = ok(await gql(server, INBOX, { order }, viewer.token));
            for (const { node } of inbox.receivedInvitations.edges) {
              const computed = ok(await gql(server, MEMBER, { id: node.sender.id }, viewer.token));
              const { id: _id, ...shown } = node.sender;
              expect(shown).toEqual(computed.member);
            }
          }
        }
      }),
      { numRuns: 10, endOnFailure: true },
    );
  }, 180_000);
});
