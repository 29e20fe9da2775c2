import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { BlockRecord } from "./blocks/block.entity";
import { ConnectionRecord } from "./connections/connection.entity";
import { InvitationRecord } from "./invitations/invitation.entity";
import { Member } from "./members/member.entity";

/**
 * Per-request batch loaders: a list of N items costs one query per kind of related data,
 * not one per item. Built fresh for every request, so nothing is cached across viewers.
 */
export function createLoaders(dataSource: DataSource, viewerId: string | null, cache = true) {
  const members = dataSource.getRepository(Member);
  const connections = dataSource.getRepository(ConnectionRecord);
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
      const rows = await connections.findBy({ memberId: viewerId, otherId: In([...ids]) });
      const set = new Set(rows.map((r) => r.otherId));
      return ids.map((id) => set.has(id));
    }, options),

    /** How many connections the viewer shares with each member. */
    mutualCount: new DataLoader<string, number>(async (ids) => {
      if (!viewerId) return ids.map(() => 0);
      const rows: { id: string; n: number | string }[] = await connections
        .createQueryBuilder("theirs")
        .select("theirs.memberId", "id")
        .addSelect("COUNT(*)", "n")
        .innerJoin(
          ConnectionRecord,
          "mine",
          "mine.otherId = theirs.otherId AND mine.memberId = :viewerId",
          { viewerId },
        )
        .where("theirs.memberId IN (:...ids)", { ids: [...ids] })
        .groupBy("theirs.memberId")
        .getRawMany();
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
