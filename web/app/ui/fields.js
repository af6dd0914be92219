// Form fields beyond ui/form.js's text Field, with the same label, hint and error plumbing: a
// select, a checkbox with its explanation, and an image file chooser that previews the choice.
import { html, useEffect, useId, useMemo } from "../lib/html.js";

/**
 * The ids tying a control to its hint and error.
 * @param {string} id @param {string|undefined} error @param {string|undefined} hint
 */
function describedBy(id, error, hint) {
  return [error ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ") || undefined;
}

/** @param {{id: string, error?: string, hint?: string}} props */
function Below({ id, error, hint }) {
  return html`${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${error && html`<p class="error" id=${`${id}-error`}>${error}</p>`}`;
}

/**
 * @param {{label: string, name: string, value: string, options: readonly (readonly [string, string])[],
 *   onChange: (value: string) => void, error?: string, hint?: string}} props options are [value, text]
 */
export function SelectField({ label, name, value, options, onChange, error, hint }) {
  const id = useId();
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <select id=${id} name=${name} value=${value} aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy(id, error, hint)}
      onChange=${(/** @type {Event} */ e) => onChange(/** @type {HTMLSelectElement} */ (e.target).value)}>
      ${options.map(([v, text]) => html`<option key=${v} value=${v}>${text}</option>`)}
    </select>
    <${Below} id=${id} error=${error} hint=${hint} />
  </div>`;
}

/**
 * @param {{label: string, name: string, checked: boolean, onChange: (checked: boolean) => void,
 *   error?: string, hint?: string}} props
 */
export function CheckboxField({ label, name, checked, onChange, error, hint }) {
  const id = useId();
  return html`<div class="field">
    <div class="checkbox">
      <input type="checkbox" id=${id} name=${name} checked=${checked} aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy(id, error, hint)}
        onChange=${(/** @type {Event} */ e) => onChange(/** @type {HTMLInputElement} */ (e.target).checked)} />
      <label for=${id}>${label}</label>
    </div>
    <${Below} id=${id} error=${error} hint=${hint} />
  </div>`;
}

/** The image types the API accepts (docs/api.md, Images). */
export const IMAGE_TYPES = "image/png,image/jpeg,image/gif,image/webp";

/**
 * An image file chooser with a preview of the chosen file (or of the current image).
 * @param {{label: string, name: string, file: File|null, current?: string|null, onChange: (file: File|null) => void,
 *   error?: string, hint?: string, shape?: "round"|"square"|"banner"}} props
 */
export function ImageField({ label, name, file, current, onChange, error, hint, shape = "square" }) {
  const id = useId();
  const preview = useMemo(() => (file ? URL.createObjectURL(file) : null), [file]);
  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);
  const src = preview ?? current;
  const help = hint ?? "JPEG, PNG, GIF or WebP, at most 4 MiB.";
  const pick = (/** @type {Event} */ e) => onChange(/** @type {HTMLInputElement} */ (e.target).files?.[0] ?? null);
  return html`<div class="field image-field">
    <label for=${id}>${label}</label>
    <div class="image-field-row">
      ${src ? html`<img class=${`image-preview ${shape}`} src=${src} alt=${`${label}: preview`} />` : html`<span class=${`image-preview ${shape} none`} aria-hidden="true"></span>`}
      <input type="file" id=${id} name=${name} accept=${IMAGE_TYPES} aria-invalid=${error ? "true" : undefined}
        aria-describedby=${describedBy(id, error, help)} onChange=${pick} />
    </div>
    <${Below} id=${id} error=${error} hint=${help} />
  </div>`;
}
