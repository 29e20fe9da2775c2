import type { InvitationRecord } from "./invitation.entity";

/**
 * The invitation lifecycle as one pure module: no I/O, no clock of its own.
 *
 * `transition` says who may do what from which stored state and which effects follow;
 * `viewAs` projects one stored invitation for one viewer. Every resolver, list, count and
 * event goes through `viewAs`, so the privacy rules of the contract (ignore invisible to the
 * sender, block invisible to the blocked) live here and nowhere else.
 */

/** Every state an invitation can be stored in. Only some of them are ever shown. */
export const STORED_STATUSES = [
  "PENDING",
  "IGNORED",
  "FILTERED",
  "REPORTED",
  // Set aside by a DISCARD policy: the sender sees it pending, the recipient never sees it.
  "DISCARDED",
  "ACCEPTED",
  "DECLINED",
  "WITHDRAWN",
  "EXPIRED",
  "CLOSED_BY_BLOCK",
] as const;
export type StoredStatus = (typeof STORED_STATUSES)[number];

/** What the API shows (`InvitationStatus` in the schema). */
export type VisibleStatus =
  "PENDING" | "ACCEPTED" | "IGNORED" | "DECLINED" | "WITHDRAWN" | "EXPIRED";

/** States that still hold the pair's one open invitation (rule 5). */
export const OPEN_STATUSES: readonly StoredStatus[] = [
  "PENDING",
  "IGNORED",
  "FILTERED",
  "REPORTED",
  "DISCARDED",
];

/** Stored states the recipient never sees: the invitation does not exist for them. */
export const HIDDEN_FROM_RECIPIENT: readonly StoredStatus[] = ["DISCARDED", "CLOSED_BY_BLOCK"];

export const ACTIONS = [
  "accept",
  "crossInvite",
  "ignore",
  "decline",
  "report",
  "withdraw",
  "block",
  "expire",
] as const;
export type Action = (typeof ACTIONS)[number];

/** Who acts, relative to the invitation. `stranger` is anyone who is neither party. */
export type Role = "sender" | "recipient" | "system" | "stranger";

/**
 * The part of a stored invitation the lifecycle reads: the record's own fields, no new shape
 * (a type-only import: the lifecycle does no I/O).
 */
export type InvitationState = Pick<
  InvitationRecord,
  "senderId" | "recipientId" | "status" | "respondedAt" | "responseMessage"
>;

/** A signal to the sender once the transaction commits, on the topic named. */
export interface PublishEffect {
  type: "publish";
  to: "sender";
  topic: "INVITATION_ACCEPTED" | "INVITATION_DECLINED";
}

/** What must happen besides the state change, applied by the service in the same transaction. */
export type Effect =
  | { type: "connect" }
  | {
      type: "notify";
      to: "sender" | "recipient";
      kind: "INVITATION_ACCEPTED" | "INVITATION_DECLINED";
    }
  | PublishEffect
  | { type: "retractReceivedNotification" }
  | { type: "recordReport" };

export type TransitionResult =
  | {
      ok: true;
      next: Pick<InvitationState, "status" | "respondedAt" | "responseMessage">;
      effects: Effect[];
    }
  | { ok: false; code: "NOT_FOUND" | "CONFLICT"; message: string };

interface Rule {
  /** Who may take the action. */
  by: Role;
  from: readonly StoredStatus[];
  to: StoredStatus;
  /** Whether the actor's message becomes `responseMessage`. */
  keepsMessage?: boolean;
  /** Whether `respondedAt` is set to now. */
  stamps?: boolean;
  effects: Effect[];
}

/**
 * Open states. DISCARDED is among them for what the sender and the system do (withdraw,
 * expire, block) and for a crossing invitation, which connects the pair as for any other
 * open one; the recipient's own actions never reach it (NOT_FOUND, in `transition`).
 */
const ANSWERABLE: readonly StoredStatus[] = OPEN_STATUSES;

const ACCEPTED_EFFECTS: Effect[] = [
  { type: "connect" },
  { type: "notify", to: "sender", kind: "INVITATION_ACCEPTED" },
  { type: "publish", to: "sender", topic: "INVITATION_ACCEPTED" },
];

/**
 * The transition table. A REPORTED invitation looks IGNORED to its recipient, so the
 * recipient may still accept or decline it, as rule 1 promises for ignored ones.
 */
export const RULES: Record<Action, Rule> = {
  accept: {
    by: "recipient",
    from: ANSWERABLE,
    to: "ACCEPTED",
    keepsMessage: true,
    stamps: true,
    effects: ACCEPTED_EFFECTS,
  },
  crossInvite: {
    by: "recipient",
    from: ANSWERABLE,
    to: "ACCEPTED",
    keepsMessage: true,
    stamps: true,
    effects: ACCEPTED_EFFECTS,
  },
  // Ignore has no effect for anyone: nothing stored for the sender, nothing published.
  ignore: { by: "recipient", from: ["PENDING", "FILTERED", "IGNORED"], to: "IGNORED", effects: [] },
  decline: {
    by: "recipient",
    from: ANSWERABLE,
    to: "DECLINED",
    keepsMessage: true,
    stamps: true,
    effects: [
      { type: "notify", to: "sender", kind: "INVITATION_DECLINED" },
      { type: "publish", to: "sender", topic: "INVITATION_DECLINED" },
    ],
  },
  report: {
    by: "recipient",
    from: ["PENDING", "IGNORED", "FILTERED"],
    to: "REPORTED",
    effects: [{ type: "recordReport" }],
  },
  withdraw: {
    by: "sender",
    from: ANSWERABLE,
    to: "WITHDRAWN",
    stamps: true,
    effects: [{ type: "retractReceivedNotification" }],
  },
  block: { by: "system", from: ANSWERABLE, to: "CLOSED_BY_BLOCK", stamps: true, effects: [] },
  expire: { by: "system", from: ANSWERABLE, to: "EXPIRED", stamps: true, effects: [] },
};

/** Which role `actorId` plays for `inv` (`null` actor is the system). */
export function roleOf(inv: InvitationState, actorId: string | null): Role {
  if (actorId === null) return "system";
  if (actorId === inv.senderId) return "sender";
  if (actorId === inv.recipientId) return "recipient";
  return "stranger";
}

/**
 * Applies `action` by `actorId` (`null` for the system) to `inv` at `now`.
 * Returns the next stored fields and the effects, or the error code the contract gives.
 * An invitation the actor may not act on as that role is NOT_FOUND (the API is no oracle);
 * a state the actor can see but that does not allow the action is CONFLICT.
 */
export function transition(
  inv: InvitationState,
  action: Action,
  actorId: string | null,
  now: Date,
  message: string | null = null,
): TransitionResult {
  const rule = RULES[action];
  const role = roleOf(inv, actorId);
  if (role !== rule.by) return notFound();
  // A closed-by-block invitation has vanished for both sides; a discarded one never existed
  // for its recipient (but a crossing invitation still meets it, as rule 4 says).
  if (inv.status === "CLOSED_BY_BLOCK") return notFound();
  if (inv.status === "DISCARDED" && role === "recipient" && action !== "crossInvite") {
    return notFound();
  }
  if (
    (action === "ignore" && (inv.status === "IGNORED" || inv.status === "REPORTED")) ||
    (action === "report" && inv.status === "REPORTED")
  ) {
    // Idempotent: ignoring or reporting twice changes nothing (a report already counts as
    // ignored, and the recipient sees a reported invitation as ignored).
    return {
      ok: true,
      next: { status: inv.status, respondedAt: inv.respondedAt, responseMessage: null },
      effects: [],
    };
  }
  if (!rule.from.includes(inv.status)) {
    return {
      ok: false,
      code: "CONFLICT",
      message: `This invitation can no longer be ${PAST[action]}.`,
    };
  }
  return {
    ok: true,
    next: {
      status: rule.to,
      respondedAt: rule.stamps ? now : null,
      responseMessage: rule.keepsMessage ? message : null,
    },
    effects: [...rule.effects],
  };
}

const PAST: Record<Action, string> = {
  accept: "accepted",
  crossInvite: "accepted",
  ignore: "ignored",
  decline: "declined",
  report: "reported",
  withdraw: "withdrawn",
  block: "closed",
  expire: "expired",
};

function notFound(): TransitionResult {
  return { ok: false, code: "NOT_FOUND", message: "Invitation not found." };
}

/**
 * What one viewer may see of a stored invitation's state; `viewAs` answers null when it does
 * not exist for them. The API's `Invitation` is the record's public fields with this view.
 */
export interface InvitationView {
  status: VisibleStatus;
  respondedAt: Date | null;
  responseMessage: string | null;
}

/**
 * The projection of `inv` for `viewerId`. The sender sees IGNORED, FILTERED, REPORTED and
 * DISCARDED as PENDING with no response; the recipient sees REPORTED as IGNORED and FILTERED
 * as PENDING (the FILTERED list is where it finds those), and no DISCARDED one at all. Closed
 * by a block: gone for both.
 */
export function viewAs(inv: InvitationState, viewerId: string): InvitationView | null {
  const role = roleOf(inv, viewerId);
  if (role !== "sender" && role !== "recipient") return null;
  if (inv.status === "CLOSED_BY_BLOCK") return null;
  if (role === "recipient" && HIDDEN_FROM_RECIPIENT.includes(inv.status)) return null;
  const looksPending =
    role === "sender"
      ? ["PENDING", "IGNORED", "FILTERED", "REPORTED", "DISCARDED"].includes(inv.status)
      : ["PENDING", "FILTERED"].includes(inv.status);
  if (looksPending) return { status: "PENDING", respondedAt: null, responseMessage: null };
  if (role === "recipient" && (inv.status === "IGNORED" || inv.status === "REPORTED")) {
    // The ignore is the recipient's own act; it never gets a respondedAt (it is no answer).
    return { status: "IGNORED", respondedAt: null, responseMessage: null };
  }
  return {
    status: inv.status as VisibleStatus,
    respondedAt: inv.respondedAt,
    responseMessage: inv.responseMessage,
  };
}

/** The received-list bucket (`ReceivedStatus`) an invitation sits in for its recipient. */
export function receivedBucket(status: StoredStatus): "PENDING" | "IGNORED" | "FILTERED" | null {
  if (status === "PENDING") return "PENDING";
  if (status === "IGNORED" || status === "REPORTED") return "IGNORED";
  if (status === "FILTERED") return "FILTERED";
  return null;
}

/** Stored statuses the sender sees as `status` in `sentInvitations(status:)`. */
export function storedForSenderView(status: VisibleStatus): StoredStatus[] {
  if (status === "PENDING") return ["PENDING", "IGNORED", "FILTERED", "REPORTED", "DISCARDED"];
  if (status === "IGNORED") return []; // the sender never sees an ignore
  return [status];
}
