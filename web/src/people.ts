import { request, SEARCH, SEND, type Found, type Invitation } from "./api";
import { h } from "./dom";

const DEGREE: Record<Found["degree"], string> = {
  SELF: "you",
  FIRST: "1st",
  SECOND: "2nd",
  THIRD_PLUS: "3rd+",
};

/**
 * "Find people": a search by name, and an invitation with an optional note to anyone found.
 * `sent` hears of each invitation the server took.
 */
export function peopleSection(token: string, sent: (inv: Invitation) => void): HTMLElement {
  const query = h("input", { type: "search", name: "search", required: true, minlength: "1" });
  const results = h("ul", { class: "cards", "data-testid": "people" });
  const status = h("p", { class: "status", role: "status" });
  const form = h(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        status.textContent = "Searching…";
        request<{ members: { edges: { node: Found }[] } }>(SEARCH, { search: query.value }, token)
          .then(({ members }) => {
            const found = members.edges.map((e) => e.node).filter((m) => m.degree !== "SELF");
            results.replaceChildren(...found.map((m) => personCard(token, m, sent)));
            status.textContent = found.length ? `${found.length} found` : "Nobody found.";
          })
          .catch((err: unknown) => (status.textContent = (err as Error).message));
      },
    },
    h("label", {}, "Search members by name", query),
    h("button", { type: "submit" }, "Search"),
  );
  return h(
    "section",
    { "aria-labelledby": "people-title" },
    h("h2", { id: "people-title" }, "Find people"),
    form,
    status,
    results,
  );
}

function personCard(token: string, m: Found, sent: (inv: Invitation) => void): HTMLElement {
  const note = h("textarea", {
    name: "note",
    maxlength: "300",
    placeholder: "Add a note (optional)",
  });
  const problem = h("p", { class: "error", role: "alert" });
  const invite = h(
    "form",
    {
      class: "invite",
      onsubmit: (event) => {
        event.preventDefault();
        problem.textContent = "";
        const input = { recipientId: m.id, message: note.value.trim() || null };
        request<{ sendInvitation: { invitation: Invitation } }>(SEND, { input }, token).then(
          ({ sendInvitation }) => {
            sent(sendInvitation.invitation);
            invite.replaceChildren(h("p", { class: "done" }, "Invitation sent."));
          },
          (err: unknown) => (problem.textContent = (err as Error).message),
        );
      },
    },
    h("label", {}, `Note for ${m.name}`, note),
    h("button", { type: "submit" }, "Invite"),
    problem,
  );
  const shared =
    m.mutualConnectionsCount === 1
      ? "1 mutual connection"
      : `${m.mutualConnectionsCount} mutual connections`;
  return h(
    "li",
    { class: "card", "data-member-id": m.id },
    h("div", { class: "person" }, h("strong", {}, m.name), m.headline && h("span", {}, m.headline)),
    h("p", { class: "meta" }, `${DEGREE[m.degree]} · ${shared}`),
    m.degree === "FIRST" ? h("p", {}, "Connected") : invite,
  );
}
