// Choosing an emoji for a reaction: the server's own set (`GET /api/emojis/`, read once per page
// load), searchable by name, by group, with the ones a person uses most in this browser first.
// A popover: focus goes to the search box, Escape or a click elsewhere closes it and gives focus
// back to what opened it.
import { html, useEffect, useLayoutEffect, useMemo, useRef, useState } from "../lib/html.js";
import { useServices } from "../context.js";

/** @typedef {{emoji: string, name: string, group: string}} EmojiEntry */

/** Offered before anything is used. */
export const QUICK = ["👍", "❤️", "😂", "😮", "😢", "🎉"];
const RECENT_KEY = "pingme.recent-emoji";
const RECENT_MAX = 16;

/** @type {Promise<EmojiEntry[]>|null} */
let loading = null;

/** The server's emoji, fetched once. @param {import("../api/client.js").Api} api */
function emojiSet(api) {
  loading ??= api.get("/api/emojis/").catch((/** @type {unknown} */ e) => {
    loading = null;
    throw e;
  });
  return loading;
}

/** The emoji this browser used last, most recent first. @returns {string[]} */
export function recentEmoji() {
  try {
    const kept = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]");
    return Array.isArray(kept) ? kept.filter((e) => typeof e === "string").slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

/** @param {string} emoji */
export function usedEmoji(emoji) {
  const next = [emoji, ...recentEmoji().filter((e) => e !== emoji)].slice(0, RECENT_MAX);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // Storage full or refused: the list is only a convenience.
  }
}

/**
 * The emoji whose name has every word of the query, in the set's order.
 * @param {EmojiEntry[]} all @param {string} query
 */
export function matching(all, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return all;
  return all.filter((e) => {
    const name = e.name.toLowerCase();
    return words.every((w) => name.includes(w));
  });
}

/**
 * @param {{onPick: (emoji: string) => void, onClose: () => void, anchor: Element|null, label?: string}} props
 *   anchor: what opened it, beside which it opens and to which focus goes back
 */
export function EmojiPicker({ onPick, onClose, anchor, label = "Add a reaction" }) {
  const { api } = useServices();
  const [all, setAll] = useState(/** @type {EmojiEntry[]|null} */ (null));
  const [failed, setFailed] = useState(false);
  const [query, setQuery] = useState("");
  const box = useRef(/** @type {HTMLDivElement|null} */ (null));
  const opener = useRef(anchor);

  // Fixed to the viewport beside what opened it, below or, without room there, above (the
  // message list's scrolling would clip it); placed again when the list scrolls or the window
  // changes size (a phone's keyboard), and closed once what opened it is out of sight.
  const place = () => {
    const el = box.current;
    const from = /** @type {HTMLElement|null} */ (opener.current)?.getBoundingClientRect?.();
    if (!el || !from) return;
    if (from.bottom < 0 || from.top > window.innerHeight || (from.width === 0 && from.height === 0)) return onClose();
    const height = el.offsetHeight;
    const below = window.innerHeight - from.bottom;
    el.style.top = below >= height + 8 || below > from.top ? `${Math.min(from.bottom + 4, window.innerHeight - height - 4)}px` : `${Math.max(4, from.top - height - 4)}px`;
    el.style.left = `${Math.max(4, Math.min(from.right - el.offsetWidth, window.innerWidth - el.offsetWidth - 4))}px`;
  };
  useLayoutEffect(place, []);

  useEffect(() => {
    emojiSet(api).then(setAll, () => setFailed(true));
    /** @type {HTMLInputElement|null|undefined} */ (box.current?.querySelector("input"))?.focus();
    const outside = (/** @type {PointerEvent} */ e) => {
      if (!box.current?.contains(/** @type {Node} */ (e.target))) close();
    };
    const moved = (/** @type {Event} */ e) => {
      if (!box.current?.contains(/** @type {Node} */ (e.target))) place();
    };
    document.addEventListener("pointerdown", outside);
    document.addEventListener("scroll", moved, true);
    window.addEventListener("resize", place);
    return () => {
      document.removeEventListener("pointerdown", outside);
      document.removeEventListener("scroll", moved, true);
      window.removeEventListener("resize", place);
    };
  }, []);

  const close = () => {
    onClose();
    /** @type {HTMLElement|null} */ (opener.current)?.focus?.();
  };
  /** @param {string} emoji */
  const pick = (emoji) => {
    usedEmoji(emoji);
    onPick(emoji);
    close();
  };

  const shown = useMemo(() => (all ? matching(all, query) : []), [all, query]);
  const groups = useMemo(() => {
    /** @type {Map<string, EmojiEntry[]>} */
    const by = new Map();
    for (const e of shown) by.set(e.group, [...(by.get(e.group) ?? []), e]);
    return [...by];
  }, [shown]);
  const recent = recentEmoji();
  const first = query ? [] : recent.length ? recent : QUICK;

  /** @param {string} emoji @param {string} name */
  const cell = (emoji, name) =>
    html`<button type="button" class="emoji-cell" key=${emoji} title=${name} aria-label=${name} onClick=${() => pick(emoji)}>${emoji}</button>`;
  const nameOf = (/** @type {string} */ emoji) => all?.find((e) => e.emoji === emoji)?.name ?? emoji;

  return html`<div class="emoji-picker" role="dialog" aria-label=${label} ref=${box}
      onKeyDown=${(/** @type {KeyboardEvent} */ e) => e.key === "Escape" && (e.stopPropagation(), close())}>
    <input type="search" class="emoji-search" placeholder="Find an emoji" aria-label="Find an emoji" value=${query}
      onInput=${(/** @type {Event} */ e) => setQuery(/** @type {HTMLInputElement} */ (e.target).value)}
      onKeyDown=${(/** @type {KeyboardEvent} */ e) => {
        if (e.key === "Enter" && shown[0]) {
          e.preventDefault();
          pick(shown[0].emoji);
        }
      }} />
    <div class="emoji-scroll">
      ${first.length > 0 &&
      html`<section aria-label=${recent.length ? "Recently used" : "Popular"}>
        <h3>${recent.length ? "Recently used" : "Popular"}</h3>
        <div class="emoji-grid">${first.map((e) => cell(e, nameOf(e)))}</div>
      </section>`}
      ${failed && html`<p class="emoji-note" role="alert">The emoji could not be loaded.</p>`}
      ${!all && !failed && html`<p class="emoji-note">Loading…</p>`}
      ${all && shown.length === 0 && html`<p class="emoji-note">No emoji named “${query}”.</p>`}
      ${groups.map(
        ([group, entries]) => html`<section key=${group} aria-label=${group}>
          <h3>${group}</h3>
          <div class="emoji-grid">${entries.map((e) => cell(e.emoji, e.name))}</div>
        </section>`,
      )}
    </div>
  </div>`;
}
