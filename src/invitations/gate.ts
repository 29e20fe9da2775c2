import { emailRequired } from "../common/errors";
import type { Member, PolicyAction } from "../members/member.entity";

/** The recipient's invitation policy: what happens to an invitation of each category. */
export interface Policy {
  /** The sender's account is younger than NEW_ACCOUNT_DAYS. */
  newAccounts: PolicyAction;
  /** The sender shares no connection with the recipient. */
  noMutualConnections: PolicyAction;
  /** The sender is under the silent restriction for reports. */
  restrictedSenders: PolicyAction;
  /** The sender is neither first nor second degree. */
  outsideNetwork: PolicyAction;
}

/** What the gate needs to know about the recipient (read with the pair in one statement). */
export interface Recipient {
  id: string;
  email: string;
  whoCanInvite: Member["whoCanInvite"];
  /** Whether the recipient ever reported this sender. */
  reported: boolean;
  /** How many connections the sender and the recipient share. */
  mutualCount: number;
  policy: Policy;
  /** Nothing is delivered before then. */
  pausedUntil: Date | null;
}

/** What the gate needs to know about the sender. */
export interface Sender {
  /** Account younger than NEW_ACCOUNT_DAYS. */
  newAccount: boolean;
  /** Under the silent restriction for reports (limits.ts). */
  restricted: boolean;
}

/** Where a new invitation lands. Every one looks PENDING to its sender (rules 1, 11, 12). */
export type Delivery = "PENDING" | "FILTERED" | "DISCARDED";

const STRICTNESS: Record<PolicyAction, number> = { DELIVER: 0, FILTER: 1, DISCARD: 2 };
const LANDS: Record<PolicyAction, Delivery> = {
  DELIVER: "PENDING",
  FILTER: "FILTERED",
  DISCARD: "DISCARDED",
};

/**
 * Where a new invitation lands, by the recipient's settings, reports, policy and pause
 * (contract rules 6, 11, 12): each that applies names an action, and the strictest wins
 * (DISCARD over FILTER over DELIVER). FILTERED and DISCARDED are never errors: the sender
 * sees the invitation pending, nothing is stored or published for the recipient, who finds
 * a FILTERED one in that list and a DISCARDED one nowhere. Only a missing email is an error
 * (EMAIL_REQUIRED); no answer tells a wrong email from a right one. Decided from what the send
 * already read, with no statement of its own: the work is the same whatever the recipient
 * chose (a query for one setting alone would time it).
 *
 * Sends happen only between members who are not connected, so "outside the network" (neither
 * first nor second degree) is "no mutual connections" here; both are kept, as the contract
 * names them, and both apply.
 */
export function deliveryFor(
  recipient: Recipient,
  recipientEmail: string | null,
  sender: Sender,
  now: Date,
): Delivery {
  const { whoCanInvite, policy } = recipient;
  if (whoCanInvite === "EMAIL_REQUIRED" && !recipientEmail) throw emailRequired();
  const noMutual = recipient.mutualCount === 0;
  const actions: PolicyAction[] = [];
  if (recipient.reported) actions.push("FILTER");
  if (whoCanInvite === "EMAIL_REQUIRED") {
    actions.push(recipientEmail!.trim().toLowerCase() === recipient.email ? "DELIVER" : "FILTER");
  }
  if (whoCanInvite === "SECOND_DEGREE" && noMutual) actions.push("FILTER");
  if (sender.newAccount) actions.push(policy.newAccounts);
  if (noMutual) actions.push(policy.noMutualConnections, policy.outsideNetwork);
  if (sender.restricted) actions.push(policy.restrictedSenders);
  if (recipient.pausedUntil && recipient.pausedUntil.getTime() > now.getTime()) {
    actions.push("FILTER");
  }
  const strictest = actions.reduce<PolicyAction>(
    (a, b) => (STRICTNESS[b] > STRICTNESS[a] ? b : a),
    "DELIVER",
  );
  return LANDS[strictest];
}
