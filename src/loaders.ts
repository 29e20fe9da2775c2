import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { query } from "./db/sql";
import { BlockRecord } from "./blocks/block.entity";
import { InvitationRecord } from "./invitations/invitation.entity";
import { Member, MEMBER_COLUMNS, memberFromRow } from "./members/member.entity";

/**
 * Per-request batch loaders: a list of N items costs one query per kind of related data,
 * not one per item. Built fresh for every request, so nothing is cached across viewers.
 */
export function createLoaders(dataSource: DataSource, viewerId: string | null, cache = true) {
  let blocked: Promise<Set<string>> | null = null;
  // A subscription keeps its context for hours: there the loaders batch but do not cache.
  const options = { cache };
  const known = {
    member: new Map<string, Member>(),
    mutualCount: new Map<string, number>(),
    connected: new Map<string, boolean>(),
  };

  return {
    /**
     * What this request already read in bulk (a list hands over its rows with `prime`),
     * readable at once: the fields of a page then resolve without a promise each, which was
     * a good part of a computed page's CPU (microtasks and garbage). Fields fall back to the
     * loaders below for anything not here.
     */
    known: known as {
      readonly [K in keyof typeof known]: ReadonlyMap<
        string,
        (typeof known)[K] extends Map<string, infer V> ? V : never
      >;
    },

    /** Hands over what a list read about a member: to `known` and to the loaders. */
    prime(m: Member, about: { mutualCount?: number; connected?: boolean } = {}): void {
      if (!cache) return;
      known.member.set(m.id, m);
      this.member.prime(m.id, m);
      if (about.mutualCount !== undefined) {
        known.mutualCount.set(m.id, about.mutualCount);
        this.mutualCount.prime(m.id, about.mutualCount);
      }
      if (about.connected !== undefined) {
        known.connected.set(m.id, about.connected);
        this.connectedToViewer.prime(m.id, about.connected);
      }
    },

    member: new DataLoader<string, Member | null>(async (ids) => {
      const rows = await query<Record<string, unknown>>(
        dataSource,
        `SELECT ${MEMBER_COLUMNS} FROM "member" WHERE "id" IN (:...ids)`,
        { ids },
      );
      const byId = new Map(rows.map((row) => [row.id as string, memberFromRow(row)]));
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
      const rows = await query<{ id: string }>(
        dataSource,
        `SELECT "otherId" AS "id" FROM "connection"
          WHERE "memberId" = :viewerId AND "otherId" IN (:...ids)`,
        { viewerId, ids },
      );
      const set = new Set(rows.map((r) => r.id));
      return ids.map((id) => set.has(id));
    }, options),

    /** How many connections the viewer shares with each member. */
    mutualCount: new DataLoader<string, number>(async (ids) => {
      if (!viewerId) return ids.map(() => 0);
      const rows = await query<{ id: string; n: number | string }>(
        dataSource,
        `SELECT theirs."memberId" AS "id", COUNT(*) AS "n" FROM "connection" theirs
          INNER JOIN "connection" mine
            ON mine."otherId" = theirs."otherId" AND mine."memberId" = :viewerId
          WHERE theirs."memberId" IN (:...ids)
          GROUP BY theirs."memberId"`,
        { viewerId, ids },
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
