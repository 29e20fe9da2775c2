import "./style.css";
import {
  ACCEPT,
  ApiError,
  BLOCK,
  REPORT,
  DECLINE,
  HOME,
  IGNORE,
  LOG_IN,
  NOTIFICATIONS,
  RECEIVED,
  request,
  VERIFY_EMAIL,
  type InvitationOrder,
  type ReceivedList,
  type Relation,
  type Home,
  type Invitation,
  type Notification,
  type Person,
} from "./api";
import { h, syncList } from "./dom";
import { startLive, type LiveStatus } from "./live";
import { blockedSection } from "./blocked";
import { peopleSection } from "./people";
import { settingsSection } from "./settings";
import { signUpForm } from "./signup";

/** The session survives a reload of this tab, and no other tab sees it. */
const TOKEN_KEY = "invitations.token";

interface Session {
  token: string;
  me: Person;
  received: Invitation[];
  sent: Invitation[];
  /** Newest first, as `notifications` lists them. */
  notifications: Notification[];
  /** Which of the received lists is shown. */
  tab: ReceivedList;
  live: { stop(): void } | null;
}

let session: Session | null = null;

const root = document.getElementById("app")!;

// ---------------------------------------------------------------------------------------------
// Log in / out

function showLogin(error?: string): void {
  const email = h("input", {
    type: "email",
    name: "email",
    autocomplete: "username",
    required: true,
  });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const problem = h("p", { class: "error", role: "alert" }, error);
  const form = h(
    "form",
    {
      class: "login",
      onsubmit: (event) => {
        event.preventDefault();
        problem.textContent = "";
        request<{ logIn: { token: string } }>(LOG_IN, {
          email: email.value,
          password: password.value,
        })
          .then(({ logIn }) => startSession(logIn.token))
          .catch((err: unknown) => (problem.textContent = messageOf(err)));
      },
    },
    h("h1", {}, "Invitations"),
    h("label", {}, "Email", email),
    h("label", {}, "Password", password),
    h("button", { type: "submit" }, "Log in"),
    h(
      "button",
      {
        type: "button",
        class: "quiet",
        onclick: () => {
          root.replaceChildren(signUpForm(startSession, () => showLogin()));
          root.querySelector("input")?.focus();
        },
      },
      "Create an account",
    ),
    problem,
  );
  root.replaceChildren(form);
  email.focus();
}

/** A token from logIn, signUp or a verification link: kept for this tab, and the page opens. */
function startSession(token: string): Promise<void> {
  sessionStorage.setItem(TOKEN_KEY, token);
  return open(token);
}

function logOut(message?: string): void {
  session?.live?.stop();
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin(message);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// The page

const received = h("ul", { class: "cards", "data-testid": "received" });
const sent = h("ul", { class: "cards", "data-testid": "sent" });
const notifications = h("ul", { class: "feed", "data-testid": "notifications" });
const liveStatus = h("span", { class: "live", "data-testid": "live-status" });
const flash = h("p", { class: "error", role: "alert" });
const who = h("span", { class: "who" });

/** Loads everything for `token` and shows it, then starts the live notifications. */
async function open(token: string): Promise<void> {
  let home: Home;
  try {
    home = await request<Home>(HOME, {}, token);
  } catch (err) {
    // A token the server no longer takes (expired, other secret): log in again.
    if (err instanceof ApiError && err.code === "UNAUTHENTICATED") return logOut(err.message);
    throw err;
  }
  if (!home.viewer) return logOut();
  session?.live?.stop();
  const s: Session = {
    token,
    me: home.viewer,
    received: home.receivedInvitations.edges.map((e) => e.node),
    sent: home.sentInvitations.edges.map((e) => e.node),
    notifications: home.notifications.edges.map((e) => e.node),
    tab: "PENDING",
    live: null,
  };
  session = s;
  who.textContent = s.me.name;
  root.replaceChildren(
    h(
      "header",
      {},
      h("h1", {}, "Invitations"),
      liveStatus,
      who,
      h("button", { type: "button", class: "quiet", onclick: () => logOut() }, "Log out"),
    ),
    flash,
    h(
      "main",
      {},
      h("section", {}, h("h2", {}, "Received"), receivedTabs(s), received),
      h(
        "section",
        {},
        // Before the list: the element after a list is its "nothing yet" note (`empty`).
        peopleSection(token, (inv) => {
          if (session !== s) return;
          s.sent = upsert(s.sent, inv);
          render();
        }),
        h("h2", {}, "Sent"),
        sent,
      ),
      h(
        "aside",
        {},
        settingsSection(token),
        blockedSection(token),
        h("h2", {}, "Notifications"),
        notifications,
      ),
    ),
  );
  render();
  s.live = startLive({
    token,
    // The newest one the page has; null: live only (catch-up happens in onConnected).
    cursor: () => s.notifications[0]?.cursor ?? null,
    onNotification: (n) => session === s && addNotification(n),
    onStatus: (status, detail) => session === s && showLive(status, detail),
    onConnected: () => {
      // Without a cursor the subscription is live-only: fetch once more, so that a
      // notification stored between the first load and now is not missed.
      if (s.notifications.length > 0) return;
      request<Pick<Home, "notifications">>(NOTIFICATIONS, {}, token).then(
        (data) => data.notifications.edges.forEach((e) => session === s && addNotification(e.node)),
        () => undefined,
      );
    },
  });
}

function showLive(status: LiveStatus, detail?: string): void {
  liveStatus.dataset.status = status;
  liveStatus.textContent = {
    connecting: "connecting…",
    live: "live",
    reconnecting: "reconnecting…",
    ended: "offline",
  }[status];
  if (detail) flash.textContent = detail;
}

/** A notification from the stream (or the catch-up): shown once, and its invitation updated. */
function addNotification(n: Notification): void {
  const s = session!;
  if (s.notifications.some((m) => m.id === n.id)) return;
  // The stream delivers in increasing order; the list is newest first.
  s.notifications.unshift(n);
  const inv = n.invitation;
  if (inv) {
    if (inv.sender.id === s.me.id) s.sent = upsert(s.sent, inv);
    else if (inv.status === "PENDING" && s.tab === "PENDING") s.received = upsert(s.received, inv);
  }
  render();
}

const TAB_LABEL: Record<ReceivedList, string> = {
  PENDING: "Pending",
  IGNORED: "Ignored",
  FILTERED: "Filtered",
};

const RELATION_LABEL: Record<Relation, string> = {
  MUTUAL_CONNECTIONS: "Mutual connections",
  SAME_EMPLOYER: "Same employer",
  SAME_INDUSTRY: "Same industry",
  SAME_SCHOOL: "Same school",
};
const ORDER_LABEL: Record<InvitationOrder, string> = {
  NEWEST: "Newest first",
  OLDEST: "Oldest first",
  MOST_MUTUAL_CONNECTIONS: "Most mutual connections",
};

/**
 * The three received lists, one shown at a time, with a search by name, relation filters and
 * an order: choosing a tab or changing a filter loads the list again.
 */
function receivedTabs(s: Session): HTMLElement {
  const tabs = h("div", { class: "tabs", role: "group", "aria-label": "Received lists" });
  const search = h("input", { type: "search", name: "filter-search" });
  const relations = (Object.keys(RELATION_LABEL) as Relation[]).map((r) => {
    const box = h("input", { type: "checkbox", name: r });
    return [r, box, h("label", {}, box, RELATION_LABEL[r])] as const;
  });
  const order = h("select", { name: "order" });
  for (const [value, label] of Object.entries(ORDER_LABEL)) {
    order.append(h("option", { value }, label));
  }
  const show = (tab: ReceivedList) => {
    for (const b of tabs.querySelectorAll("button")) {
      b.setAttribute("aria-pressed", String(b.dataset.tab === tab));
    }
    const chosen = relations.filter(([, box]) => box.checked).map(([r]) => r);
    const filter = {
      status: tab,
      ...(search.value.trim() ? { search: search.value.trim() } : {}),
      ...(chosen.length ? { relations: chosen } : {}),
    };
    request<{ receivedInvitations: { edges: { node: Invitation }[] } }>(
      RECEIVED,
      { filter, orderBy: order.value },
      s.token,
    ).then(
      (data) => {
        if (session !== s) return;
        s.tab = tab;
        s.received = data.receivedInvitations.edges.map((e) => e.node);
        received.replaceChildren();
        render();
      },
      (err: unknown) => (flash.textContent = messageOf(err)),
    );
  };
  for (const tab of ["PENDING", "IGNORED", "FILTERED"] as const) {
    tabs.append(
      h(
        "button",
        {
          type: "button",
          "data-tab": tab,
          "aria-pressed": String(tab === "PENDING"),
          onclick: () => show(tab),
        },
        TAB_LABEL[tab],
      ),
    );
  }
  const filters = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        show(s.tab);
      },
      onchange: () => show(s.tab),
    },
    h("label", {}, "Search received by name", search),
    h(
      "fieldset",
      {},
      h("legend", {}, "Only senders with"),
      ...relations.map(([, , label]) => label),
    ),
    h("label", {}, "Order", order),
  );
  return h("div", {}, tabs, filters);
}

/** `list` with `inv` replacing the one of the same id, or first if it is new. */
function upsert(list: Invitation[], inv: Invitation): Invitation[] {
  return list.some((i) => i.id === inv.id)
    ? list.map((i) => (i.id === inv.id ? inv : i))
    : [inv, ...list];
}

function render(): void {
  const s = session!;
  syncList(
    received,
    s.received,
    (i) => i.id,
    (i) => i.status,
    receivedCard,
  );
  syncList(
    sent,
    s.sent,
    (i) => i.id,
    (i) => `${i.status} ${i.responseMessage ?? ""}`,
    sentCard,
  );
  syncList(
    notifications,
    s.notifications,
    (n) => n.id,
    () => "",
    notificationItem,
  );
  empty(received, "No invitations waiting.");
  empty(sent, "You have not invited anyone yet.");
  empty(notifications, "Nothing yet.");
}

function empty(list: HTMLElement, text: string): void {
  const note = list.nextElementSibling;
  if (list.children.length === 0 && !note) list.after(h("p", { class: "empty" }, text));
  if (list.children.length > 0 && note) note.remove();
}

// ---------------------------------------------------------------------------------------------
// Items

const STATUS_LABEL: Record<Invitation["status"], string> = {
  PENDING: "Pending",
  ACCEPTED: "Accepted",
  IGNORED: "Ignored",
  DECLINED: "Declined",
  WITHDRAWN: "Withdrawn",
  EXPIRED: "Expired",
};

function when(iso: string): HTMLElement {
  return h("time", { datetime: iso }, new Date(iso).toLocaleString());
}

function person(p: Person): HTMLElement {
  return h(
    "div",
    { class: "person" },
    h("strong", {}, p.name),
    p.headline && h("span", {}, p.headline),
  );
}

function receivedCard(inv: Invitation): HTMLElement {
  const message = h("textarea", {
    name: "message",
    maxlength: "500",
    placeholder: "A message for them (optional)",
  });
  const ignored = session?.tab === "IGNORED";
  const buttons = h(
    "div",
    { class: "actions" },
    h("button", { type: "button", onclick: () => answer(inv, ACCEPT, {}) }, "Accept"),
    h(
      "button",
      {
        type: "button",
        class: "quiet",
        onclick: () => (greetForm.hidden = !greetForm.hidden),
      },
      "Accept with a greeting…",
    ),
    !ignored &&
      h(
        "button",
        { type: "button", class: "quiet", onclick: () => answer(inv, IGNORE, {}) },
        "Ignore",
      ),
    h(
      "button",
      { type: "button", class: "quiet", onclick: () => (declineForm.hidden = !declineForm.hidden) },
      "Decline…",
    ),
    h(
      "button",
      { type: "button", class: "quiet", onclick: () => answer(inv, REPORT, {}) },
      "Report as spam",
    ),
    h(
      "button",
      {
        type: "button",
        class: "quiet",
        onclick: () => answer(inv, BLOCK, {}, inv.sender.id),
      },
      `Block ${inv.sender.name}`,
    ),
  );
  const greeting = h("textarea", { name: "greeting", maxlength: "500" });
  const greetForm = h(
    "form",
    {
      class: "decline",
      hidden: true,
      onsubmit: (event) => {
        event.preventDefault();
        answer(inv, ACCEPT, { message: greeting.value.trim() || null });
      },
    },
    h("label", {}, "Accept with a greeting", greeting),
    h("button", { type: "submit" }, "Accept and send"),
  );
  const declineForm = h(
    "form",
    {
      class: "decline",
      hidden: true,
      onsubmit: (event) => {
        event.preventDefault();
        answer(inv, DECLINE, { message: message.value.trim() || null });
      },
    },
    h("label", {}, "Decline with a message", message),
    h("button", { type: "submit" }, "Decline"),
  );
  return h(
    "li",
    { class: "card", "data-invitation-id": inv.id },
    person(inv.sender),
    inv.message && h("blockquote", { class: "note" }, inv.message),
    when(inv.sentAt),
    buttons,
    greetForm,
    declineForm,
  );
}

/**
 * Accept, ignore, decline, report (by the invitation's id) or block (by the sender's, `id`):
 * the invitation leaves the list shown once the server agrees.
 */
function answer(
  inv: Invitation,
  mutation: string,
  variables: Record<string, unknown>,
  id: string = inv.id,
): void {
  const s = session!;
  flash.textContent = "";
  request(mutation, { id, ...variables }, s.token).then(
    () => {
      if (session !== s) return;
      s.received = s.received.filter((i) => i.id !== inv.id);
      render();
    },
    (err: unknown) => (flash.textContent = messageOf(err)),
  );
}

function sentCard(inv: Invitation): HTMLElement {
  return h(
    "li",
    { class: "card", "data-invitation-id": inv.id },
    person(inv.recipient),
    h(
      "span",
      { class: `status ${inv.status.toLowerCase()}`, "data-testid": "status" },
      STATUS_LABEL[inv.status],
    ),
    inv.message && h("blockquote", { class: "note" }, inv.message),
    inv.responseMessage &&
      h(
        "p",
        { class: "reply", "data-testid": "reply" },
        "Their message: ",
        h("q", {}, inv.responseMessage),
      ),
    when(inv.sentAt),
  );
}

const KIND_TEXT: Record<Notification["kind"], string> = {
  INVITATION_RECEIVED: "invited you to connect",
  INVITATION_ACCEPTED: "accepted your invitation",
  INVITATION_DECLINED: "declined your invitation",
  INVITATION_REMINDER: "is still waiting for your answer",
};

function notificationItem(n: Notification): HTMLElement {
  return h(
    "li",
    { "data-kind": n.kind },
    h("p", {}, h("strong", {}, n.actor?.name ?? "Someone"), ` ${KIND_TEXT[n.kind]}`),
    n.message && h("p", { class: "message" }, n.message),
    when(n.createdAt),
  );
}

// ---------------------------------------------------------------------------------------------

/** Follows a sign-up mail's link (`#verify-email=<token>`): the account is created, and opens. */
function verifyEmail(token: string): void {
  // The token leaves the address bar (and the history) before anything else happens.
  history.replaceState(null, "", location.pathname + location.search);
  request<{ verifyEmail: { token: string } }>(VERIFY_EMAIL, { token })
    .then(({ verifyEmail }) => startSession(verifyEmail.token))
    .catch((err: unknown) => showLogin(messageOf(err)));
}

const link = /^#verify-email=([\w-]+)$/.exec(location.hash);
const saved = sessionStorage.getItem(TOKEN_KEY);
if (link) verifyEmail(link[1]);
else if (saved) open(saved).catch((err: unknown) => showLogin(messageOf(err)));
else showLogin();
