// PLACEHOLDER: to be built (issue 14).
import { html } from "../lib/html.js";
import { Empty } from "./shell.js";
/** @param {any} props */
export function AccountSettings({ menu }) {
  return html`<${Empty} menu=${menu} title="AccountSettings">Coming soon.<//>`;
}
