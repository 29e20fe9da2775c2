import {
  request,
  SAVE_SETTINGS,
  SETTINGS,
  type EmailFrequency,
  type NotificationKind,
  type PolicyAction,
  type Settings,
} from "./api";
import { h } from "./dom";

const POLICY_LABELS: [keyof Settings["invitationSettings"]["policy"], string][] = [
  ["newAccounts", "From new accounts"],
  ["noMutualConnections", "From people with no mutual connection"],
  ["restrictedSenders", "From senders restricted after reports"],
  ["outsideNetwork", "From outside your network"],
];
const ACTIONS: [PolicyAction, string][] = [
  ["DELIVER", "Deliver"],
  ["FILTER", "Set aside (Filtered)"],
  ["DISCARD", "Discard"],
];
const KIND_LABELS: Record<NotificationKind, string> = {
  INVITATION_RECEIVED: "New invitations",
  INVITATION_ACCEPTED: "Accepted invitations",
  INVITATION_DECLINED: "Declined invitations",
  INVITATION_REMINDER: "Reminders",
};
const FREQUENCIES: [EmailFrequency, string][] = [
  ["IMMEDIATELY", "At once"],
  ["DAILY_DIGEST", "Daily digest"],
  ["NEVER", "Never"],
];

function select<T extends string>(
  name: string,
  options: [T, string][],
  value: T,
): HTMLSelectElement {
  const el = h("select", { name });
  for (const [v, label] of options) {
    const option = h("option", { value: v }, label);
    option.selected = v === value;
    el.append(option);
  }
  return el;
}

/** The settings panel: who can invite, policies, pause, reminders, e-mail. Loads when opened. */
export function settingsSection(token: string): HTMLElement {
  const body = h("div", {});
  const panel = h(
    "details",
    { class: "settings", "data-testid": "settings" },
    h("summary", {}, "Settings"),
    body,
  );
  panel.addEventListener("toggle", () => {
    if (!panel.open || body.childElementCount) return;
    request<Settings>(SETTINGS, {}, token).then(
      (s) => body.replaceChildren(form(token, s)),
      (err: unknown) =>
        body.replaceChildren(h("p", { class: "error", role: "alert" }, (err as Error).message)),
    );
  });
  return panel;
}

function form(token: string, s: Settings): HTMLElement {
  const inv = s.invitationSettings;
  const who = select(
    "whoCanInvite",
    [
      ["EVERYONE", "Everyone"],
      ["EMAIL_REQUIRED", "Only people who know my email"],
      ["SECOND_DEGREE", "Only people with a mutual connection"],
    ],
    inv.whoCanInvite,
  );
  const policies = POLICY_LABELS.map(
    ([key, label]) => [key, label, select(key, ACTIONS, inv.policy[key])] as const,
  );
  const paused = h("input", { type: "date", name: "pausedUntil" });
  if (inv.pausedUntil && new Date(inv.pausedUntil) > new Date())
    paused.value = inv.pausedUntil.slice(0, 10);
  const reminders = h("input", { type: "checkbox", name: "reminders" });
  reminders.checked = inv.reminders;
  const notify = h("input", { type: "checkbox", name: "notifyOnInvitation" });
  notify.checked = inv.notifyOnInvitation;
  const emails = s.notificationPreferences.map(
    (p) => [p.kind, select(`email-${p.kind}`, FREQUENCIES, p.email)] as const,
  );
  const status = h("p", { role: "status" });
  return h(
    "form",
    {
      onsubmit: (event) => {
        event.preventDefault();
        status.textContent = "Saving…";
        const settings = {
          whoCanInvite: who.value,
          reminders: reminders.checked,
          notifyOnInvitation: notify.checked,
          policy: Object.fromEntries(policies.map(([key, , el]) => [key, el.value])),
          // The end of the chosen day, in the member's time zone; empty: no pause.
          pausedUntil: paused.value ? new Date(`${paused.value}T23:59:59`).toISOString() : null,
        };
        const preferences = emails.map(([kind, el]) => ({ kind, email: el.value }));
        request(SAVE_SETTINGS, { settings, preferences }, token).then(
          () => (status.textContent = "Saved."),
          (err: unknown) => (status.textContent = (err as Error).message),
        );
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, "Who can invite you"),
      h("label", {}, "Invitations from", who),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Invitation policies"),
      ...policies.map(([, label, el]) => h("label", {}, label, el)),
      h("label", {}, "Pause new invitations until", paused),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Notifications"),
      h("label", {}, notify, "Notify me of new invitations"),
      h("label", {}, reminders, "Remind me of waiting invitations"),
      ...emails.map(([kind, el]) =>
        h("label", {}, `E-mail for ${KIND_LABELS[kind].toLowerCase()}`, el),
      ),
    ),
    h("button", { type: "submit" }, "Save settings"),
    status,
  );
}
