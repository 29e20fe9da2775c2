import type { EntityManager } from "typeorm";
import { emailRequired } from "../common/errors";
import { query } from "../db/sql";
import type { Member } from "../members/member.entity";

/** What the gate needs to know about the recipient (read with the pair in one statement). */
export interface Recipient {
  id: string;
  email: string;
  whoCanInvite: Member["whoCanInvite"];
  /** Whether the recipient ever reported this sender. */
  reported: boolean;
}

/**
 * Where a new invitation lands, by the recipient's settings and reports (contract rule 6).
 * FILTERED is never an error: the sender sees it pending, the recipient finds it in the
 * FILTERED list, and nothing is stored or published for them. Only a missing email is an
 * error (EMAIL_REQUIRED); no answer tells a wrong email from a right one.
 */
export async function deliveryFor(
  em: EntityManager,
  recipient: Recipient,
  senderId: string,
  recipientEmail: string | null,
): Promise<"PENDING" | "FILTERED"> {
  if (recipient.whoCanInvite === "EMAIL_REQUIRED" && !recipientEmail) throw emailRequired();
  if (recipient.reported) return "FILTERED";
  if (recipient.whoCanInvite === "EMAIL_REQUIRED") {
    return recipientEmail!.trim().toLowerCase() === recipient.email ? "PENDING" : "FILTERED";
  }
  if (recipient.whoCanInvite === "SECOND_DEGREE") {
    const shared = await query(
      em,
      `SELECT 1 FROM "connection" mine
         INNER JOIN "connection" theirs
           ON theirs."otherId" = mine."otherId" AND theirs."memberId" = :recipientId
        WHERE mine."memberId" = :senderId LIMIT 1`,
      { recipientId: recipient.id, senderId },
    );
    return shared.length > 0 ? "PENDING" : "FILTERED";
  }
  return "PENDING";
}
