// Mentions in the client: `<@id>` in a message's text shown as "@name" (the person's own
// highlighted), and written by picking a member after "@" in the composer — the box shows
// "@name", the server gets `<@id>` (docs/api.md: an id without leading zeros).
import { html } from "../lib/html.js";

/** @typedef {import("./timeline.js").Author} Author */

/** `<@id>` as the server reads it. */
const MENTION = /<@([1-9][0-9]*)>/g;

/**
 * The text in pieces: strings, and the ids mentioned between them.
 * @param {string} content
 * @returns {(string|{id: number})[]}
 */
export function pieces(content) {
  /** @type {(string|{id: number})[]} */
  const out = [];
  let at = 0;
  for (const found of content.matchAll(MENTION)) {
    const start = found.index ?? 0;
    if (start > at) out.push(content.slice(at, start));
    out.push({ id: Number(found[1]) });
    at = start + found[0].length;
  }
  if (at < content.length) out.push(content.slice(at));
  return out;
}

/**
 * A message's text with its mentions as names.
 * @param {{content: string, nameOf: (id: number) => string|null, me: number|null}} props
 */
export function MessageText({ content, nameOf, me }) {
  return pieces(content).map((piece) =>
    typeof piece === "string"
      ? piece
      : html`<span class=${piece.id === me ? "mention me" : "mention"}>@${nameOf(piece.id) ?? "unknown-user"}</span>`,
  );
}

/** Plain text with mentions as names (notifications, quotes). @param {string} content @param {(id: number) => string|null} nameOf */
export function plainText(content, nameOf) {
  return pieces(content)
    .map((piece) => (typeof piece === "string" ? piece : `@${nameOf(piece.id) ?? "unknown-user"}`))
    .join("");
}

/**
 * The "@word" being typed just before the caret, if any: where it starts and what follows "@".
 * @param {string} text @param {number} caret
 * @returns {{start: number, query: string}|null}
 */
export function typedMention(text, caret) {
  const before = text.slice(0, caret);
  const found = /(^|\s)@([^\s@]{0,32})$/.exec(before);
  if (!found) return null;
  return { start: before.length - found[2].length - 1, query: found[2] };
}

/**
 * The members a query names, best first: display names, then login names, starting with it;
 * then those containing it. At most `limit`.
 * @param {Author[]} members @param {string} query @param {number} [limit]
 * @returns {Author[]}
 */
export function candidates(members, query, limit = 8) {
  const q = query.toLowerCase();
  /** @param {Author} m */
  const rank = (m) => {
    const name = m.username.toLowerCase();
    const login = (m.owner ?? "").toLowerCase();
    if (name.startsWith(q)) return 0;
    if (login.startsWith(q)) return 1;
    if (name.includes(q) || login.includes(q)) return 2;
    return 3;
  };
  return members
    .filter((m) => m.id !== null && rank(m) < 3)
    .sort((a, b) => rank(a) - rank(b) || a.username.localeCompare(b.username))
    .slice(0, limit);
}

/**
 * The text to send: each "@name" the person picked (and left standing as a word) as `<@id>`.
 * @param {string} text @param {Map<string, number>} picked display name → id
 */
export function withMentions(text, picked) {
  let out = text;
  // Longer names first, so that "@Ann Lee" is not taken for "@Ann".
  for (const [name, id] of [...picked].sort((a, b) => b[0].length - a[0].length)) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    out = out.replace(new RegExp(`(^|\\s)@${escaped}(?=$|[\\s.,:;!?)\\]'"])`, "g"), `$1<@${id}>`);
  }
  return out;
}
