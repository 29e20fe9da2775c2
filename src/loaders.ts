import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { BlockRecord } from "./blocks/block.entity";
import { InvitationRecord } from "./invitations/invitation.entity";
import { Member } from "./members/member.entity";

/**
 * Per-request batch loaders: a list of N items costs one query per kind of related data,
 * not one per item. Built fresh for every request, so nothing is cached across viewers.
 */
export function createLoaders(dataSource: DataSource, viewerId: string | null, cache = true) {
  const members = dataSource.getRepository(Member);
  let blocked: Promise<Set<string>> | null = null;
  // A subscription keeps its context for hours: there the loaders batch but do not cache.
  const options = { cache };

  return {
    member: new DataLoader<string, Member | null>(async (ids) => {
      const rows = await members.findBy({ id: In([...ids]) });
      const byId = new Map(rows.map((m) => [m.id, m]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options),

    invitation: new DataLoader<string, InvitationRecord | null>(async (ids) => {
      const rows = await dataSource.getRepository(InvitationRecord).findBy({ id: In([...ids]) });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options),

    /** Whether the viewer is connected (first degree) to each member. */
    connectedToViewer: new DataLoader<string, boolean>(async (ids) => {
      if (!viewerId) return ids.map(() => false);
      const rows = await raw<{ id: string }>(
        dataSource,
        `SELECT "otherId" AS "id" FROM "connection"
          WHERE "memberId" = :viewerId AND "otherId" IN (:...ids)`,
        { viewerId, ids: [...ids] },
      );
      const set = new Set(rows.map((r) => r.id));
      return ids.map((id) => set.has(id));
    }, options),

    /** How many connections the viewer shares with each member. */
    mutualCount: new DataLoader<string, number>(async (ids) => {
      if (!viewerId) return ids.map(() => 0);
      const rows = await raw<{ id: string; n: number | string }>(
        dataSource,
        `SELECT theirs."memberId" AS "id", COUNT(*) AS "n" FROM "connection" theirs
          INNER JOIN "connection" mine
            ON mine."otherId" = theirs."otherId" AND mine."memberId" = :viewerId
          WHERE theirs."memberId" IN (:...ids)
          GROUP BY theirs."memberId"`,
        { viewerId, ids: [...ids] },
      );
      const byId = new Map(rows.map((r) => [r.id, Number(r.n)]));
      return ids.map((id) => byId.get(id) ?? 0);
    }, options),

    /** Everyone the viewer blocked or was blocked by, loaded once per request. */
    blockedEitherWay(): Promise<Set<string>> {
      if (!viewerId) return Promise.resolve(new Set());
      if (blocked && cache) return blocked;
      blocked = dataSource
        .getRepository(BlockRecord)
        .find({ where: [{ blockerId: viewerId }, { blockedId: viewerId }] })
        .then(
          (rows) =>
            new Set(rows.map((r) => (r.blockerId === viewerId ? r.blockedId : r.blockerId))),
        );
      return blocked;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * A hand-written statement with TypeORM's `:name` / `:...list` parameters, run without the
 * query builder: on the per-request hot path its metadata work costs more than the query.
 */
function raw<T>(
  dataSource: DataSource,
  sql: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const [query, parameters] = dataSource.driver.escapeQueryWithParameters(sql, params);
  return dataSource.query(query, parameters);
}
