// Deleting a message, after the person confirmed it (DELETE /api/messages/<id>/); a refusal is
// shown in the dialog.
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { Dialog } from "../ui/dialog.js";

/**
 * @param {{message: import("./timeline.js").Message, onDeleted: (id: number) => void, onClose: () => void}} props
 */
export function DeleteMessage({ message, onDeleted, onClose }) {
  const { api } = useServices();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string|null} */ (null));
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.delete(`/api/messages/${message.id}/`);
      onDeleted(message.id);
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return html`<${Dialog} title="Delete this message?" onClose=${onClose}>
    <blockquote class="delete-preview">${message.content}</blockquote>
    <p>Everyone in the channel will stop seeing it. This cannot be undone.</p>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    <div class="dialog-actions">
      <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
      <button type="button" class="danger" disabled=${busy} onClick=${confirm}>Delete</button>
    </div>
  <//>`;
}
