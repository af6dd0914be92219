// Asking before something that cannot be undone: a dialog that says what will happen, optionally
// asks to type a word (a server's or an account's name) first, runs the action and shows the
// API's refusal inside the dialog, next to the button that caused it.
import { html, useState } from "../lib/html.js";
import { Dialog } from "./dialog.js";
import { Field, FormError, useSubmit } from "./form.js";

/**
 * @param {{title: string, children: any, confirm: string, onConfirm: () => Promise<void>, onClose: () => void,
 *   typeToConfirm?: string, danger?: boolean}} props
 *   onConfirm runs the action; the dialog closes itself only through onClose (the caller decides).
 */
export function ConfirmDialog({ title, children, confirm, onConfirm, onClose, typeToConfirm, danger = true }) {
  const [typed, setTyped] = useState("");
  const { busy, error, run } = useSubmit([]);
  const ready = !typeToConfirm || typed.trim() === typeToConfirm;
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    if (ready) run(onConfirm);
  };
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <form onSubmit=${submit} novalidate>
      <div class="confirm-text">${children}</div>
      ${typeToConfirm &&
      html`<div class="confirm-typed">
        <${Field} label=${`Type ${typeToConfirm} to confirm`} name="confirm" value=${typed} onInput=${setTyped} autocomplete="off" autofocus />
      </div>`}
      <${FormError} error=${error} />
      <div class="dialog-actions">
        <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
        <button class=${danger ? "danger" : "primary"} disabled=${busy || !ready}>${busy ? "Working…" : confirm}</button>
      </div>
    </form>
  <//>`;
}
