// "Ann is typing…" under the message list. Typing frames go to a small TypingState that only
// this line listens to, so a frame every few seconds re-renders one line, not the chat pane.
import { html, useEffect, useState } from "../lib/html.js";
import { SHOWN_MS, typingLabel, typingNow } from "./typing.js";

/** Who is typing in one channel: user id → when their last typing frame arrived (ms). */
export class TypingState {
  constructor() {
    /** @type {Map<number, number>} */
    this.seen = new Map();
    /** @type {Set<() => void>} */
    this.listeners = new Set();
  }

  /** A typing frame of this person. @param {number} userId @param {number} at */
  typing(userId, at) {
    this.seen.set(userId, at);
    this.changed();
  }

  /** Their message arrived: no longer typing. @param {number|null} userId */
  sent(userId) {
    if (userId !== null && this.seen.delete(userId)) this.changed();
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  /** @param {() => void} listener */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/**
 * @param {{state: TypingState, me: number|null, nameOf: (id: number) => string}} props
 */
export function TypingLine({ state, me, nameOf }) {
  const [, redraw] = useState(0);
  useEffect(() => state.subscribe(() => redraw((n) => n + 1)), [state]);
  const now = Date.now();
  const typers = typingNow(state.seen, now, me);
  // Redrawn when the first of them fades.
  useEffect(() => {
    if (typers.length === 0) return;
    const soonest = Math.min(...typers.map((id) => /** @type {number} */ (state.seen.get(id)) + SHOWN_MS - now));
    const timer = setTimeout(() => redraw((n) => n + 1), Math.max(0, soonest) + 10);
    return () => clearTimeout(timer);
  });
  return html`<p class="typing-line" aria-live="polite">${typingLabel(typers.map(nameOf))}</p>`;
}
