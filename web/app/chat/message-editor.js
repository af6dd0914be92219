// Editing one's own message in place: Enter saves (PATCH /api/messages/<id>/), Shift+Enter is a
// new line, Escape cancels; the API's refusal is shown under the text it refused.
import { html, useEffect, useId, useRef, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { ApiError } from "../api/errors.js";
import { grow } from "./grow.js";

/**
 * @param {{message: import("./timeline.js").Message, onDone: (saved: import("./timeline.js").Message|null) => void}} props
 *   onDone(null): cancelled or unchanged
 */
export function MessageEditor({ message, onDone }) {
  const { api } = useServices();
  const [text, setText] = useState(message.content);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string|null} */ (null));
  const ref = useRef(/** @type {HTMLTextAreaElement|null} */ (null));
  const id = useId();

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
    grow(el);
  }, []);

  const save = async () => {
    if (text.trim() === message.content.trim()) return onDone(null);
    setBusy(true);
    setError(null);
    try {
      onDone(await api.patch(`/api/messages/${message.id}/`, { content: text }));
    } catch (e) {
      setError(e instanceof ApiError ? [e.fields.content, e.message].filter((t) => t && t !== "Some fields need another look.").join(" ") : String(e));
      setBusy(false);
    }
  };

  const onKeyDown = (/** @type {KeyboardEvent} */ e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      onDone(null);
    } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void save();
    }
  };

  return html`<div class="message-editor">
    <textarea ref=${ref} class="composer-input" rows="1" value=${text} disabled=${busy} aria-label="Edit message"
      aria-invalid=${error ? "true" : undefined} aria-describedby=${`${id}-hint${error ? ` ${id}-error` : ""}`}
      onInput=${(/** @type {Event} */ e) => {
        setText(/** @type {HTMLTextAreaElement} */ (e.target).value);
        grow(/** @type {HTMLTextAreaElement} */ (e.target));
      }}
      onKeyDown=${onKeyDown}></textarea>
    ${error && html`<p class="error" id=${`${id}-error`} role="alert">${error}</p>`}
    <p class="hint" id=${`${id}-hint`}>
      Escape to <button type="button" class="link-button" onClick=${() => onDone(null)}>cancel</button> ·
      Enter to <button type="button" class="link-button" disabled=${busy} onClick=${save}>save</button>
    </p>
  </div>`;
}
