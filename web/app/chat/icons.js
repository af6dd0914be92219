// The chat pane's icons as inline SVG (no emoji: not every system has a font for them), drawn
// with currentColor so they follow the theme; decorative, their buttons carry the label.
import { html } from "../lib/html.js";

/** @param {string} d a path, on a 24×24 grid */
const icon = (d) => html`<svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d=${d} /></svg>`;

export const MembersIcon = () =>
  icon("M16 11a3 3 0 1 0-3-3 3 3 0 0 0 3 3Zm-8 0a3 3 0 1 0-3-3 3 3 0 0 0 3 3Zm0 2c-2.3 0-7 1.2-7 3.5V19h14v-2.5C15 14.2 10.3 13 8 13Zm8 0c-.3 0-.6 0-1 .1a4.2 4.2 0 0 1 2 3.4V19h6v-2.5c0-2.3-4.7-3.5-7-3.5Z");
export const EditIcon = () =>
  icon("M3 17.3V21h3.7L17.8 9.9l-3.7-3.7L3 17.3Zm17.7-10.2a1 1 0 0 0 0-1.4l-2.4-2.4a1 1 0 0 0-1.4 0l-1.8 1.8 3.7 3.7 1.9-1.7Z");
export const DeleteIcon = () =>
  icon("M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12ZM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4Z");
export const SendIcon = () => icon("M2 21 23 12 2 3v7l15 2-15 2v7Z");
