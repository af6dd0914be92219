// Form parts that show the API's errors next to what caused them: a field shows its own error
// (and is marked invalid for screen readers), a form shows the errors that belong to no field.
import { html, useId, useState } from "../lib/html.js";
import { ApiError } from "../api/errors.js";

/**
 * A labelled input with its error below it.
 * @param {{label: string, name: string, error?: string, type?: string, value?: string,
 *   onInput?: (value: string) => void, hint?: string, multiline?: boolean, [key: string]: any}} props
 */
export function Field({ label, name, error, type = "text", value, onInput, hint, multiline, ...rest }) {
  const id = useId();
  const described = [error ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ") || undefined;
  const input = (/** @type {Event} */ e) => onInput?.(/** @type {HTMLInputElement} */ (e.target).value);
  const props = { id, name, value, onInput: input, "aria-invalid": error ? "true" : undefined, "aria-describedby": described, ...rest };
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${multiline ? html`<textarea ...${props}></textarea>` : html`<input type=${type} ...${props} />`}
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${error && html`<p class="error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}

/** The error of a form as a whole. @param {{error?: string|null}} props */
export function FormError({ error }) {
  return error ? html`<p class="form-error" role="alert">${error}</p>` : null;
}

/**
 * A form's submission: busy while it runs, the API's errors split into the form's and the fields'.
 * Fields the form does not show are folded into the form's error, so nothing is lost.
 * @param {string[]} shown the names of the fields the form shows
 */
export function useSubmit(shown) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string|null} */ (null));
  const [fields, setFields] = useState(/** @type {Record<string, string>} */ ({}));
  /** @param {() => Promise<void>} work */
  const run = async (work) => {
    setBusy(true);
    setError(null);
    setFields({});
    try {
      await work();
    } catch (e) {
      const [form, own] = split(e, shown);
      setError(form);
      setFields(own);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, fields, run, setError };
}

/**
 * @param {unknown} e
 * @param {string[]} shown
 * @returns {[string|null, Record<string, string>]}
 */
export function split(e, shown) {
  if (!(e instanceof ApiError)) return [e instanceof Error ? e.message : String(e), {}];
  const own = /** @type {Record<string, string>} */ ({});
  const others = [];
  for (const [name, text] of Object.entries(e.fields)) {
    if (shown.includes(name)) own[name] = text;
    else others.push(text);
  }
  const hasOwn = Object.keys(own).length > 0;
  const form = [hasOwn && others.length === 0 && e.message === "Some fields need another look." ? "" : e.message, ...others]
    .filter(Boolean)
    .join(" ");
  return [form || null, own];
}
