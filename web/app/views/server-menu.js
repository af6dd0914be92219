// PLACEHOLDER: to be built (issue 14).
import { html } from "../lib/html.js";
/** @param {{server: any}} props */
export function ServerMenu({ server }) {
  return html`<div class="sidebar-header"><h2>${server.name}</h2></div>`;
}
