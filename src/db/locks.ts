import type { EntityManager } from "typeorm";

/**
 * Takes row locks on the members an operation concerns, in id order (no deadlock between
 * two operations on the same pair), until the transaction ends. On PostgreSQL this is what
 * serializes concurrent operations on one member or one pair across instances: the checks
 * after it (open invitation, limits, the invitation's state) read the latest committed rows.
 * On SQLite every write transaction already holds the database's write lock: nothing to do.
 */
export async function lockMembers(em: EntityManager, ids: (string | null | undefined)[]) {
  if (em.connection.options.type !== "postgres") return;
  const unique = [...new Set(ids.filter((id): id is string => !!id))].sort();
  if (unique.length === 0) return;
  await em.query(`SELECT "id" FROM "member" WHERE "id" = ANY($1) ORDER BY "id" FOR NO KEY UPDATE`, [
    unique,
  ]);
}

/**
 * `lockMembers` for the two parties of invitation `id`, found and locked in one statement (a
 * round trip less than reading the invitation first); nothing when it does not exist. The
 * caller reads the invitation after this, and sees what a concurrent winner left.
 */
export async function lockInvitationParties(em: EntityManager, id: string) {
  if (em.connection.options.type !== "postgres") return;
  await em.query(
    `SELECT m."id" FROM "member" m WHERE m."id" IN (
       SELECT i."senderId" FROM "invitation" i WHERE i."id" = $1
       UNION SELECT i."recipientId" FROM "invitation" i WHERE i."id" = $1)
     ORDER BY m."id" FOR NO KEY UPDATE`,
    [id],
  );
}
