import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/common/clock";
import { act, codeOf, connect, gql, ok, signUp, type TestMember } from "./helpers/http";
import {
  BLOCK,
  RECEIVED_PAGE,
  report,
  send,
  setSettings,
  signUpMany,
  walkReceived,
  type Order,
  type ReceivedFilter,
} from "./helpers/manager";
import { startTestServer, type TestServer } from "./helpers/server";

// receivedInvitations(filter: {status, relations, search}, orderBy, first, after), as
// docs/inbox.md ("Filters and order") describes it. One inbox with senders of every kind of
// relation to the viewer is built once; a model of it (who sent what, when, with how many
// shared connections) gives the expected list for every combination, which is then read page
// by page over HTTP.
//
// Orders (every order ends with the id: docs/api.md, "Lists and cursors"): NEWEST = sentAt
// desc, id desc; OLDEST = sentAt asc, id asc; MOST_MUTUAL_CONNECTIONS = shared connections
// desc, then newest first (sentAt desc, id desc).
// Senders are grouped so that several invitations share one sentAt (a ManualClock), so the
// tie-break decides their order.

let server: TestServer;
const clock = new ManualClock(new Date("2032-01-05T09:00:00.000Z"));

type Bucket = "PENDING" | "IGNORED" | "FILTERED";

interface SenderSpec {
  key: string;
  name: string;
  employer?: string;
  industry?: string;
  school?: string;
  /** Indexes into the viewer's connections C0..C2 this sender is also connected to. */
  mutual: number[];
  /** Time group: senders of one group send at the same instant. */
  group: number;
  bucket: Bucket;
  /** Removed from every list by a block (by the viewer, or of the viewer). */
  blocked?: "byViewer" | "ofViewer";
  /** For IGNORED: reported instead of ignored (stored REPORTED, listed as IGNORED). */
  reported?: boolean;
}

const VIEWER = {
  name: "Vera Viewer",
  employer: "Acme Corp",
  industry: "Software",
  school: "State University",
};

const SPECS: SenderSpec[] = [
  // PENDING
  {
    key: "s1",
    name: "Alice Smith",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0, 1, 2],
    group: 0,
    bucket: "PENDING",
  },
  {
    key: "s2",
    name: "alice JONES",
    employer: "ACME CORP",
    industry: "software",
    mutual: [0],
    group: 0,
    bucket: "PENDING",
  },
  {
    key: "s4",
    name: "Ann%Bee",
    employer: "acme corp",
    industry: "Finance",
    school: "State University",
    mutual: [0, 1],
    group: 1,
    bucket: "PENDING",
  },
  { key: "s5", name: "Ann Bee", industry: "Finance", mutual: [1], group: 1, bucket: "PENDING" },
  {
    key: "s6",
    name: "Cat_Dog",
    employer: "Initech",
    industry: "Software",
    school: "state university",
    mutual: [0, 1],
    group: 1,
    bucket: "PENDING",
  },
  {
    key: "s7",
    name: "CatxDog",
    employer: "Acme Corp",
    industry: "Software",
    mutual: [],
    group: 2,
    bucket: "PENDING",
  },
  {
    key: "s9",
    name: "Eve Malice",
    employer: "Umbrella",
    industry: "Biotech",
    school: "Other College",
    mutual: [0, 1, 2],
    group: 2,
    bucket: "PENDING",
  },
  {
    key: "s10",
    name: "Frank Alice",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0, 1],
    group: 3,
    bucket: "PENDING",
  },
  {
    key: "s12",
    name: "Heidi Hall",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [1, 2],
    group: 3,
    bucket: "PENDING",
  },
  {
    key: "s13",
    name: "Ivan Ito",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [],
    group: 3,
    bucket: "PENDING",
  },
  {
    key: "s14",
    name: "Grace Acme",
    employer: "Acme Corporation",
    industry: "Software",
    mutual: [0],
    group: 4,
    bucket: "PENDING",
  },
  {
    key: "s15",
    name: "Judy Alison",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0, 1],
    group: 4,
    bucket: "PENDING",
  },
  // IGNORED (ignored, or reported: both are the recipient's archive)
  {
    key: "s3",
    name: "Bob Stone",
    employer: "Globex",
    industry: "Software",
    school: "STATE UNIVERSITY",
    mutual: [],
    group: 0,
    bucket: "IGNORED",
  },
  {
    key: "s8",
    name: "Dave Alison",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [2],
    group: 2,
    bucket: "IGNORED",
  },
  {
    key: "s11",
    name: "Karl Alice",
    employer: "acme corp",
    industry: "Software",
    mutual: [0, 1],
    group: 2,
    bucket: "IGNORED",
    reported: true,
  },
  {
    key: "s16",
    name: "Liam Lee",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0, 1],
    group: 3,
    bucket: "IGNORED",
  },
  // FILTERED (the viewer asked for the email; these gave a wrong one)
  {
    key: "f1",
    name: "Alice Filter",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0],
    group: 5,
    bucket: "FILTERED",
  },
  {
    key: "f2",
    name: "Filtered Bob",
    employer: "acme corp",
    industry: "Software",
    mutual: [],
    group: 5,
    bucket: "FILTERED",
  },
  {
    key: "f3",
    name: "Filtered Carl",
    employer: "Globex",
    industry: "Software",
    school: "State University",
    mutual: [0, 1],
    group: 5,
    bucket: "FILTERED",
  },
  {
    key: "f4",
    name: "alice F_x",
    employer: "Acme Corp",
    industry: "Software",
    mutual: [1],
    group: 6,
    bucket: "FILTERED",
  },
  {
    key: "f5",
    name: "Zed Zimmer",
    employer: "ACME Corp",
    industry: "Software",
    school: "State University",
    mutual: [0, 1],
    group: 6,
    bucket: "FILTERED",
  },
  // Blocked either way: never in any list, whatever they match.
  {
    key: "b1",
    name: "Alice Blocked",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0, 1, 2],
    group: 0,
    bucket: "PENDING",
    blocked: "byViewer",
  },
  {
    key: "b2",
    name: "Alice Blocker",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0, 1, 2],
    group: 3,
    bucket: "PENDING",
    blocked: "ofViewer",
  },
  {
    key: "b3",
    name: "Alice Ignored Blocked",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0, 1],
    group: 2,
    bucket: "IGNORED",
    blocked: "byViewer",
  },
  {
    key: "b4",
    name: "Alice Filtered Blocked",
    employer: "Acme Corp",
    industry: "Software",
    school: "State University",
    mutual: [0],
    group: 5,
    bucket: "FILTERED",
    blocked: "ofViewer",
  },
];

interface Row {
  spec: SenderSpec;
  sender: TestMember;
  id: string;
  sentAt: number;
}

let viewer: TestMember;
/** A second viewer with no employer and no school (and no connections). */
let bare: TestMember;
const rows: Row[] = [];
let bareRows: Row[] = [];

const lower = (s?: string) => s?.toLowerCase();

function holds(spec: SenderSpec, relation: string, of: Partial<typeof VIEWER>): boolean {
  const mine = (k: "employer" | "industry" | "school") =>
    of[k] !== undefined && spec[k] !== undefined && lower(of[k]) === lower(spec[k]);
  if (relation === "MUTUAL_CONNECTIONS") return of === VIEWER && spec.mutual.length > 0;
  if (relation === "SAME_EMPLOYER") return mine("employer");
  if (relation === "SAME_INDUSTRY") return mine("industry");
  return mine("school");
}

/** The ids the model says a list holds, in the promised order. */
function expected(
  list: Row[],
  filter: ReceivedFilter,
  order: Order,
  of: Partial<typeof VIEWER> = VIEWER,
): string[] {
  const bucket = filter.status ?? "PENDING";
  const search = filter.search?.toLowerCase();
  const kept = list.filter(
    (r) =>
      !r.spec.blocked &&
      r.spec.bucket === bucket &&
      (filter.relations ?? []).every((rel) => holds(r.spec, rel, of)) &&
      (!search || r.spec.name.toLowerCase().includes(search)),
  );
  const byId = (a: Row, b: Row) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const newest = (a: Row, b: Row) => b.sentAt - a.sentAt || -byId(a, b);
  const sorted = [...kept].sort(
    order === "OLDEST"
      ? (a, b) => a.sentAt - b.sentAt || byId(a, b)
      : order === "NEWEST"
        ? newest
        : (a, b) =>
            (of === VIEWER ? b.spec.mutual.length - a.spec.mutual.length : 0) || newest(a, b),
  );
  return sorted.map((r) => r.id);
}

const keyOf = (id: string) =>
  rows.find((r) => r.id === id)?.spec.key ?? bareRows.find((r) => r.id === id)?.spec.key ?? id;

beforeAll(async () => {
  server = await startTestServer({ clock });
  viewer = await signUp(server, VIEWER);
  bare = await signUp(server, { name: "Bare Viewer", industry: "Software" });
  const conns = await signUpMany(server, 3, (i) => ({ name: `Connection ${i}` }));
  const senders = await signUpMany(server, SPECS.length, (i) => {
    const { name, employer, industry, school } = SPECS[i];
    return { name, employer, industry, school };
  });
  // The viewer's connections, then each sender's links to some of them.
  await Promise.all(conns.map((c) => connect(server, viewer, c)));
  await Promise.all(
    SPECS.flatMap((spec, i) => spec.mutual.map((c) => connect(server, conns[c], senders[i]))),
  );

  const groups = [...new Set(SPECS.map((s) => s.group))].sort((a, b) => a - b);
  for (const group of groups) {
    clock.advance(60_000);
    const filtered = SPECS.some((s) => s.group === group && s.bucket === "FILTERED");
    await setSettings(server, viewer, {
      whoCanInvite: filtered ? "EMAIL_REQUIRED" : "EVERYONE",
    });
    for (const [i, spec] of SPECS.entries()) {
      if (spec.group !== group) continue;
      const res = ok(
        await send(server, senders[i], viewer.id, {
          message: `from ${spec.key}`,
          // A wrong email for a member who requires hers: FILTERED, silently.
          recipientEmail: filtered ? "not-vera@example.com" : undefined,
        }),
      );
      const inv = res.sendInvitation.invitation;
      expect(inv.status).toBe("PENDING");
      rows.push({ spec, sender: senders[i], id: inv.id, sentAt: Date.parse(inv.sentAt) });
    }
  }
  await setSettings(server, viewer, { whoCanInvite: "EVERYONE" });
  clock.advance(60_000);

  for (const r of rows) {
    if (r.spec.bucket !== "IGNORED") continue;
    if (r.spec.reported) await report(server, viewer, r.id, "I_DONT_KNOW");
    else ok(await act(server, viewer, "ignoreInvitation", r.id));
  }
  for (const r of rows) {
    if (r.spec.blocked === "byViewer")
      ok(await gql(server, BLOCK, { id: r.sender.id }, viewer.token));
    if (r.spec.blocked === "ofViewer")
      ok(await gql(server, BLOCK, { id: viewer.id }, r.sender.token));
  }

  // The bare viewer's inbox: a few of the same senders, two at one instant.
  clock.advance(60_000);
  for (const key of ["s1", "s2", "s3", "s7"]) {
    if (key === "s3") clock.advance(60_000);
    const r = rows.find((x) => x.spec.key === key)!;
    const inv = ok(await send(server, r.sender, bare.id)).sendInvitation.invitation;
    bareRows.push({ spec: r.spec, sender: r.sender, id: inv.id, sentAt: Date.parse(inv.sentAt) });
  }
  bareRows = bareRows.map((r) => ({ ...r, spec: { ...r.spec, bucket: "PENDING" } }));
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const FILTERS: Array<Omit<ReceivedFilter, "status">> = [
  {},
  { relations: ["MUTUAL_CONNECTIONS"] },
  { relations: ["SAME_EMPLOYER"] },
  { relations: ["SAME_INDUSTRY"] },
  { relations: ["SAME_SCHOOL"] },
  { relations: ["SAME_EMPLOYER", "SAME_SCHOOL"] },
  { relations: ["MUTUAL_CONNECTIONS", "SAME_INDUSTRY"] },
  { relations: ["MUTUAL_CONNECTIONS", "SAME_EMPLOYER", "SAME_INDUSTRY", "SAME_SCHOOL"] },
  { relations: ["SAME_EMPLOYER", "SAME_EMPLOYER"] },
  { relations: [] },
  { search: "alice" },
  { search: "ALI" },
  { search: "ALI", relations: ["SAME_EMPLOYER"] },
  { search: "ali", relations: ["MUTUAL_CONNECTIONS", "SAME_SCHOOL"] },
  { search: "n%b" },
  { search: "t_d" },
  { search: "%" },
  { search: "_" },
  { search: "nobody matches this" },
];
const ORDERS: Order[] = ["NEWEST", "OLDEST", "MOST_MUTUAL_CONNECTIONS"];
const BUCKETS: Bucket[] = ["PENDING", "IGNORED", "FILTERED"];

describe("the model behind these tests", () => {
  it("has ties in sentAt and in shared connections, and several pages per list", () => {
    const times = rows.map((r) => r.sentAt);
    expect(new Set(times).size).toBeLessThan(times.length);
    const pending = expected(rows, {}, "NEWEST");
    expect(pending.length).toBeGreaterThanOrEqual(10);
    expect(expected(rows, { status: "FILTERED" }, "NEWEST").length).toBeGreaterThanOrEqual(5);
  });
});

describe("receivedInvitations: status, relations, search and order, page by page", () => {
  for (const bucket of BUCKETS) {
    for (const order of ORDERS) {
      it(`${bucket} ordered ${order}: every filter, pages of 2 and 3, no skip, no repeat`, async () => {
        for (const f of FILTERS) {
          const filter: ReceivedFilter = { ...f, status: bucket };
          const want = expected(rows, filter, order);
          for (const first of [2, 3]) {
            const walk = await walkReceived(server, viewer, filter, order, first);
            const label = `${JSON.stringify(filter)} ${order} first=${first}`;
            expect(walk.ids.map(keyOf), label).toEqual(want.map(keyOf));
            expect(new Set(walk.ids).size, `${label}: repeats`).toBe(walk.ids.length);
            // totalCount is the whole filtered list on every page.
            expect(
              walk.totals.every((t) => t === want.length),
              `${label}: totalCount`,
            ).toBe(true);
            // Full pages until the last one.
            expect(
              walk.sizes.slice(0, -1).every((s) => s === first),
              `${label}: sizes`,
            ).toBe(true);
          }
        }
      });
    }
  }

  it("defaults to PENDING and NEWEST, and shows each bucket's status as the recipient sees it", async () => {
    const Q = `query ($filter: ReceivedInvitationsFilter) {
      receivedInvitations(filter: $filter, first: 100) { totalCount edges { node { id status } } }
    }`;
    const plain = ok(await gql(server, Q, {}, viewer.token)).receivedInvitations;
    expect(plain.edges.map((e: { node: { id: string } }) => keyOf(e.node.id))).toEqual(
      expected(rows, {}, "NEWEST").map(keyOf),
    );
    const statuses: Record<Bucket, string> = {
      PENDING: "PENDING",
      IGNORED: "IGNORED",
      FILTERED: "PENDING",
    };
    for (const bucket of BUCKETS) {
      const list = ok(
        await gql(server, Q, { filter: { status: bucket } }, viewer.token),
      ).receivedInvitations;
      expect(list.edges.length).toBeGreaterThan(0);
      for (const e of list.edges) expect(e.node.status, bucket).toBe(statuses[bucket]);
    }
  });

  it("matches employer, industry and school without regard to case, and only equal values", async () => {
    const walk = await walkReceived(
      server,
      viewer,
      { relations: ["SAME_EMPLOYER"] },
      "NEWEST",
      100,
    );
    const keys = walk.ids.map(keyOf).sort();
    // "ACME CORP" and "acme corp" match "Acme Corp"; "Acme Corporation" and no employer do not.
    expect(keys).toEqual(["s1", "s10", "s12", "s13", "s15", "s2", "s4", "s7"].sort());
    const school = await walkReceived(
      server,
      viewer,
      { relations: ["SAME_SCHOOL"] },
      "NEWEST",
      100,
    );
    expect(school.ids.map(keyOf).sort()).toEqual(
      ["s1", "s10", "s12", "s13", "s15", "s4", "s6"].sort(),
    );
    const mutual = await walkReceived(
      server,
      viewer,
      { relations: ["MUTUAL_CONNECTIONS"] },
      "MOST_MUTUAL_CONNECTIONS",
      100,
    );
    expect(mutual.ids.map(keyOf)[0]).toMatch(/^(s1|s9)$/);
    expect(mutual.ids.map(keyOf)).not.toContain("s7");
    expect(mutual.ids.map(keyOf)).not.toContain("s13");
  });

  it("reports the sender's shared connections with the viewer as mutualConnectionsCount", async () => {
    const data = ok(
      await gql(
        server,
        RECEIVED_PAGE,
        { orderBy: "MOST_MUTUAL_CONNECTIONS", first: 100 },
        viewer.token,
      ),
    );
    for (const e of data.receivedInvitations.edges) {
      const row = rows.find((r) => r.id === e.node.id)!;
      expect(e.node.sender.mutualConnectionsCount, row.spec.key).toBe(row.spec.mutual.length);
    }
  });

  it("treats % and _ in search as literal characters, any case", async () => {
    const names = async (search: string, status: Bucket = "PENDING") => {
      const walk = await walkReceived(server, viewer, { search, status }, "NEWEST", 100);
      return walk.ids.map((id) => rows.find((r) => r.id === id)!.spec.name).sort();
    };
    expect(await names("n%b")).toEqual(["Ann%Bee"]);
    expect(await names("N%B")).toEqual(["Ann%Bee"]);
    expect(await names("%")).toEqual(["Ann%Bee"]);
    expect(await names("t_d")).toEqual(["Cat_Dog"]);
    expect(await names("_")).toEqual(["Cat_Dog"]);
    expect(await names("F_X", "FILTERED")).toEqual(["alice F_x"]);
    expect(await names("alice")).toEqual(
      ["Alice Smith", "Eve Malice", "Frank Alice", "alice JONES"].sort(),
    );
    expect(await names("ALIson")).toEqual(["Judy Alison"]);
  });

  it("never lists a blocked pair's invitation, whatever the filter", async () => {
    const blockedIds = new Set(rows.filter((r) => r.spec.blocked).map((r) => r.id));
    expect(blockedIds.size).toBe(4);
    for (const bucket of BUCKETS) {
      for (const f of [{}, { search: "alice" }, { relations: ["SAME_EMPLOYER", "SAME_SCHOOL"] }]) {
        const walk = await walkReceived(
          server,
          viewer,
          { ...(f as ReceivedFilter), status: bucket },
          "MOST_MUTUAL_CONNECTIONS",
          3,
        );
        expect(walk.ids.filter((id) => blockedIds.has(id))).toEqual([]);
      }
    }
  });

  it("matches nobody for SAME_EMPLOYER or SAME_SCHOOL when the viewer has none", async () => {
    for (const relations of [["SAME_EMPLOYER"], ["SAME_SCHOOL"], ["MUTUAL_CONNECTIONS"]]) {
      const walk = await walkReceived(
        server,
        bare,
        { relations: relations as ReceivedFilter["relations"] },
        "NEWEST",
        2,
      );
      expect(walk.ids, relations[0]).toEqual([]);
      expect(walk.totals, relations[0]).toEqual([0]);
    }
    const industry = await walkReceived(
      server,
      bare,
      { relations: ["SAME_INDUSTRY"] },
      "OLDEST",
      2,
    );
    const bareView = { industry: "Software" };
    expect(industry.ids.map(keyOf)).toEqual(
      expected(bareRows, { relations: ["SAME_INDUSTRY"] }, "OLDEST", bareView).map(keyOf),
    );
    expect(industry.ids).toHaveLength(4);
    const all = await walkReceived(server, bare, {}, "MOST_MUTUAL_CONNECTIONS", 3);
    expect(all.ids.map(keyOf)).toEqual(
      expected(bareRows, {}, "MOST_MUTUAL_CONNECTIONS", bareView).map(keyOf),
    );
  });

  it("rejects a cursor of another order's shape with BAD_USER_INPUT", async () => {
    const page = ok(await gql(server, RECEIVED_PAGE, { first: 2 }, viewer.token));
    const cursor = page.receivedInvitations.pageInfo.endCursor;
    const res = await gql(
      server,
      RECEIVED_PAGE,
      { orderBy: "MOST_MUTUAL_CONNECTIONS", first: 2, after: cursor },
      viewer.token,
    );
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
  });
});

describe("blocked pairs, seen from the sender's side", () => {
  it("hides the invitation from the blocked or blocking sender too", async () => {
    for (const key of ["b1", "b2", "b3", "b4"]) {
      const r = rows.find((x) => x.spec.key === key)!;
      const sent = ok(
        await gql(
          server,
          `query { sentInvitations { totalCount edges { node { id } } } }`,
          {},
          r.sender.token,
        ),
      ).sentInvitations;
      expect(sent, key).toEqual({ totalCount: 0, edges: [] });
      const one = ok(
        await gql(
          server,
          `query ($id: ID!) { invitation(id: $id) { id } }`,
          { id: r.id },
          r.sender.token,
        ),
      );
      expect(one.invitation, key).toBeNull();
    }
  });
});

describe("case-insensitive beyond ASCII", () => {
  // "Case-insensitive" holds for names and employers such as Élodie or Société Générale too.
  it("matches search and SAME_EMPLOYER whatever the case of accented letters", async () => {
    const viewer2 = await signUp(server, { name: "Ünal Viewer", employer: "Société Générale" });
    const [elodie, zoe, other] = await signUpMany(
      server,
      3,
      (i) =>
        [
          { name: "Élodie Dubois", employer: "SOCIÉTÉ GÉNÉRALE" },
          { name: "Zoë Ångström", employer: "société générale" },
          { name: "Plain Name", employer: "Other" },
        ][i],
    );
    const ids = new Map<string, string>();
    for (const s of [elodie, zoe, other]) {
      ids.set(ok(await send(server, s, viewer2.id)).sendInvitation.invitation.id, s.name);
    }
    const names = async (filter: ReceivedFilter) =>
      (await walkReceived(server, viewer2, filter, "NEWEST", 2)).ids
        .map((id) => ids.get(id))
        .sort();
    expect.soft(await names({ search: "Élodie" })).toEqual(["Élodie Dubois"]);
    expect.soft(await names({ search: "élodie" })).toEqual(["Élodie Dubois"]);
    expect.soft(await names({ search: "ÉLODIE" })).toEqual(["Élodie Dubois"]);
    expect.soft(await names({ search: "ångström" })).toEqual(["Zoë Ångström"]);
    expect.soft(await names({ search: "ZOË" })).toEqual(["Zoë Ångström"]);
    expect
      .soft(await names({ relations: ["SAME_EMPLOYER"] }))
      .toEqual(["Zoë Ångström", "Élodie Dubois"].sort());
  });
});
