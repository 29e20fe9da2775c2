/**
 * Fills the stored relations of every open invitation from the connections and the profiles,
 * as a send stores them (closed ones are never read for them). The StoredRelations migration
 * runs it on existing data, and the bench's seed on the rows it writes in bulk. The same SQL
 * on both engines.
 */
export const FILL_STORED_RELATIONS = `UPDATE "invitation" SET
  "mutualCount" = (SELECT COUNT(*) FROM "connection" c1
    INNER JOIN "connection" c2 ON c2."otherId" = c1."otherId"
    WHERE c1."memberId" = "invitation"."senderId" AND c2."memberId" = "invitation"."recipientId"),
  "sameEmployer" = ${same("employerKey")},
  "sameIndustry" = ${same("industryKey")},
  "sameSchool" = ${same("schoolKey")}
WHERE "status" IN ('PENDING','IGNORED','FILTERED','REPORTED')`;

/** SQL: the invitation's two members share the folded key (both set). */
function same(key: string): string {
  return `EXISTS (SELECT 1 FROM "member" s, "member" r
    WHERE s."id" = "invitation"."senderId" AND r."id" = "invitation"."recipientId"
      AND s."${key}" IS NOT NULL AND s."${key}" = r."${key}")`;
}
