// Short messages at the bottom of the screen ("Invite copied", an error with no field to sit by).
import { html } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { Icon } from "./icons.js";

export function Notices() {
  const { store, actions } = useServices();
  const notices = useStore(store, (s) => s.notices);
  return html`<div class="notices" role="status" aria-live="polite">
    ${notices.map(
      (n) => html`<div class=${`notice-toast ${n.kind}`} key=${n.id}>
        <span>${n.text}</span>
        <button type="button" class="icon-button" aria-label="Dismiss" onClick=${() => actions.dismiss(n.id)}><${Icon} name="close" size=${16} /></button>
      </div>`,
    )}
  </div>`;
}
