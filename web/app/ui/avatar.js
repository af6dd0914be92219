// A person's or a server's picture, or their initials on a colour of their own when they have none.
import { html } from "../lib/html.js";

const COLOURS = ["#5865f2", "#3ba55d", "#faa61a", "#ed4245", "#eb459e", "#00a8fc", "#9b59b6", "#1abc9c"];

/** @param {string} name */
export function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}

/** @param {string} name */
function colour(name) {
  let hash = 0;
  for (const c of name) hash = (hash * 31 + (c.codePointAt(0) ?? 0)) >>> 0;
  return COLOURS[hash % COLOURS.length];
}

/**
 * @param {{name: string, url?: string|null, size?: number, square?: boolean}} props
 */
export function Avatar({ name, url, size = 40, square = false }) {
  // Styles as objects: Preact sets them through the CSSOM, which the page's policy allows
  // (a style attribute in markup it would refuse).
  const style = { width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.4)}px` };
  const cls = square ? "avatar square" : "avatar";
  if (url) return html`<img class=${cls} src=${url} alt="" width=${size} height=${size} style=${style} loading="lazy" />`;
  return html`<span class=${cls} aria-hidden="true" style=${{ ...style, background: colour(name) }}>${initials(name)}</span>`;
}
