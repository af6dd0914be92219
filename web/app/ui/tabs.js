// Sections of a screen as WAI-ARIA tabs: one tab stop, ← → Home End move between tabs (and show
// them), the panel is labelled by its tab.
import { html, useId } from "../lib/html.js";

/**
 * @param {{label: string, tabs: {id: string, label: string}[], current: string, onSelect: (id: string) => void, children: any}} props
 *   children is the current tab's panel.
 */
export function Tabs({ label, tabs, current, onSelect, children }) {
  const base = useId();
  const onKey = (/** @type {KeyboardEvent} */ e) => {
    const at = tabs.findIndex((t) => t.id === current);
    /** @type {number|null} */
    let next = null;
    if (e.key === "ArrowRight" || e.key === "ArrowDown") next = (at + 1) % tabs.length;
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") next = (at - 1 + tabs.length) % tabs.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = tabs.length - 1;
    if (next === null) return;
    e.preventDefault();
    onSelect(tabs[next].id);
    const list = /** @type {HTMLElement} */ (e.currentTarget);
    requestAnimationFrame(() => /** @type {HTMLElement|null} */ (list.querySelector('[aria-selected="true"]'))?.focus());
  };
  return html`<div class="tabs">
    <div class="tab-list" role="tablist" aria-label=${label} onKeyDown=${onKey}>
      ${tabs.map(
        (t) => html`<button type="button" role="tab" key=${t.id} id=${`${base}-${t.id}`} class="tab"
          aria-selected=${t.id === current ? "true" : "false"} aria-controls=${`${base}-panel`} tabindex=${t.id === current ? 0 : -1}
          onClick=${() => onSelect(t.id)}>${t.label}</button>`,
      )}
    </div>
    <div class="tab-panel" role="tabpanel" id=${`${base}-panel`} aria-labelledby=${`${base}-${current}`} tabindex="0">${children}</div>
  </div>`;
}
