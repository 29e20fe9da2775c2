import type { EntityManager } from "typeorm";
import { noBlockBetween, requireVisibleMember } from "../blocks/visibility";
import type { Deps } from "../deps";
import { Changes, written } from "../db/changes";
import { lockMembers } from "../db/locks";
import { execute, query } from "../db/sql";
import { OPEN_STATUSES } from "../invitations/lifecycle";
import { listScope, pageSize, toPage } from "../common/pagination";
import { ConnectionRecord } from "./connection.entity";

/**
 * Keeps `invitation.mutualCount` exact on open invitations when the connection a-b was just
 * made (+1) or ended (-1), run after the change. The connections invitation parties S, R share
 * move only when one of them is a or b and the other is connected to the other end: for S = a,
 * the pair gains (or loses) b exactly when R is b's connection. At most one of the four cases
 * holds for an invitation (the pair's own invitation is no longer open), so each moves by one.
 */
async function moveMutualCounts(em: EntityManager, a: string, b: string, delta: 1 | -1) {
  const of = (m: string) => `(SELECT c."otherId" FROM "connection" c WHERE c."memberId" = ${m})`;
  await execute(
    em,
    `UPDATE "invitation" SET "mutualCount" = "mutualCount" + :delta
      WHERE "status" IN (:...open) AND (
        ("senderId" = :a AND "recipientId" IN ${of(":b")}) OR
        ("senderId" = :b AND "recipientId" IN ${of(":a")}) OR
        ("recipientId" = :a AND "senderId" IN ${of(":b")}) OR
        ("recipientId" = :b AND "senderId" IN ${of(":a")}))`,
    { a, b, delta, open: OPEN_STATUSES },
  );
}

/** First-degree connections, stored as two rows each so either side is an index lookup. */
export class ConnectionService {
  constructor(private readonly deps: Deps) {}

  /**
   * Connects two members inside the caller's transaction; a connection that exists stays.
   * Returns whose reads changed: see `neighborhood`.
   */
  async connect(em: EntityManager, a: string, b: string): Promise<Changes> {
    if (await this.areConnected(em, a, b)) return Changes.none;
    const createdAt = this.deps.clock.now();
    await em
      .createQueryBuilder()
      .insert()
      .into(ConnectionRecord)
      .values([
        { memberId: a, otherId: b, createdAt },
        { memberId: b, otherId: a, createdAt },
      ])
      .orIgnore()
      .execute();
    await moveMutualCounts(em, a, b, +1);
    return this.neighborhood(em, a, b);
  }

  /**
   * Ends a connection inside the caller's transaction. Returns whose reads changed
   * (`neighborhood`), or `Changes.none` when there was no connection.
   */
  async disconnect(em: EntityManager, a: string, b: string): Promise<Changes> {
    const changes = await this.neighborhood(em, a, b);
    const result = await em.delete(ConnectionRecord, [
      { memberId: a, otherId: b },
      { memberId: b, otherId: a },
    ]);
    if ((result.affected ?? 0) === 0) return Changes.none;
    await moveMutualCounts(em, a, b, -1);
    return changes;
  }

  /**
   * Whose reads a connection between `a` and `b` changes, made or ended: the two, and their
   * first-degree connections. Nobody else's. A member's degree to someone (FIRST, SECOND) and
   * their mutual count with someone depend only on the edges that touch one of the two, so
   * an edge a-b moves them only for a, b and members adjacent to a or b: for such a member c,
   * b becomes (or stops being) second-degree through a, and the count c shares with b moves.
   * The same holds for what derives from them (the order of a search, suggestions, the
   * MUTUAL_CONNECTIONS filter), and a member's connections list is shown only to their own
   * first-degree connections.
   */
  private async neighborhood(em: EntityManager, a: string, b: string): Promise<Changes> {
    const rows = await query<{ otherId: string }>(
      em,
      `SELECT DISTINCT c."otherId" FROM "connection" c WHERE c."memberId" IN (:a, :b)`,
      { a, b },
    );
    return Changes.of(a, b, ...rows.map((r) => r.otherId));
  }

  async areConnected(em: EntityManager, a: string, b: string): Promise<boolean> {
    return em.exists(ConnectionRecord, { where: { memberId: a, otherId: b } });
  }

  /** `removeConnection`: true when a connection ended, false when there was none. */
  remove(viewerId: string, otherId: string): Promise<boolean> {
    return this.deps.writer.transaction(async (em) => {
      await lockMembers(em, [viewerId, otherId]);
      const changes = await this.disconnect(em, viewerId, otherId);
      if (!changes.empty) return written(true, changes);
      // No connection: an id that does not exist for the viewer is NOT_FOUND, as everywhere.
      await requireVisibleMember(em, viewerId, otherId);
      return written(false, Changes.none);
    });
  }

  /**
   * A member's connections as `viewerId` may see them, newest first, leaving out anyone
   * blocked either way with the viewer; returns member ids (the resolver loads them). `field`
   * names the list its cursors belong to.
   */
  async list(
    viewerId: string,
    memberId: string,
    first?: number | null,
    after?: string | null,
    field = "Member.connections",
  ) {
    const { pageDefault, pageMax } = this.deps.config;
    const size = pageSize(first, pageDefault, pageMax);
    const scope = listScope(viewerId, field, { of: memberId });
    const cursor = this.deps.cursors.decode(after, ["time", "string"], scope);
    const qb = this.deps.reads
      .getRepository(ConnectionRecord)
      .createQueryBuilder("c")
      .where("c.memberId = :memberId", { memberId })
      .andWhere(noBlockBetween(":viewerId", `c."otherId"`), { viewerId });
    const counting = qb.clone();
    const totalCount = () => counting.getCount();
    if (cursor) {
      qb.andWhere("(c.createdAt < :t OR (c.createdAt = :t AND c.otherId < :id))", {
        t: new Date(cursor[0]),
        id: cursor[1],
      });
    }
    const rows = await qb
      .orderBy("c.createdAt", "DESC")
      .addOrderBy("c.otherId", "DESC")
      .take(size + 1)
      .getMany();
    return toPage(
      rows,
      size,
      totalCount,
      (r) => this.deps.cursors.encode([r.createdAt.getTime(), r.otherId], scope),
      (r) => r.otherId,
    );
  }
}
