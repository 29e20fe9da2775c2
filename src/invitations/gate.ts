import type { EntityManager } from "typeorm";
import { emailRequired } from "../common/errors";
import { ConnectionRecord } from "../connections/connection.entity";
import type { Member } from "../members/member.entity";
import { ReportRecord } from "./report.entity";

/**
 * Where a new invitation lands, by the recipient's settings and reports (contract rule 6).
 * FILTERED is never an error: the sender sees it pending, the recipient finds it in the
 * FILTERED list, and nothing is stored or published for them. Only a missing email is an
 * error (EMAIL_REQUIRED); no answer tells a wrong email from a right one.
 */
export async function deliveryFor(
  em: EntityManager,
  recipient: Member,
  senderId: string,
  recipientEmail: string | null,
): Promise<"PENDING" | "FILTERED"> {
  if (recipient.whoCanInvite === "EMAIL_REQUIRED" && !recipientEmail) throw emailRequired();
  const reported = await em.exists(ReportRecord, {
    where: { reporterId: recipient.id, senderId },
  });
  if (reported) return "FILTERED";
  if (recipient.whoCanInvite === "EMAIL_REQUIRED") {
    return recipientEmail!.trim().toLowerCase() === recipient.email ? "PENDING" : "FILTERED";
  }
  if (recipient.whoCanInvite === "SECOND_DEGREE") {
    const shared = await em
      .createQueryBuilder(ConnectionRecord, "mine")
      .innerJoin(
        ConnectionRecord,
        "theirs",
        "theirs.otherId = mine.otherId AND theirs.memberId = :recipientId",
        { recipientId: recipient.id },
      )
      .where("mine.memberId = :senderId", { senderId })
      .getExists();
    return shared ? "PENDING" : "FILTERED";
  }
  return "PENDING";
}
