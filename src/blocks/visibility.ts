import type { EntityManager } from "typeorm";
import { notFound } from "../common/errors";
import { Member } from "../members/member.entity";
import { BlockRecord } from "./block.entity";

/**
 * SQL: no block stands between the members in columns (or parameters) `a` and `b`, either
 * way. Every list that must hide blocked pairs uses this one fragment.
 */
export function noBlockBetween(a: string, b: string): string {
  return `NOT EXISTS (SELECT 1 FROM "block" b WHERE
    (b."blockerId" = ${a} AND b."blockedId" = ${b}) OR
    (b."blockerId" = ${b} AND b."blockedId" = ${a}))`;
}

/**
 * NOT_FOUND unless `targetId` exists for `viewerId`: a member who blocked the viewer answers
 * exactly like an id that never existed (rule 3).
 */
export async function requireVisibleMember(
  em: EntityManager,
  viewerId: string,
  targetId: string,
): Promise<void> {
  const exists = await em.exists(Member, { where: { id: targetId } });
  const blockedMe = await em.exists(BlockRecord, {
    where: { blockerId: targetId, blockedId: viewerId },
  });
  if (!exists || blockedMe) throw notFound("Member");
}
