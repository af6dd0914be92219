// A textarea as tall as its text, up to a limit, then scrolling (set through the CSSOM: the
// page's policy refuses style attributes in markup, not style properties).

/** @param {HTMLTextAreaElement} el @param {number} [max] px */
export function grow(el, max = 200) {
  el.style.height = "auto";
  el.style.height = `${Math.min(el.scrollHeight + 2, max)}px`;
}
