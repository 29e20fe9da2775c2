import type { Deps } from "../deps";
import { badInput } from "../common/errors";
import { listScope, pageSize, toPage, type Page } from "../common/pagination";
import { HIDDEN_FROM_RECIPIENT, OPEN_STATUSES } from "../invitations/lifecycle";
import { Member } from "./member.entity";

/** Longest `members(search:)` text accepted, after trimming. */
export const SEARCH_MAX_LENGTH = 100;
/** `suggestedMembers(first:)`: default and largest size. */
export const SUGGESTIONS_DEFAULT = 10;
export const SUGGESTIONS_MAX = 50;

/** Why a member is suggested, in the order `reasons` lists them. */
export const SUGGESTION_REASONS = [
  "SHARED_CONNECTIONS",
  "SAME_EMPLOYER",
  "SAME_SCHOOL",
  "SAME_INDUSTRY",
] as const;
export type SuggestionReasonName = (typeof SUGGESTION_REASONS)[number];

/**
 * How a search result relates to the viewer, which is also its rank: 0 first degree,
 * 1 second degree (shares a connection), 2 anyone else.
 */
export type SearchRank = 0 | 1 | 2;

export interface SearchHit {
  member: Member;
  rank: SearchRank;
}

export interface Suggestion {
  member: Member;
  reasons: SuggestionReasonName[];
  sharedConnectionsCount: number;
}

/** `text` as a LIKE pattern matching it anywhere, with `\` escaping LIKE's own wildcards. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
}

// SQL fragments; `m` is the member being ranked or filtered and `:viewerId` the viewer.
// Each subquery below is non-correlated: the database runs it once per statement and probes
// the result, instead of once per member row.

/** The viewer's first-degree connections (primary key of `connection`). */
const FIRST_DEGREE = `SELECT fd."otherId" FROM "connection" fd WHERE fd."memberId" = :viewerId`;

/** Everyone connected to one of the viewer's connections (may include the viewer and friends). */
const FRIENDS_OF_FRIENDS = `SELECT f2."otherId" FROM "connection" f1
  INNER JOIN "connection" f2 ON f2."memberId" = f1."otherId"
  WHERE f1."memberId" = :viewerId`;

/** Members blocked by, or blocking, the viewer (block's primary key and IDX_block_blocked). */
const BLOCKED_EITHER_WAY = `SELECT b1."blockedId" FROM "block" b1 WHERE b1."blockerId" = :viewerId
  UNION ALL SELECT b2."blockerId" FROM "block" b2 WHERE b2."blockedId" = :viewerId`;

/**
 * Members the viewer has an open invitation with, in either direction; received ones only
 * when the viewer can see them (a discarded invitation leaves no trace for its recipient).
 */
const OPEN_INVITATION_WITH = `SELECT i1."recipientId" FROM "invitation" i1
    WHERE i1."senderId" = :viewerId AND i1."status" IN (:...openStatuses)
  UNION ALL SELECT i2."senderId" FROM "invitation" i2
    WHERE i2."recipientId" = :viewerId AND i2."status" IN (:...receivedOpenStatuses)`;

/** 0 first degree, 1 second degree, 2 anyone else (see SearchRank). */
const RANK = `(CASE WHEN m.id IN (${FIRST_DEGREE}) THEN 0
  WHEN m.id IN (${FRIENDS_OF_FRIENDS}) THEN 1 ELSE 2 END)`;

const SEARCHED_COLUMNS = ["name", "employer", "school", "industry"] as const;

/** The profile attributes a suggestion can share, with the reason each one gives. */
const SHARED_ATTRIBUTES = [
  { column: "employer", reason: "SAME_EMPLOYER" },
  { column: "school", reason: "SAME_SCHOOL" },
  { column: "industry", reason: "SAME_INDUSTRY" },
] as const;

/**
 * Finding people: `members(search:)` and `suggestedMembers`. Both run as one SQL statement
 * each (plus a count for the search), so neither loads the member table into the process;
 * both leave out the viewer and anyone blocked either way.
 */
export class MemberService {
  constructor(private readonly deps: Deps) {}

  /**
   * Members whose name, employer, school or industry contains `search` (case-insensitive,
   * wildcards taken literally), first-degree first, then second-degree, then everyone else;
   * within a rank by name (case-insensitive), then id. Keyset pagination on (rank, name, id).
   * The rank depends only on connections, so no invitation (ignored, declined or any other)
   * moves anyone.
   */
  async search(
    viewerId: string,
    search: string,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<SearchHit>> {
    const text = search.trim();
    if (!text) throw badInput("search must not be empty.", "search");
    if (text.length > SEARCH_MAX_LENGTH) {
      throw badInput(`search must be at most ${SEARCH_MAX_LENGTH} characters.`, "search");
    }
    const { pageDefault, pageMax } = this.deps.config;
    const size = pageSize(first, pageDefault, pageMax);
    const scope = listScope(viewerId, "Query.members", { search: text });
    const cursor = this.deps.cursors.decode(after, ["int", "string", "string"], scope);

    // LOWER on both sides folds the column and the text the same way (SQLite folds ASCII only;
    // lower-casing the text in JS would stop "Émile" from finding "Émile").
    const matches = SEARCHED_COLUMNS.map(
      (column) => `LOWER(m.${column}) LIKE LOWER(:pattern) ESCAPE '\\'`,
    ).join(" OR ");
    const qb = this.deps.reads
      .getRepository(Member)
      .createQueryBuilder("m")
      .where("m.id <> :viewerId", { viewerId })
      .andWhere(`(${matches})`, { pattern: containsPattern(text) })
      .andWhere(`m.id NOT IN (${BLOCKED_EITHER_WAY})`);
    const counting = qb.clone();
    const totalCount = () => counting.getCount();

    if (cursor) {
      qb.andWhere(
        `(${RANK} > :rank OR (${RANK} = :rank AND
          (LOWER(m.name) > :sortName OR (LOWER(m.name) = :sortName AND m.id > :lastId))))`,
        { rank: cursor[0], sortName: cursor[1], lastId: cursor[2] },
      );
    }
    const { entities, raw } = await qb
      .addSelect(RANK, "rel_rank")
      .addSelect("LOWER(m.name)", "sort_name")
      .orderBy("rel_rank", "ASC")
      .addOrderBy("sort_name", "ASC")
      .addOrderBy("m.id", "ASC")
      .limit(size + 1)
      .getRawAndEntities<{ m_id: string; rel_rank: number; sort_name: string }>();
    const rawById = new Map(raw.map((r) => [r.m_id, r]));
    const rows = entities.map((member) => {
      const r = rawById.get(member.id)!;
      return { member, rank: Number(r.rel_rank) as SearchRank, sortName: r.sort_name };
    });
    return toPage(
      rows,
      size,
      totalCount,
      (r) => this.deps.cursors.encode([r.rank, r.sortName, r.member.id], scope),
      (r) => ({ member: r.member, rank: r.rank }),
    );
  }

  /**
   * People the viewer may know. Candidates come from SQL, never a scan in JS: everyone
   * connected to a connection of the viewer, UNION everyone with the viewer's employer,
   * school or industry (compared case-insensitively). Left out: the viewer, their connections,
   * anyone with an open invitation with the viewer in either direction (but one
   * discarded for the viewer, which they never see), and anyone blocked either way. Every candidate has at least one reason.
   *
   * Order: shared connections (desc), then lexicographically by the booleans same employer,
   * same school, same industry (true first), then name (case-insensitive), then id.
   */
  async suggest(viewerId: string, first?: number | null): Promise<Suggestion[]> {
    const size = pageSize(first, SUGGESTIONS_DEFAULT, SUGGESTIONS_MAX);
    const members = this.deps.reads.getRepository(Member);
    const viewer = await members.findOneBy({ id: viewerId });
    if (!viewer) return [];

    const params: Record<string, unknown> = {
      viewerId,
      openStatuses: [...OPEN_STATUSES],
      receivedOpenStatuses: OPEN_STATUSES.filter((s) => !HIDDEN_FROM_RECIPIENT.includes(s)),
    };
    // One row per (candidate, shared connection) and one per matching attribute; grouped
    // below, the 1s add up to the shared connections count.
    const branches = [
      `SELECT f2."otherId" AS "id", 1 AS "shared" FROM "connection" f1
        INNER JOIN "connection" f2 ON f2."memberId" = f1."otherId"
        WHERE f1."memberId" = :viewerId`,
    ];
    const same: [expression: string, alias: string][] = [];
    for (const { column } of SHARED_ATTRIBUTES) {
      const value = viewer[column];
      if (!value) {
        same.push(["0", `same_${column}`]);
        continue;
      }
      params[column] = value;
      branches.push(
        `SELECT a_${column}."id", 0 FROM "member" a_${column}
          WHERE LOWER(a_${column}."${column}") = LOWER(:${column})`,
      );
      same.push([
        `(CASE WHEN LOWER(m.${column}) = LOWER(:${column}) THEN 1 ELSE 0 END)`,
        `same_${column}`,
      ]);
    }
    const candidates = `(SELECT u."id" AS "id", SUM(u."shared") AS "shared"
      FROM (${branches.join(" UNION ALL ")}) u GROUP BY u."id")`;

    const qb = members
      .createQueryBuilder("m")
      .innerJoin(candidates, "cand", 'cand."id" = m.id')
      .addSelect('cand."shared"', "shared");
    for (const [expression, alias] of same) qb.addSelect(expression, alias);
    const { entities, raw } = await qb
      .where("m.id <> :viewerId")
      .andWhere(`m.id NOT IN (${FIRST_DEGREE})`)
      .andWhere(`m.id NOT IN (${OPEN_INVITATION_WITH})`)
      .andWhere(`m.id NOT IN (${BLOCKED_EITHER_WAY})`)
      .setParameters(params)
      .orderBy("shared", "DESC")
      .addOrderBy("same_employer", "DESC")
      .addOrderBy("same_school", "DESC")
      .addOrderBy("same_industry", "DESC")
      .addSelect("LOWER(m.name)", "sort_name")
      .addOrderBy("sort_name", "ASC")
      .addOrderBy("m.id", "ASC")
      .limit(size)
      .getRawAndEntities<Record<string, string | number> & { m_id: string }>();
    const rawById = new Map(raw.map((r) => [r.m_id, r]));
    return entities.map((member) => {
      const r = rawById.get(member.id)!;
      const sharedConnectionsCount = Number(r.shared);
      const reasons: SuggestionReasonName[] = [];
      if (sharedConnectionsCount > 0) reasons.push("SHARED_CONNECTIONS");
      for (const { column, reason } of SHARED_ATTRIBUTES) {
        if (Number(r[`same_${column}`]) === 1) reasons.push(reason);
      }
      return { member, reasons, sharedConnectionsCount };
    });
  }
}
