// PLACEHOLDER: to be built (issue 14).
import { html } from "../lib/html.js";
import { Empty } from "./shell.js";
/** @param {any} props */
export function Explore({ menu }) {
  return html`<${Empty} menu=${menu} title="Explore">Coming soon.<//>`;
}
/** @param {any} props */
export function ServerPreview({ menu }) {
  return html`<${Empty} menu=${menu} title="ServerPreview">Coming soon.<//>`;
}
