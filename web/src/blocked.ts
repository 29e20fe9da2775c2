import { BLOCKED, request, UNBLOCK, type Person } from "./api";
import { h } from "./dom";

/** The members the viewer blocked, each with Unblock; read afresh each time it is opened. */
export function blockedSection(token: string): HTMLElement {
  const list = h("ul", { "data-testid": "blocked" });
  const panel = h("details", { class: "settings" }, h("summary", {}, "Blocked members"), list);
  const load = () =>
    request<{ blockedMembers: Person[] }>(BLOCKED, {}, token).then(
      ({ blockedMembers }) =>
        list.replaceChildren(
          ...(blockedMembers.length
            ? blockedMembers.map((m) =>
                h(
                  "li",
                  {},
                  h("span", {}, m.name),
                  " ",
                  h(
                    "button",
                    {
                      type: "button",
                      class: "quiet",
                      onclick: () => void request(UNBLOCK, { id: m.id }, token).then(load),
                    },
                    `Unblock ${m.name}`,
                  ),
                ),
              )
            : [h("li", { class: "empty" }, "Nobody.")]),
        ),
      (err: unknown) => list.replaceChildren(h("li", { role: "alert" }, (err as Error).message)),
    );
  panel.addEventListener("toggle", () => {
    if (panel.open) void load();
  });
  return panel;
}
