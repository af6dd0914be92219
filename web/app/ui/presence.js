// Presence as people see it: a dot on a picture (green online, yellow idle, red do not disturb,
// grey offline or invisible), and its words for screen readers and tooltips.
import { html } from "../lib/html.js";
import { Avatar } from "./avatar.js";

/** @type {Record<string, string>} */
export const STATUS_WORDS = {
  online: "Online",
  idle: "Idle",
  dnd: "Do not disturb",
  invisible: "Invisible",
  offline: "Offline",
};

/**
 * A picture with its person's presence dot.
 * @param {{name: string, url?: string|null, size?: number, status: string}} props
 */
export function PresenceAvatar({ name, url, size = 32, status }) {
  return html`<span class="presence-avatar">
    <${Avatar} name=${name} url=${url} size=${size} />
    <span class=${`presence-dot ${status}`} title=${STATUS_WORDS[status] ?? status} aria-hidden="true"></span>
  </span>`;
}
