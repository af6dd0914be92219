// PLACEHOLDER: to be built (issue 14).
import { html } from "../lib/html.js";
/** @param {{server: any, channel: any, menu: any}} props */
export function ChatView({ channel, menu }) {
  return html`<section class="pane"><header class="pane-header">${menu}<h1># ${channel.name}</h1></header></section>`;
}
