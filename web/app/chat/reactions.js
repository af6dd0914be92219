// A message's reactions as chips ("👍 3"), the person's own highlighted: a click gives or takes
// back theirs. Shown at once, sent to the server (PUT / DELETE
// /api/messages/<id>/reactions/<emoji>/), undone with the server's words if it refuses.
import { html } from "../lib/html.js";
import { ApiError } from "../api/errors.js";

/** @typedef {import("./timeline.js").Reaction} Reaction */

/**
 * Gives or takes back the person's reaction, showing it first; `onRefused` gets the words
 * when the server says no (and the change is undone).
 * @param {import("../api/client.js").Api} api
 * @param {{id: number}} message @param {string} emoji @param {boolean} add
 * @param {(id: number, emoji: string, add: boolean) => void} shown
 * @param {(words: string) => void} onRefused
 */
export async function toggleReaction(api, message, emoji, add, shown, onRefused) {
  shown(message.id, emoji, add);
  const path = `/api/messages/${message.id}/reactions/${encodeURIComponent(emoji)}/`;
  try {
    await api.request(add ? "PUT" : "DELETE", path);
  } catch (e) {
    shown(message.id, emoji, !add);
    onRefused(e instanceof ApiError ? e.message : "The reaction could not be saved. Try again.");
  }
}

/**
 * @param {{reactions: Reaction[], onToggle: (emoji: string, add: boolean) => void, onMore: (anchor: Element) => void}} props
 */
export function ReactionChips({ reactions, onToggle, onMore }) {
  if (reactions.length === 0) return null;
  return html`<div class="reactions" role="group" aria-label="Reactions">
    ${reactions.map(
      (r) => html`<button type="button" key=${r.emoji} class=${r.me ? "reaction mine" : "reaction"} aria-pressed=${r.me ? "true" : "false"}
        aria-label=${`${r.emoji} ${r.count} ${r.count === 1 ? "reaction" : "reactions"}${r.me ? ", including yours" : ""}`}
        onClick=${() => onToggle(r.emoji, !r.me)}><span class="reaction-emoji">${r.emoji}</span><span class="reaction-count">${r.count}</span></button>`,
    )}
    <button type="button" class="reaction add-reaction" aria-label="Add another reaction" title="Add another reaction" onClick=${(/** @type {MouseEvent} */ e) => onMore(/** @type {Element} */ (e.currentTarget))}>+</button>
  </div>`;
}
