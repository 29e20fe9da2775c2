/**
 * A tiny element builder. Strings become text nodes, never markup: whatever a member typed
 * (notes, messages, names) is shown as text, so it cannot inject HTML. There is deliberately
 * no way to set innerHTML here.
 */
export type Child = Node | string | null | undefined | false;

type Attrs = Record<string, string | boolean | ((event: Event) => void) | undefined>;

/** `h("button", { type: "submit", onclick: fn }, "Send")`: attributes, listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else if (typeof value === "string") el.setAttribute(name, value);
  }
  el.append(
    ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
  );
  return el;
}

/**
 * Makes `list`'s children match `items` in order, keyed by `key`. An item whose `version`
 * did not change keeps its element (and whatever the user is typing into it); others are
 * rendered anew.
 */
export function syncList<T>(
  list: HTMLElement,
  items: readonly T[],
  key: (item: T) => string,
  version: (item: T) => string,
  render: (item: T) => HTMLElement,
): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(list.children) as HTMLElement[]) {
    if (child.dataset.key) existing.set(child.dataset.key, child);
  }
  const next = items.map((item) => {
    const k = key(item);
    const v = version(item);
    const old = existing.get(k);
    if (old && old.dataset.version === v) return old;
    const el = render(item);
    el.dataset.key = k;
    el.dataset.version = v;
    return el;
  });
  // Move only what must move: a moved element loses focus.
  let at = list.firstElementChild;
  for (const el of next) {
    if (el === at) at = at.nextElementSibling;
    else list.insertBefore(el, at);
  }
  while (at) {
    const stale = at;
    at = at.nextElementSibling;
    stale.remove();
  }
}
