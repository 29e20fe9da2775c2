import { expect } from "vitest";
import { gql, ok, type GqlResult, type HasUrl, type TestMember } from "./http";

/** Member fields the relation tests compare. */
export const PERSON_FIELDS = "id name degree mutualConnectionsCount";

const MEMBERS = `
  query ($search: String!, $first: Int, $after: String) {
    members(search: $search, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { ${PERSON_FIELDS} } }
    }
  }
`;

const SUGGESTED = `
  query ($first: Int) {
    suggestedMembers(first: $first) {
      reasons sharedConnectionsCount member { ${PERSON_FIELDS} employer school industry }
    }
  }
`;

export interface Person {
  id: string;
  name: string;
  degree: string;
  mutualConnectionsCount: number;
}

export interface MembersPage {
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
  nodes: Person[];
  cursors: string[];
}

/** `members(search:)` as `viewer`, raw (for error tests). */
export function membersRaw(
  server: HasUrl,
  viewer: TestMember | null,
  search: string,
  first?: number,
  after?: string | null,
): Promise<GqlResult> {
  return gql(server, MEMBERS, { search, first, after }, viewer?.token);
}

/** One page of `members(search:)`; throws on errors. */
export async function searchPage(
  server: HasUrl,
  viewer: TestMember,
  search: string,
  first?: number,
  after?: string | null,
): Promise<MembersPage> {
  const { members } = ok(await membersRaw(server, viewer, search, first, after));
  return {
    totalCount: members.totalCount,
    hasNextPage: members.pageInfo.hasNextPage,
    endCursor: members.pageInfo.endCursor,
    nodes: members.edges.map((e: { node: Person }) => e.node),
    cursors: members.edges.map((e: { cursor: string }) => e.cursor),
  };
}

/** Every result of a search, walked `size` at a time; checks each page's invariants. */
export async function searchAll(
  server: HasUrl,
  viewer: TestMember,
  search: string,
  size = 100,
): Promise<{ nodes: Person[]; sizes: number[] }> {
  const nodes: Person[] = [];
  const sizes: number[] = [];
  let after: string | null = null;
  let total: number | null = null;
  for (let guard = 0; guard < 200; guard++) {
    const p = await searchPage(server, viewer, search, size, after);
    if (total === null) total = p.totalCount;
    expect(p.totalCount).toBe(total);
    expect(p.endCursor).toBe(p.cursors.at(-1) ?? null);
    nodes.push(...p.nodes);
    sizes.push(p.nodes.length);
    if (!p.hasNextPage) {
      expect(nodes).toHaveLength(total);
      return { nodes, sizes };
    }
    after = p.endCursor;
  }
  throw new Error("pagination never ended");
}

/** Ids of every result of a search, in order. */
export async function searchIds(
  server: HasUrl,
  viewer: TestMember,
  search: string,
  size = 100,
): Promise<string[]> {
  return (await searchAll(server, viewer, search, size)).nodes.map((n) => n.id);
}

export interface SuggestionResult {
  reasons: string[];
  sharedConnectionsCount: number;
  member: Person & { employer: string | null; school: string | null; industry: string | null };
}

/** `suggestedMembers(first:)` as `viewer`, raw (for error tests). */
export function suggestedRaw(
  server: HasUrl,
  viewer: TestMember | null,
  first?: number,
): Promise<GqlResult> {
  return gql(server, SUGGESTED, { first }, viewer?.token);
}

/** `suggestedMembers(first:)` as `viewer`; throws on errors. */
export async function suggested(
  server: HasUrl,
  viewer: TestMember,
  first?: number,
): Promise<SuggestionResult[]> {
  return ok(await suggestedRaw(server, viewer, first)).suggestedMembers;
}

/** Ids of `viewer`'s suggestions, in order. */
export async function suggestedIds(
  server: HasUrl,
  viewer: TestMember,
  first?: number,
): Promise<string[]> {
  return (await suggested(server, viewer, first)).map((s) => s.member.id);
}

/** `viewer` blocks `target`; throws on errors. */
export async function block(server: HasUrl, viewer: TestMember, target: TestMember) {
  ok(
    await gql(
      server,
      `mutation ($id: ID!) { blockMember(id: $id) }`,
      { id: target.id },
      viewer.token,
    ),
  );
}

/** `viewer` reports a received invitation; throws on errors. */
export async function report(server: HasUrl, viewer: TestMember, invitationId: string) {
  ok(
    await gql(
      server,
      `mutation ($id: ID!) { reportInvitation(id: $id, reason: I_DONT_KNOW) }`,
      { id: invitationId },
      viewer.token,
    ),
  );
}

/** `viewer`'s view of one member (`member(id:)`), or null. */
export async function personAs(
  server: HasUrl,
  viewer: TestMember,
  id: string,
): Promise<(Person & { email: string | null }) | null> {
  const data = ok(
    await gql(
      server,
      `query ($id: ID!) { member(id: $id) { ${PERSON_FIELDS} email } }`,
      { id },
      viewer.token,
    ),
  );
  return data.member;
}

/** SQL statements one request costs, measured with the server's query counter. */
export async function statementsFor(
  server: HasUrl & { queryCount(): number },
  run: () => Promise<GqlResult>,
): Promise<number> {
  const before = server.queryCount();
  ok(await run());
  return server.queryCount() - before;
}
