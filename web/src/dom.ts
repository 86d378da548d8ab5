type Child = Node | string | number | undefined;

/** An element with attributes (`class`, `data-*`, `title`, ...) and children (text is escaped). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child !== undefined) node.append(typeof child === 'number' ? String(child) : child);
  return node;
}

/** The element with this id; throws when the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** Shows a message in the banner (or hides it with ''). */
export function banner(text: string): void {
  const node = byId('banner');
  node.textContent = text;
  node.hidden = text === '';
}
