import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { query } from "../src/db/sql";
import {
  act,
  codeOf,
  connect,
  gql,
  inviteOk,
  ok,
  signUp,
  type SignUpFields,
  type TestMember,
} from "./helpers/http";
import {
  block,
  report,
  searchIds,
  statementsFor,
  suggested,
  suggestedIds,
  suggestedRaw,
} from "./helpers/people";
import { startTestServer, type TestServer } from "./helpers/server";

let server: TestServer;
const clock = new ManualClock(new Date("2033-06-01T09:00:00.000Z"));

const idsOf = (members: TestMember[]) => members.map((m) => m.id);
const join = (name: string, fields: Partial<SignUpFields> = {}) =>
  signUp(server, { name, ...fields });

beforeAll(async () => {
  server = await startTestServer({ clock });
});

afterAll(async () => {
  await server?.stop();
});

describe("suggestedMembers: candidates, reasons and ranking", () => {
  const ACME = { employer: "Acme", school: "MIT", industry: "Software" };
  let v: TestMember;
  let f1: TestMember, f2: TestMember;
  let expected: { member: TestMember; reasons: string[]; shared: number }[];
  let nobody: TestMember, nearMiss: TestMember, farAway: TestMember;

  beforeAll(async () => {
    v = await join("Val Viewer", ACME);
    f1 = await join("Fay Friend", { employer: "Acme" }); // connected: never suggested
    f2 = await join("Flo Friend");
    await connect(server, v, f1);
    await connect(server, f2, v);
    await connect(server, f1, f2);

    const s2 = await join("Zed Shared-Two");
    await connect(server, s2, f1);
    await connect(server, s2, f2);
    const s1Employer = await join("Yul Shared-Employer", { employer: "ACME" });
    await connect(server, s1Employer, f1);
    const s1SchoolIndustry = await join("Abe Shared-School-Industry", {
      school: "mit",
      industry: "software",
    });
    await connect(server, f2, s1SchoolIndustry);
    const all3 = await join("Xia All-Three", ACME);
    const employerOnly = await join("Ann Employer", { employer: " acme " });
    const schoolIndustry = await join("Bea School-Industry", {
      school: "MIT",
      industry: "Software",
    });
    const schoolOnly = await join("Cal School", { school: "MIT", industry: "Hardware" });
    const ina = await join("ina Industry", { industry: "SOFTWARE" });
    const ivo = await join("Ivo Industry", { industry: "Software" });
    expected = [
      { member: s2, reasons: ["SHARED_CONNECTIONS"], shared: 2 },
      { member: s1Employer, reasons: ["SHARED_CONNECTIONS", "SAME_EMPLOYER"], shared: 1 },
      {
        member: s1SchoolIndustry,
        reasons: ["SHARED_CONNECTIONS", "SAME_SCHOOL", "SAME_INDUSTRY"],
        shared: 1,
      },
      { member: all3, reasons: ["SAME_EMPLOYER", "SAME_SCHOOL", "SAME_INDUSTRY"], shared: 0 },
      { member: employerOnly, reasons: ["SAME_EMPLOYER"], shared: 0 },
      { member: schoolIndustry, reasons: ["SAME_SCHOOL", "SAME_INDUSTRY"], shared: 0 },
      { member: schoolOnly, reasons: ["SAME_SCHOOL"], shared: 0 },
      { member: ina, reasons: ["SAME_INDUSTRY"], shared: 0 },
      { member: ivo, reasons: ["SAME_INDUSTRY"], shared: 0 },
    ];
    // Nothing in common, or only part of a word, or only a third-degree link: never suggested.
    nobody = await join("Ned Nobody", { employer: "Initrode", school: "Yale", industry: "Food" });
    nearMiss = await join("Nia Near-Miss", { employer: "Acme Labs", school: "MIT Sloan" });
    farAway = await join("Fin Far-Away");
    await connect(server, farAway, s2);
  });

  it("lists shared connections first, then same employer, school, industry, then name", async () => {
    const list = await suggested(server, v);
    expect(list.map((s) => s.member.id)).toEqual(idsOf(expected.map((e) => e.member)));
    expect(list.map((s) => s.reasons)).toEqual(expected.map((e) => e.reasons));
    expect(list.map((s) => s.sharedConnectionsCount)).toEqual(expected.map((e) => e.shared));
  });

  it("ranks one shared attribute before two lower ones (lexicographic, not a count)", async () => {
    const ids = await suggestedIds(server, v);
    const at = (m: TestMember) => ids.indexOf(m.id);
    // Yul (shared 1 + employer) before Abe (shared 1 + school + industry);
    // Ann (employer) before Bea (school + industry).
    expect(at(expected[1].member)).toBeLessThan(at(expected[2].member));
    expect(at(expected[4].member)).toBeLessThan(at(expected[5].member));
  });

  it("gives each member's relations to the viewer, matching the counts", async () => {
    for (const s of await suggested(server, v)) {
      expect(s.member.mutualConnectionsCount).toBe(s.sharedConnectionsCount);
      expect(s.member.degree).toBe(s.sharedConnectionsCount > 0 ? "SECOND" : "THIRD_PLUS");
      expect(s.reasons.length).toBeGreaterThan(0);
    }
  });

  it("leaves out the viewer, connections and members with no reason", async () => {
    const ids = await suggestedIds(server, v, 50);
    for (const m of [v, f1, f2, nobody, nearMiss, farAway]) expect(ids).not.toContain(m.id);
  });

  it("takes `first` (default 10, 1 to 50)", async () => {
    expect(await suggestedIds(server, v, 3)).toEqual(
      idsOf(expected.slice(0, 3).map((e) => e.member)),
    );
    expect(await suggestedIds(server, v, 50)).toHaveLength(expected.length);
    for (const first of [0, -1, 51, 1000]) {
      const res = await suggestedRaw(server, v, first);
      expect(codeOf(res), String(first)).toBe("BAD_USER_INPUT");
      expect(res.data).toBeNull();
    }
  });

  it("returns 10 by default when there are more", async () => {
    const viewer = await join("Dee Default", { industry: "Basket weaving" });
    const peers: TestMember[] = [];
    for (let i = 0; i < 12; i++) {
      peers.push(await join(`Peer ${String(i).padStart(2, "0")}`, { industry: "basket weaving" }));
    }
    expect(await suggestedIds(server, viewer)).toEqual(idsOf(peers.slice(0, 10)));
    expect(await suggestedIds(server, viewer, 50)).toEqual(idsOf(peers));
  });

  it("is empty for a member with no connections and no profile attributes", async () => {
    const loner = await join("Lou Loner");
    expect(await suggested(server, loner)).toEqual([]);
  });

  it("costs the same number of SQL statements for 2 or 9 suggestions", async () => {
    const query = `query ($first: Int) { suggestedMembers(first: $first) {
      reasons sharedConnectionsCount
      member { id name employer degree mutualConnectionsCount email }
    } }`;
    const small = await statementsFor(server, () => gql(server, query, { first: 2 }, v.token));
    const large = await statementsFor(server, () => gql(server, query, { first: 9 }, v.token));
    expect(large).toBe(small);
  });

  it("needs a token", async () => {
    const res = await suggestedRaw(server, null);
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
    expect(res.data).toBeNull();
  });
});

describe("suggestedMembers and invitations", () => {
  const GLOBEX = { employer: "Globex" };
  let v: TestMember;
  const p: Record<string, TestMember> = {};

  beforeAll(async () => {
    v = await join("Vin Viewer", GLOBEX);
    for (const name of [
      "plain",
      "pendingOut",
      "pendingIn",
      "ignoredIn",
      "ignoredOut",
      "reportedIn",
      "filteredOut",
      "declinedIn",
      "declinedOut",
      "withdrawnOut",
      "acceptedIn",
    ]) {
      p[name] = await join(`Globex ${name}`, GLOBEX);
    }
    await inviteOk(server, v, p.pendingOut.id);
    await inviteOk(server, p.pendingIn, v.id);
    ok(await act(server, v, "ignoreInvitation", await inviteOk(server, p.ignoredIn, v.id)));
    ok(
      await act(
        server,
        p.ignoredOut,
        "ignoreInvitation",
        await inviteOk(server, v, p.ignoredOut.id),
      ),
    );
    await report(server, v, await inviteOk(server, p.reportedIn, v.id));
    // FILTERED is stored when the recipient's settings hold an invitation back; set it directly.
    const filtered = await inviteOk(server, v, p.filteredOut.id);
    await query(
      server.dataSource,
      `UPDATE "invitation" SET "status" = 'FILTERED' WHERE "id" = :id`,
      {
        id: filtered,
      },
    );
    ok(await act(server, v, "declineInvitation", await inviteOk(server, p.declinedIn, v.id), "No"));
    ok(
      await act(
        server,
        p.declinedOut,
        "declineInvitation",
        await inviteOk(server, v, p.declinedOut.id),
      ),
    );
    ok(await act(server, v, "withdrawInvitation", await inviteOk(server, v, p.withdrawnOut.id)));
    ok(await act(server, v, "acceptInvitation", await inviteOk(server, p.acceptedIn, v.id)));
  });

  it("leaves out anyone with an open invitation either way (pending, ignored, reported, filtered)", async () => {
    const ids = await suggestedIds(server, v, 50);
    // Declined and withdrawn invitations are closed: those members are suggested again, by
    // the same rule as anyone else. The accepted one is a connection now.
    // Everyone ties on the employer alone: ordered by name.
    expect(ids).toEqual(idsOf([p.declinedIn, p.declinedOut, p.plain, p.withdrawnOut]));
  });

  it("applies the same rule from the other side", async () => {
    const expectations: [string, boolean][] = [
      ["plain", true],
      ["pendingOut", false],
      ["pendingIn", false],
      ["ignoredIn", false],
      ["ignoredOut", false],
      ["reportedIn", false],
      ["filteredOut", false],
      ["declinedIn", true],
      ["declinedOut", true],
      ["withdrawnOut", true],
      ["acceptedIn", false],
    ];
    for (const [name, seesViewer] of expectations) {
      const ids = await suggestedIds(server, p[name], 50);
      expect(ids.includes(v.id), name).toBe(seesViewer);
    }
  });

  it("an ignore looks exactly like no answer to the sender's suggestions", async () => {
    const [sender, recipient, other] = await Promise.all(
      ["Sid Sender", "Rae Recipient", "Oli Other"].map((n) => join(n, { school: "Hogwarts" })),
    );
    const none = await suggested(server, sender);
    expect(none.map((s) => s.member.id)).toEqual(idsOf([other, recipient]));

    const id = await inviteOk(server, sender, recipient.id);
    const whilePending = await suggested(server, sender);
    expect(whilePending.map((s) => s.member.id)).toEqual([other.id]);
    ok(await act(server, recipient, "ignoreInvitation", id));
    expect(await suggested(server, sender)).toEqual(whilePending);
    // The recipient's side follows the same rule: an open invitation, ignored or not.
    expect(await suggestedIds(server, recipient)).toEqual([other.id]);

    // A decline closes it: both are back, exactly as before the invitation.
    ok(await act(server, recipient, "declineInvitation", id));
    expect(await suggested(server, sender)).toEqual(none);
  });
});

describe("blocks hide members from members(search:) and suggestedMembers", () => {
  const INITECH = { employer: "Initech" };
  let v: TestMember, hub: TestMember, blockedV: TestMember, blockedByV: TestMember;
  let control: TestMember, bystander: TestMember;

  beforeAll(async () => {
    v = await join("Vik Viewer", INITECH);
    hub = await join("Hal Hub");
    blockedV = await join("Bob Blocker", INITECH); // blocks v
    blockedByV = await join("Bill Blocked", INITECH); // blocked by v
    control = await join("Cat Control", INITECH);
    bystander = await join("Bys Bystander", INITECH);
    // Every one of them shares `hub` with `v` (which the blocks do not end) and the employer.
    for (const m of [v, blockedV, blockedByV, control]) await connect(server, hub, m);
    // An open invitation that the block closes, so nothing else hides them.
    await inviteOk(server, blockedV, v.id);
    await block(server, blockedV, v);
    await block(server, v, blockedByV);
  });

  it("leaves them out of the viewer's search and suggestions", async () => {
    // `control` shares `hub` (second degree), `bystander` only the employer.
    expect(await searchIds(server, v, "initech")).toEqual([control.id, bystander.id]);
    expect(await searchIds(server, v, "bob blocker")).toEqual([]);
    expect(await searchIds(server, v, "bill blocked")).toEqual([]);

    const suggestions = await suggested(server, v, 50);
    expect(suggestions.map((s) => s.member.id)).toEqual([control.id, bystander.id]);
    expect(suggestions[0]).toMatchObject({
      sharedConnectionsCount: 1,
      reasons: ["SHARED_CONNECTIONS", "SAME_EMPLOYER"],
    });
  });

  it("leaves the viewer out of theirs", async () => {
    for (const m of [blockedV, blockedByV]) {
      expect(await searchIds(server, m, "initech")).not.toContain(v.id);
      expect(await searchIds(server, m, "vik viewer")).toEqual([]);
      expect(await suggestedIds(server, m, 50)).not.toContain(v.id);
    }
  });

  it("hides nobody from anyone else", async () => {
    const ids = await suggestedIds(server, bystander, 50);
    expect(ids).toEqual(expect.arrayContaining([v.id, blockedV.id, blockedByV.id, control.id]));
    expect(await searchIds(server, bystander, "initech")).toEqual(
      expect.arrayContaining([v.id, blockedV.id, blockedByV.id, control.id]),
    );
  });

  it("shows them again once the block is lifted", async () => {
    ok(
      await gql(
        server,
        `mutation ($id: ID!) { unblockMember(id: $id) }`,
        { id: blockedByV.id },
        v.token,
      ),
    );
    expect(await suggestedIds(server, v, 50)).toContain(blockedByV.id);
    expect(await searchIds(server, v, "bill blocked")).toEqual([blockedByV.id]);
    expect(await suggestedIds(server, blockedByV, 50)).toContain(v.id);
    expect(await suggestedIds(server, v, 50)).not.toContain(blockedV.id);
  });
});
