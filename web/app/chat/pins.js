// A channel's pinned messages (`GET /api/messages/?channel_id=&pinned=true`), the latest pinned
// first, beside the chat: each one a click away from its place in the history. Read again when
// it opens and whenever the channel's messages changed meanwhile.
import { html, useEffect, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { Avatar } from "../ui/avatar.js";
import { Icon } from "../ui/icons.js";
import { plainText } from "./mentions.js";

/** @typedef {import("./timeline.js").Message} Message */

/**
 * @param {{id: string, channel: any, version: number, canPin: boolean, onJump: (id: number) => void,
 *   onUnpin: (m: Message) => void, onClose: () => void}} props
 */
export function PinsPanel({ id, channel, version, canPin, onJump, onUnpin, onClose }) {
  const { api } = useServices();
  const [pins, setPins] = useState(/** @type {Message[]|null} */ (null));
  const [error, setError] = useState(/** @type {string|null} */ (null));

  useEffect(() => {
    let live = true;
    api.get(`/api/messages/?channel_id=${channel.id}&pinned=true`).then(
      (/** @type {Message[]} */ found) => live && (setPins(found), setError(null)),
      (/** @type {Error} */ e) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [channel.id, version]);

  return html`<aside class="member-panel pins-panel" id=${id} aria-label="Pinned messages">
    <header class="member-panel-header">
      <h2>Pinned messages</h2>
      <button type="button" class="icon-button" aria-label="Close pinned messages" onClick=${onClose}><${Icon} name="close" /></button>
    </header>
    ${error && html`<p class="pane-message" role="alert">The pinned messages could not be loaded. ${error}</p>`}
    ${!pins && !error && html`<p class="pane-message">Loading…</p>`}
    ${pins && pins.length === 0 && html`<p class="pane-message">No pinned messages in ${channel.prefix ?? "#"}${channel.name} yet.${canPin ? " Pin one from its actions." : ""}</p>`}
    ${pins &&
    html`<ul class="pin-list">
      ${pins.map(
        (m) => html`<li key=${m.id} class="pin">
          <button type="button" class="pin-jump" onClick=${() => onJump(m.id)} title="Show in the channel">
            <${Avatar} name=${m.user.username} url=${m.user.image_url} size=${24} />
            <span class="pin-body"><span class="pin-author">${m.user.username}</span><span class="pin-text">${plainText(m.content, (id) => pins.find((p) => p.user.id === id)?.user.username ?? null)}</span></span>
          </button>
          ${canPin && html`<button type="button" class="link-button" onClick=${() => onUnpin(m)}>Unpin</button>`}
        </li>`,
      )}
    </ul>`}
  </aside>`;
}
