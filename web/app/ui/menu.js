// A button that opens a menu of actions, as WAI-ARIA's menu button pattern describes: the first
// item gets focus on opening, ↑ ↓ Home End move between items, Escape closes and gives focus back
// to the button, Tab or a click elsewhere closes it.
import { html, useEffect, useId, useLayoutEffect, useRef, useState } from "../lib/html.js";

/**
 * @typedef {object} MenuItem
 * @property {string} label
 * @property {() => void} onSelect
 * @property {boolean} [danger]
 */

/**
 * @param {{label: string, items: MenuItem[], children: any, className?: string}} props
 *   label names the button for screen readers; children are what it shows.
 */
export function MenuButton({ label, items, children, className = "icon-button" }) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const button = useRef(/** @type {HTMLButtonElement|null} */ (null));
  const menu = useRef(/** @type {HTMLUListElement|null} */ (null));

  const entries = () => /** @type {HTMLElement[]} */ ([...(menu.current?.querySelectorAll('[role="menuitem"]') ?? [])]);
  useLayoutEffect(() => {
    if (open) entries()[0]?.focus();
  }, [open]);
  useEffect(() => {
    if (!open) return;
    const outside = (/** @type {PointerEvent} */ e) => {
      const target = /** @type {Node} */ (e.target);
      if (!menu.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onKey = (/** @type {KeyboardEvent} */ e) => {
    const all = entries();
    const at = all.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    /** @type {number|null} */
    let next = null;
    if (e.key === "ArrowDown") next = (at + 1) % all.length;
    else if (e.key === "ArrowUp") next = (at - 1 + all.length) % all.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = all.length - 1;
    else if (e.key === "Escape") {
      e.preventDefault();
      close();
    } else if (e.key === "Tab") setOpen(false);
    if (next !== null) {
      e.preventDefault();
      all[next]?.focus();
    }
  };
  const onButtonKey = (/** @type {KeyboardEvent} */ e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setOpen(true);
    }
  };
  /** @param {MenuItem} item */
  const choose = (item) => {
    close();
    item.onSelect();
  };

  return html`<div class="menu-anchor">
    <button type="button" ref=${button} class=${className} aria-label=${label} aria-haspopup="menu" aria-expanded=${open ? "true" : "false"}
      aria-controls=${open ? menuId : undefined} onClick=${() => setOpen(!open)} onKeyDown=${onButtonKey}>${children}</button>
    ${open &&
    html`<ul class="menu" id=${menuId} role="menu" aria-label=${label} ref=${menu} onKeyDown=${onKey}>
      ${items.map(
        (item) => html`<li role="none" key=${item.label}>
          <button type="button" role="menuitem" tabindex="-1" class=${item.danger ? "menu-item danger-text" : "menu-item"} onClick=${() => choose(item)}>${item.label}</button>
        </li>`,
      )}
    </ul>`}
  </div>`;
}
