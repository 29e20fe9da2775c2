import { emailRequired } from "../common/errors";
import type { Member } from "../members/member.entity";

/** What the gate needs to know about the recipient (read with the pair in one statement). */
export interface Recipient {
  id: string;
  email: string;
  whoCanInvite: Member["whoCanInvite"];
  /** Whether the recipient ever reported this sender. */
  reported: boolean;
  /** How many connections the sender and the recipient share. */
  mutualCount: number;
}

/**
 * Where a new invitation lands, by the recipient's settings and reports (contract rule 6).
 * FILTERED is never an error: the sender sees it pending, the recipient finds it in the
 * FILTERED list, and nothing is stored or published for them. Only a missing email is an
 * error (EMAIL_REQUIRED); no answer tells a wrong email from a right one. Decided from what
 * the send already read about the pair, with no statement of its own: the work is the same
 * whatever the recipient's setting (a query for SECOND_DEGREE alone would time it).
 */
export function deliveryFor(
  recipient: Recipient,
  recipientEmail: string | null,
): "PENDING" | "FILTERED" {
  if (recipient.whoCanInvite === "EMAIL_REQUIRED" && !recipientEmail) throw emailRequired();
  if (recipient.reported) return "FILTERED";
  if (recipient.whoCanInvite === "EMAIL_REQUIRED") {
    return recipientEmail!.trim().toLowerCase() === recipient.email ? "PENDING" : "FILTERED";
  }
  if (recipient.whoCanInvite === "SECOND_DEGREE") {
    return recipient.mutualCount > 0 ? "PENDING" : "FILTERED";
  }
  return "PENDING";
}
