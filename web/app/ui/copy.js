// A link to pass on (an invite, a server's address): shown in a read-only box, with a button that
// copies it. When the browser refuses the clipboard the text is selected for the person to copy.
import { html, useId, useRef } from "../lib/html.js";
import { useServices } from "../context.js";

/** @param {{label: string, value: string}} props */
export function CopyLink({ label, value }) {
  const { actions } = useServices();
  const id = useId();
  const input = useRef(/** @type {HTMLInputElement|null} */ (null));
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      actions.notify("Link copied.");
    } catch {
      input.current?.select();
      actions.notify("Copying is not allowed here: the link is selected, copy it with your keyboard.");
    }
  };
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <div class="copy-row">
      <input id=${id} ref=${input} class="copy-value" readonly value=${value} onFocus=${() => input.current?.select()} />
      <button type="button" class="primary" onClick=${copy}>Copy</button>
    </div>
  </div>`;
}
