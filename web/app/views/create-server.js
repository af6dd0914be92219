// PLACEHOLDER: to be built (issue 14).
import { html } from "../lib/html.js";
import { Dialog } from "../ui/dialog.js";
/** @param {{onClose: () => void}} props */
export function CreateServer({ onClose }) {
  return html`<${Dialog} title="Create a server" onClose=${onClose}><p>Coming soon.</p><//>`;
}
