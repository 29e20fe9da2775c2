/**
 * Table-driven unit test of the pure invitation lifecycle (src/invitations/lifecycle.ts).
 *
 * Every expectation below is written out by hand from rules 1-5 (docs/api.md, "The rules")
 * and the lifecycle table of docs/architecture.md ("The invitation lifecycle"); none is
 * computed from the module's own RULES, so a wrong entry in RULES fails here instead of being
 * asserted against itself.
 */
import { describe, expect, it } from "vitest";
import {
  ACTIONS,
  STORED_STATUSES,
  receivedBucket,
  storedForSenderView,
  transition,
  viewAs,
  type Action,
  type Effect,
  type InvitationState,
  type InvitationView,
  type Role,
  type StoredStatus,
  type TransitionResult,
  type VisibleStatus,
} from "../src/invitations/lifecycle";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const SENDER_ID = "11111111-1111-4111-8111-111111111111";
const RECIPIENT_ID = "22222222-2222-4222-8222-222222222222";
const STRANGER_ID = "33333333-3333-4333-8333-333333333333";

/** The actor id each role acts with (`null` is the system). */
const ACTOR: Record<Role, string | null> = {
  sender: SENDER_ID,
  recipient: RECIPIENT_ID,
  system: null,
  stranger: STRANGER_ID,
};

type Viewer = Exclude<Role, "system">;
const VIEWER: Record<Viewer, string> = {
  sender: SENDER_ID,
  recipient: RECIPIENT_ID,
  stranger: STRANGER_ID,
};

const ROLES: Role[] = ["sender", "recipient", "system", "stranger"];
const VIEWERS: Viewer[] = ["sender", "recipient", "stranger"];

/** Column order of every row in the tables below. */
const STATES: StoredStatus[] = [
  "PENDING",
  "IGNORED",
  "FILTERED",
  "REPORTED",
  "DISCARDED",
  "ACCEPTED",
  "DECLINED",
  "WITHDRAWN",
  "EXPIRED",
  "CLOSED_BY_BLOCK",
];
const ALL_ACTIONS: Action[] = [
  "accept",
  "crossInvite",
  "ignore",
  "decline",
  "report",
  "withdraw",
  "block",
  "expire",
];
/** States that look pending to the sender (rule 1: ignore, filter and report are invisible). */
const LOOKS_PENDING_TO_SENDER: StoredStatus[] = [
  "PENDING",
  "IGNORED",
  "FILTERED",
  "REPORTED",
  "DISCARDED",
];

/** Of those, the ones the recipient sees (a DISCARDED one does not exist for them). */
const SEEN_BY_RECIPIENT = LOOKS_PENDING_TO_SENDER.filter((s) => s !== "DISCARDED");

const NOW = new Date("2025-03-01T12:00:00.000Z");
const EARLIER = new Date("2025-02-01T08:30:00.000Z");
/** The message passed to every transition; only accept, crossInvite and decline keep it. */
const MSG = "Happy to connect!";
const OLD_GREETING = "Glad we are connected.";
const OLD_DECLINE = "Sorry, I only connect with people I know.";

/** One realistic stored invitation per state. */
const STORED: Record<StoredStatus, InvitationState> = {
  PENDING: inv("PENDING", null, null),
  IGNORED: inv("IGNORED", null, null),
  FILTERED: inv("FILTERED", null, null),
  REPORTED: inv("REPORTED", null, null),
  DISCARDED: inv("DISCARDED", null, null),
  ACCEPTED: inv("ACCEPTED", EARLIER, OLD_GREETING),
  DECLINED: inv("DECLINED", EARLIER, OLD_DECLINE),
  WITHDRAWN: inv("WITHDRAWN", EARLIER, null),
  EXPIRED: inv("EXPIRED", EARLIER, null),
  CLOSED_BY_BLOCK: inv("CLOSED_BY_BLOCK", EARLIER, null),
};

function inv(
  status: StoredStatus,
  respondedAt: Date | null,
  responseMessage: string | null,
): InvitationState {
  return { senderId: SENDER_ID, recipientId: RECIPIENT_ID, status, respondedAt, responseMessage };
}

/** A fresh copy, so one case can never leak into another through a shared object. */
function stored(status: StoredStatus): InvitationState {
  return structuredClone(STORED[status]);
}

// ---------------------------------------------------------------------------------------------
// Expected outcomes of `transition` (written out, not derived)
// ---------------------------------------------------------------------------------------------

type Expected =
  | { error: "NOT_FOUND" | "CONFLICT" }
  | {
      status: StoredStatus;
      respondedAt: Date | null;
      responseMessage: string | null;
      effects: Effect[];
    };

const NF: Expected = { error: "NOT_FOUND" };
const CF: Expected = { error: "CONFLICT" };

const ACCEPT_FX: Effect[] = [
  { type: "connect" },
  { type: "notify", to: "sender", kind: "INVITATION_ACCEPTED" },
  { type: "publish", to: "sender", topic: "INVITATION_ACCEPTED" },
];
const DECLINE_FX: Effect[] = [
  { type: "notify", to: "sender", kind: "INVITATION_DECLINED" },
  { type: "publish", to: "sender", topic: "INVITATION_DECLINED" },
];

/** Accepted (by accept or a crossing invitation): message kept as greeting, stamped now. */
const ACC: Expected = {
  status: "ACCEPTED",
  respondedAt: NOW,
  responseMessage: MSG,
  effects: ACCEPT_FX,
};
/** Declined: message kept, stamped now, the sender is told (rule 2). */
const DEC: Expected = {
  status: "DECLINED",
  respondedAt: NOW,
  responseMessage: MSG,
  effects: DECLINE_FX,
};
/** Ignored: nothing stamped, nothing kept, no effect for anyone (rule 1). */
const IGN: Expected = { status: "IGNORED", respondedAt: null, responseMessage: null, effects: [] };
/** Ignoring or reporting an already reported one: it already counts as ignored, nothing changes. */
const REP_STAYS: Expected = {
  status: "REPORTED",
  respondedAt: null,
  responseMessage: null,
  effects: [],
};
/** Reported: recorded, silent to the sender. */
const REP: Expected = {
  status: "REPORTED",
  respondedAt: null,
  responseMessage: null,
  effects: [{ type: "recordReport" }],
};
/** Withdrawn: stamped now, the recipient's INVITATION_RECEIVED notification retracted. */
const WDR: Expected = {
  status: "WITHDRAWN",
  respondedAt: NOW,
  responseMessage: null,
  effects: [{ type: "retractReceivedNotification" }],
};
/** Closed by a block: stamped now, silent. */
const BLK: Expected = {
  status: "CLOSED_BY_BLOCK",
  respondedAt: NOW,
  responseMessage: null,
  effects: [],
};
/** Expired: stamped now, silent to both (rule 8). */
const EXP: Expected = { status: "EXPIRED", respondedAt: NOW, responseMessage: null, effects: [] };

/**
 * action -> role -> one expectation per stored state, in STATES order:
 *   PENDING  IGNORED  FILTERED  REPORTED  DISCARDED  ACCEPTED  DECLINED  WITHDRAWN  EXPIRED
 *   CLOSED_BY_BLOCK
 */
const TRANSITIONS: Record<Action, Record<Role, Expected[]>> = {
  accept: {
    sender: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    recipient: [ACC, ACC, ACC, ACC, NF, CF, CF, CF, CF, NF],
    system: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    stranger: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
  },
  crossInvite: {
    sender: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    recipient: [ACC, ACC, ACC, ACC, ACC, CF, CF, CF, CF, NF],
    system: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    stranger: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
  },
  ignore: {
    sender: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    recipient: [IGN, IGN, IGN, REP_STAYS, NF, CF, CF, CF, CF, NF],
    system: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    stranger: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
  },
  decline: {
    sender: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    recipient: [DEC, DEC, DEC, DEC, NF, CF, CF, CF, CF, NF],
    system: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    stranger: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
  },
  report: {
    sender: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    recipient: [REP, REP, REP, REP_STAYS, NF, CF, CF, CF, CF, NF],
    system: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    stranger: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
  },
  withdraw: {
    sender: [WDR, WDR, WDR, WDR, WDR, CF, CF, CF, CF, NF],
    recipient: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    system: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    stranger: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
  },
  block: {
    sender: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    recipient: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    system: [BLK, BLK, BLK, BLK, BLK, CF, CF, CF, CF, NF],
    stranger: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
  },
  expire: {
    sender: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    recipient: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
    system: [EXP, EXP, EXP, EXP, EXP, CF, CF, CF, CF, NF],
    stranger: [NF, NF, NF, NF, NF, NF, NF, NF, NF, NF],
  },
};

interface TransitionCase {
  action: Action;
  role: Role;
  state: StoredStatus;
  expected: Expected;
}

const TRANSITION_CASES: TransitionCase[] = ALL_ACTIONS.flatMap((action) =>
  ROLES.flatMap((role) =>
    STATES.map((state, i) => ({ action, role, state, expected: TRANSITIONS[action][role][i] })),
  ),
);

/** The full result `transition` must return for one expectation. */
function resultFor(expected: Expected): TransitionResult {
  if ("error" in expected) {
    return { ok: false, code: expected.error, message: expect.any(String) as unknown as string };
  }
  const { status, respondedAt, responseMessage, effects } = expected;
  return { ok: true, next: { status, respondedAt, responseMessage }, effects };
}

function run(state: StoredStatus, action: Action, role: Role, message: string | null = MSG) {
  return transition(stored(state), action, ACTOR[role], NOW, message);
}

// ---------------------------------------------------------------------------------------------
// Expected projections of `viewAs` (written out, not derived)
// ---------------------------------------------------------------------------------------------

const PENDING_VIEW: InvitationView = {
  status: "PENDING",
  respondedAt: null,
  responseMessage: null,
};
const IGNORED_VIEW: InvitationView = {
  status: "IGNORED",
  respondedAt: null,
  responseMessage: null,
};
const ACCEPTED_VIEW: InvitationView = {
  status: "ACCEPTED",
  respondedAt: EARLIER,
  responseMessage: OLD_GREETING,
};
const DECLINED_VIEW: InvitationView = {
  status: "DECLINED",
  respondedAt: EARLIER,
  responseMessage: OLD_DECLINE,
};
const WITHDRAWN_VIEW: InvitationView = {
  status: "WITHDRAWN",
  respondedAt: EARLIER,
  responseMessage: null,
};
const EXPIRED_VIEW: InvitationView = {
  status: "EXPIRED",
  respondedAt: EARLIER,
  responseMessage: null,
};

const VIEWS: Record<StoredStatus, Record<Viewer, InvitationView | null>> = {
  PENDING: { sender: PENDING_VIEW, recipient: PENDING_VIEW, stranger: null },
  IGNORED: { sender: PENDING_VIEW, recipient: IGNORED_VIEW, stranger: null },
  FILTERED: { sender: PENDING_VIEW, recipient: PENDING_VIEW, stranger: null },
  REPORTED: { sender: PENDING_VIEW, recipient: IGNORED_VIEW, stranger: null },
  // Set aside by a DISCARD policy: pending to the sender, absent for the recipient (rule 11).
  DISCARDED: { sender: PENDING_VIEW, recipient: null, stranger: null },
  ACCEPTED: { sender: ACCEPTED_VIEW, recipient: ACCEPTED_VIEW, stranger: null },
  DECLINED: { sender: DECLINED_VIEW, recipient: DECLINED_VIEW, stranger: null },
  WITHDRAWN: { sender: WITHDRAWN_VIEW, recipient: WITHDRAWN_VIEW, stranger: null },
  EXPIRED: { sender: EXPIRED_VIEW, recipient: EXPIRED_VIEW, stranger: null },
  CLOSED_BY_BLOCK: { sender: null, recipient: null, stranger: null },
};

const VIEW_CASES = STATES.flatMap((state) =>
  VIEWERS.map((viewer) => ({ state, viewer, expected: VIEWS[state][viewer] })),
);

const RECEIVED_BUCKETS: Record<StoredStatus, "PENDING" | "IGNORED" | "FILTERED" | null> = {
  PENDING: "PENDING",
  IGNORED: "IGNORED",
  FILTERED: "FILTERED",
  REPORTED: "IGNORED",
  DISCARDED: null,
  ACCEPTED: null,
  DECLINED: null,
  WITHDRAWN: null,
  EXPIRED: null,
  CLOSED_BY_BLOCK: null,
};

const SENDER_VIEW_STORED: Record<VisibleStatus, StoredStatus[]> = {
  PENDING: ["PENDING", "IGNORED", "FILTERED", "REPORTED", "DISCARDED"],
  IGNORED: [],
  ACCEPTED: ["ACCEPTED"],
  DECLINED: ["DECLINED"],
  WITHDRAWN: ["WITHDRAWN"],
  EXPIRED: ["EXPIRED"],
};
const VISIBLE: VisibleStatus[] = [
  "PENDING",
  "ACCEPTED",
  "IGNORED",
  "DECLINED",
  "WITHDRAWN",
  "EXPIRED",
];

// ---------------------------------------------------------------------------------------------
// The tables
// ---------------------------------------------------------------------------------------------

describe("lifecycle tables cover the whole module", () => {
  it("lists every stored state and every action the module knows", () => {
    expect(STATES).toEqual([...STORED_STATUSES]);
    expect(ALL_ACTIONS).toEqual([...ACTIONS]);
  });

  it("has one expectation per stored state in every row", () => {
    for (const action of ALL_ACTIONS) {
      for (const role of ROLES) expect(TRANSITIONS[action][role]).toHaveLength(STATES.length);
    }
    expect(TRANSITION_CASES).toHaveLength(STATES.length * ALL_ACTIONS.length * ROLES.length);
  });
});

describe("transition: every stored state x action x role", () => {
  it.each(TRANSITION_CASES)("$action by $role from $state", ({ action, role, state, expected }) => {
    const invitation = stored(state);
    const before = structuredClone(invitation);
    const result = transition(invitation, action, ACTOR[role], NOW, MSG);
    expect(result).toEqual(resultFor(expected));
    // Pure: the input is never changed.
    expect(invitation).toEqual(before);
  });
});

describe("viewAs: every stored state x viewer", () => {
  it.each(VIEW_CASES)("$state seen by $viewer", ({ state, viewer, expected }) => {
    expect(viewAs(stored(state), VIEWER[viewer])).toEqual(expected);
  });
});

describe("receivedBucket: every stored state", () => {
  it.each(STATES)("%s", (state) => {
    expect(receivedBucket(state)).toBe(RECEIVED_BUCKETS[state]);
  });
});

describe("storedForSenderView: every visible status", () => {
  it.each(VISIBLE)("%s", (status) => {
    expect([...storedForSenderView(status)].sort()).toEqual([...SENDER_VIEW_STORED[status]].sort());
  });

  it("agrees with viewAs: a stored state is listed under exactly the status the sender sees", () => {
    for (const status of VISIBLE) {
      const seenAs = STATES.filter((s) => viewAs(stored(s), SENDER_ID)?.status === status);
      expect([...storedForSenderView(status)].sort()).toEqual(seenAs.sort());
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Key properties, by name
// ---------------------------------------------------------------------------------------------

describe("key properties", () => {
  it("ignore has no effects at all: nothing for the sender, nothing published", () => {
    for (const state of STATES) {
      for (const role of ROLES) {
        const result = run(state, "ignore", role);
        if (result.ok) expect(result.effects).toEqual([]);
      }
    }
    // And the sender's view of it is unchanged by the ignore, in every field.
    for (const state of SEEN_BY_RECIPIENT) {
      const before = stored(state);
      const result = transition(before, "ignore", RECIPIENT_ID, NOW, MSG);
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.effects).toEqual([]);
      expect(result.next.respondedAt).toBeNull();
      expect(result.next.responseMessage).toBeNull();
      expect(viewAs({ ...before, ...result.next }, SENDER_ID)).toEqual(viewAs(before, SENDER_ID));
      expect(viewAs({ ...before, ...result.next }, SENDER_ID)).toEqual(PENDING_VIEW);
    }
  });

  it("report is silent to the sender: no notification, nothing published", () => {
    for (const state of ["PENDING", "IGNORED", "FILTERED"] as const) {
      const result = run(state, "report", "recipient");
      expect(result).toEqual(resultFor(REP));
      const before = stored(state);
      if (result.ok) {
        expect(viewAs({ ...before, ...result.next }, SENDER_ID)).toEqual(PENDING_VIEW);
      }
    }
  });

  it("for the sender, IGNORED, FILTERED and REPORTED views are deep-equal to the PENDING view", () => {
    const pending = viewAs(stored("PENDING"), SENDER_ID);
    expect(pending).toEqual(PENDING_VIEW);
    for (const state of ["IGNORED", "FILTERED", "REPORTED"] as const) {
      expect(viewAs(stored(state), SENDER_ID)).toStrictEqual(pending);
    }
  });

  it("withdraw by the sender is identical from PENDING, IGNORED, FILTERED and REPORTED", () => {
    const fromPending = run("PENDING", "withdraw", "sender");
    expect(fromPending).toEqual(resultFor(WDR));
    for (const state of ["IGNORED", "FILTERED", "REPORTED"] as const) {
      expect(run(state, "withdraw", "sender")).toStrictEqual(fromPending);
    }
  });

  it("every action by the sender answers the same for IGNORED, FILTERED, REPORTED as for PENDING", () => {
    for (const action of ALL_ACTIONS) {
      const fromPending = run("PENDING", action, "sender");
      for (const state of ["IGNORED", "FILTERED", "REPORTED"] as const) {
        expect(run(state, action, "sender")).toStrictEqual(fromPending);
      }
    }
  });

  it("a stranger always gets NOT_FOUND and sees nothing", () => {
    const anotherStranger = "44444444-4444-4444-8444-444444444444";
    for (const state of STATES) {
      for (const action of ALL_ACTIONS) {
        for (const id of [STRANGER_ID, anotherStranger]) {
          const result = transition(stored(state), action, id, NOW, MSG);
          expect(result).toEqual(resultFor(NF));
        }
      }
      expect(viewAs(stored(state), STRANGER_ID)).toBeNull();
      expect(viewAs(stored(state), anotherStranger)).toBeNull();
    }
  });

  it("CLOSED_BY_BLOCK is NOT_FOUND for everyone and viewAs is null for everyone", () => {
    for (const action of ALL_ACTIONS) {
      for (const role of ROLES) {
        expect(run("CLOSED_BY_BLOCK", action, role)).toEqual(resultFor(NF));
      }
    }
    for (const viewer of VIEWERS) {
      expect(viewAs(stored("CLOSED_BY_BLOCK"), VIEWER[viewer])).toBeNull();
    }
  });

  it("NOT_FOUND is one and the same answer everywhere (the API is no oracle)", () => {
    const messages = new Set<string>();
    for (const { action, role, state } of TRANSITION_CASES) {
      const result = run(state, action, role);
      if (!result.ok && result.code === "NOT_FOUND") messages.add(result.message);
    }
    expect(messages.size).toBe(1);
  });

  it("decline and accept keep the message as responseMessage and set respondedAt to now", () => {
    const answerable = ["PENDING", "IGNORED", "FILTERED", "REPORTED"] as const;
    for (const action of ["accept", "crossInvite", "decline"] as const) {
      for (const state of answerable) {
        const result = run(state, action, "recipient", "A personal note");
        expect(result.ok).toBe(true);
        if (!result.ok) continue;
        expect(result.next.responseMessage).toBe("A personal note");
        expect(result.next.respondedAt).toBeInstanceOf(Date);
        expect(result.next.respondedAt!.getTime()).toBe(NOW.getTime());

        // Without a message, the response message is null (not some default).
        const bare = transition(stored(state), action, RECIPIENT_ID, NOW);
        expect(bare.ok && bare.next.responseMessage).toBeNull();
      }
    }
  });

  it("the sender's view after an accept or decline shows the greeting or decline message", () => {
    for (const state of SEEN_BY_RECIPIENT) {
      const before = stored(state);
      const accepted = transition(before, "accept", RECIPIENT_ID, NOW, "Welcome!");
      const declined = transition(before, "decline", RECIPIENT_ID, NOW, "No, thanks.");
      if (!accepted.ok || !declined.ok) throw new Error("accept/decline must succeed");
      expect(viewAs({ ...before, ...accepted.next }, SENDER_ID)).toEqual({
        status: "ACCEPTED",
        respondedAt: NOW,
        responseMessage: "Welcome!",
      });
      expect(viewAs({ ...before, ...declined.next }, SENDER_ID)).toEqual({
        status: "DECLINED",
        respondedAt: NOW,
        responseMessage: "No, thanks.",
      });
    }
  });

  it("the sender's view never leaks respondedAt/responseMessage for looks-pending states", () => {
    for (const state of LOOKS_PENDING_TO_SENDER) {
      // Even if a stored row carried a stamp or a message, the sender must not see it.
      const dirty: InvitationState = {
        ...stored(state),
        respondedAt: EARLIER,
        responseMessage: "should never be shown to the sender",
      };
      expect(viewAs(dirty, SENDER_ID)).toStrictEqual(PENDING_VIEW);
      expect(viewAs(stored(state), SENDER_ID)).toStrictEqual(PENDING_VIEW);
    }
  });

  it("the recipient's view shows no respondedAt for pending, filtered, ignored or reported", () => {
    const expected: Record<string, InvitationView> = {
      PENDING: PENDING_VIEW,
      FILTERED: PENDING_VIEW,
      IGNORED: IGNORED_VIEW,
      REPORTED: IGNORED_VIEW,
    };
    for (const state of SEEN_BY_RECIPIENT) {
      const dirty: InvitationState = {
        ...stored(state),
        respondedAt: EARLIER,
        responseMessage: "not an answer",
      };
      expect(viewAs(dirty, RECIPIENT_ID)).toStrictEqual(expected[state]);
    }
  });
});
