import type { Deps } from "../deps";
import { badInput } from "../common/errors";
import { Changes, written } from "../db/changes";
import { lockMembers } from "../db/locks";
import type { ConnectionService } from "../connections/connection.service";
import { InvitationRecord, pairKeyOf } from "../invitations/invitation.entity";
import { OPEN_STATUSES } from "../invitations/lifecycle";
import { BlockRecord } from "./block.entity";
import { requireVisibleMember } from "./visibility";

/** Blocking: total and silent. Nothing is stored for or published to the blocked member. */
export class BlockService {
  constructor(
    private readonly deps: Deps,
    private readonly connections: ConnectionService,
  ) {}

  /**
   * Blocks `targetId`: the connection ends and every open invitation of the pair closes, in
   * one transaction. Someone who blocked the viewer does not exist for the viewer: NOT_FOUND,
   * exactly as for an unknown id.
   */
  block(viewerId: string, targetId: string): Promise<boolean> {
    if (viewerId === targetId) throw badInput("You cannot block yourself.", "id");
    return this.deps.writer.transaction(async (em) => {
      await lockMembers(em, [viewerId, targetId]);
      await requireVisibleMember(em, viewerId, targetId);
      await em
        .createQueryBuilder()
        .insert()
        .into(BlockRecord)
        .values({ blockerId: viewerId, blockedId: targetId, createdAt: this.deps.clock.now() })
        .orIgnore()
        .execute();
      // The two, and the pair's first-degree connections if they were connected.
      const changes = await this.connections.disconnect(em, viewerId, targetId);
      await em
        .createQueryBuilder()
        .update(InvitationRecord)
        .set({ status: "CLOSED_BY_BLOCK", respondedAt: this.deps.clock.now() })
        .where("pairKey = :key AND status IN (:...open)", {
          key: pairKeyOf(viewerId, targetId),
          open: OPEN_STATUSES,
        })
        .execute();
      return written(true, changes.and(Changes.of(viewerId, targetId)));
    });
  }

  /** Lifts the viewer's block; false when the viewer had none on them. */
  unblock(viewerId: string, targetId: string): Promise<boolean> {
    return this.deps.writer.transaction(async (em) => {
      await lockMembers(em, [viewerId, targetId]);
      const result = await em.delete(BlockRecord, { blockerId: viewerId, blockedId: targetId });
      // The blocked member sees the viewer again: both read differently.
      if ((result.affected ?? 0) > 0) return written(true, Changes.of(viewerId, targetId));
      await requireVisibleMember(em, viewerId, targetId);
      return written(false, Changes.none);
    });
  }

  /** The members the viewer blocked, most recent first. */
  async blockedBy(viewerId: string): Promise<string[]> {
    const rows = await this.deps.reads.getRepository(BlockRecord).find({
      where: { blockerId: viewerId },
      order: { createdAt: "DESC", blockedId: "ASC" },
    });
    return rows.map((r) => r.blockedId);
  }
}
