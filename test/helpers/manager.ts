import type { DataSource } from "typeorm";
import { query, toInt } from "../../src/db/sql";
import {
  gql,
  INVITATION_FIELDS,
  ok,
  signUp,
  type GqlResult,
  type HasUrl,
  type SignUpFields,
  type TestMember,
} from "./http";

// Helpers for the inbox tests (filters, settings, limits, bulk actions: docs/inbox.md): many
// members at once, sending with an email, reading whole received lists page by page, and
// comparing answers across ids.

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Signs up `n` members, `chunk` at a time in parallel (scrypt runs on the thread pool).
 * `fields(i)` gives the sign-up overrides of the i-th member.
 */
export async function signUpMany(
  server: HasUrl,
  n: number,
  fields: (i: number) => Partial<SignUpFields> = () => ({}),
  chunk = 25,
): Promise<TestMember[]> {
  const members: TestMember[] = [];
  for (let start = 0; start < n; start += chunk) {
    const batch = Array.from({ length: Math.min(chunk, n - start) }, (_, k) =>
      signUp(server, fields(start + k)),
    );
    members.push(...(await Promise.all(batch)));
  }
  return members;
}

export const SEND_FULL = `
  mutation Send($input: SendInvitationInput!) {
    sendInvitation(input: $input) {
      connected
      invitation { ${INVITATION_FIELDS} recipient { email degree mutualConnectionsCount } }
    }
  }
`;

/** `from` invites `toId`, optionally giving the recipient's email. */
export function send(
  server: HasUrl,
  from: TestMember,
  toId: string,
  opts: { message?: string; recipientEmail?: string } = {},
): Promise<GqlResult> {
  return gql(server, SEND_FULL, { input: { recipientId: toId, ...opts } }, from.token);
}

export const RECEIVED_PAGE = `
  query Received($filter: ReceivedInvitationsFilter, $orderBy: InvitationOrder, $first: Int, $after: String) {
    receivedInvitations(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id status sentAt sender { id name mutualConnectionsCount } } }
    }
  }
`;

export interface ReceivedFilter {
  status?: "PENDING" | "IGNORED" | "FILTERED";
  relations?: Array<"MUTUAL_CONNECTIONS" | "SAME_EMPLOYER" | "SAME_INDUSTRY" | "SAME_SCHOOL">;
  search?: string;
}

export type Order = "NEWEST" | "OLDEST" | "MOST_MUTUAL_CONNECTIONS";

export interface Walk {
  /** Invitation ids in the order the pages gave them. */
  ids: string[];
  /** totalCount of every page. */
  totals: number[];
  /** Number of items on every page. */
  sizes: number[];
}

/**
 * Reads a whole received list page by page (`first` per page), following `endCursor` while
 * `hasNextPage`. Fails on any GraphQL error, or after `maxPages` pages (a cursor loop).
 */
export async function walkReceived(
  server: HasUrl,
  viewer: TestMember,
  filter: ReceivedFilter | undefined,
  orderBy: Order | undefined,
  first: number,
  maxPages = 50,
): Promise<Walk> {
  const walk: Walk = { ids: [], totals: [], sizes: [] };
  let after: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const data = ok(
      await gql(server, RECEIVED_PAGE, { filter, orderBy, first, after }, viewer.token),
    );
    const conn = data.receivedInvitations;
    walk.totals.push(conn.totalCount);
    walk.sizes.push(conn.edges.length);
    for (const e of conn.edges) walk.ids.push(e.node.id);
    if (conn.edges.length) {
      // endCursor is the last edge's cursor.
      if (conn.pageInfo.endCursor !== conn.edges[conn.edges.length - 1].cursor) {
        throw new Error(`endCursor is not the last edge's cursor on page ${page}`);
      }
    }
    if (!conn.pageInfo.hasNextPage) return walk;
    after = conn.pageInfo.endCursor;
  }
  throw new Error(`more than ${maxPages} pages: the cursor does not advance`);
}

/** Replaces every id in `labels` with its label, and opaque cursors with "<cursor>". */
export function normalizeIds(value: unknown, labels: Array<[string, string]>): unknown {
  let text = JSON.stringify(value);
  for (const [id, label] of labels) text = text.split(id).join(label);
  return JSON.parse(text, (key, v) =>
    (key === "cursor" || key === "endCursor") && typeof v === "string" ? "<cursor>" : v,
  );
}

/**
 * One number from a SQL aggregate (`SELECT COUNT(*) AS "n" ...`), with the app's `:name` /
 * `:...list` parameters (src/db/sql.ts).
 */
export async function sqlCount(
  server: { dataSource: DataSource },
  sql: string,
  params: Record<string, unknown> = {},
): Promise<number> {
  const [row] = await query<{ n: unknown }>(server.dataSource, sql, params);
  return toInt(row?.n);
}

export const NOTIFICATIONS = `
  query { notifications(first: 100) { totalCount edges { node { kind message actor { id } invitation { id } } } } }
`;

export const SETTINGS = `query { invitationSettings { whoCanInvite notifyOnInvitation reminders } }`;

export const UPDATE_SETTINGS = `
  mutation ($input: InvitationSettingsInput!) {
    updateInvitationSettings(input: $input) { whoCanInvite notifyOnInvitation reminders }
  }
`;

/** Changes `member`'s invitation settings; throws on an error. */
export async function setSettings(
  server: HasUrl,
  member: TestMember,
  input: { whoCanInvite?: string; notifyOnInvitation?: boolean; reminders?: boolean },
): Promise<{ whoCanInvite: string; notifyOnInvitation: boolean; reminders: boolean }> {
  return ok(await gql(server, UPDATE_SETTINGS, { input }, member.token)).updateInvitationSettings;
}

export const REPORT = `mutation ($id: ID!, $reason: ReportReason!) { reportInvitation(id: $id, reason: $reason) }`;

/** `member` reports the invitation `id` they received; throws on an error. */
export async function report(
  server: HasUrl,
  member: TestMember,
  id: string,
  reason: "I_DONT_KNOW" | "SPAM" = "SPAM",
): Promise<void> {
  const data = ok(await gql(server, REPORT, { id, reason }, member.token));
  if (data.reportInvitation !== true) throw new Error("reportInvitation did not answer true");
}

export const BLOCK = `mutation ($id: ID!) { blockMember(id: $id) }`;
