// A modal dialog on the native <dialog> element: focus moves into it and back, Escape closes it,
// the page behind is inert, and screen readers announce its title.
import { html, useEffect, useId, useRef } from "../lib/html.js";
import { Icon } from "./icons.js";

/**
 * @param {{title: string, onClose: () => void, children?: any, wide?: boolean}} props
 */
export function Dialog({ title, onClose, children, wide }) {
  const ref = useRef(/** @type {HTMLDialogElement|null} */ (null));
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = /** @type {HTMLElement|null} */ (document.activeElement);
    dialog.showModal();
    return () => {
      dialog.close();
      opener?.focus?.();
    };
  }, []);
  const cancel = (/** @type {Event} */ e) => {
    e.preventDefault();
    onClose();
  };
  const backdrop = (/** @type {MouseEvent} */ e) => {
    if (e.target === ref.current) onClose();
  };
  return html`<dialog ref=${ref} class=${wide ? "dialog wide" : "dialog"} aria-labelledby=${titleId} onCancel=${cancel} onClick=${backdrop}>
    <div class="dialog-body">
      <header class="dialog-header">
        <h2 id=${titleId}>${title}</h2>
        <button type="button" class="icon-button" aria-label="Close" onClick=${onClose}><${Icon} name="close" /></button>
      </header>
      ${children}
    </div>
  </dialog>`;
}
