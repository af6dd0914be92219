// Writing a message: a textarea that grows, Enter sends and Shift+Enter starts a new line, ↑ in an
// empty composer edits one's last message; the length limit is shown as it nears, and a refusal
// is said next to it — what was typed is never thrown away: a message may be sent while not
// connected (it goes out once pingme is back), and one the server refused or that could not be
// sent for minutes is offered again ("Not sent — Retry / Put back / Discard").
import { html, useId, useRef, useState } from "../lib/html.js";
import { grow } from "./grow.js";
import { shouldSendTyping } from "./typing.js";
import { Icon } from "../ui/icons.js";

/**
 * The server's default and largest `PINGME_MAX_MESSAGE_CHARS` (docs/api.md, "The socket"). A
 * server set lower is not known here: it refuses a longer message with an error frame, whose
 * words are shown above the composer and whose text comes back.
 */
export const MAX_CHARS = 4000;
/** The count is shown from this many characters left. */
const SHOW_LEFT = 500;

/** Characters as the server counts them (Unicode scalar values, after trimming). @param {string} text */
export const length = (text) => [...text.trim()].length;

/**
 * @param {{
 *   channel: any,
 *   state: import("../realtime/gateway.js").GatewayState,
 *   error: string|null,
 *   unsent: import("./outbox.js").Pending[],
 *   onRetry: (lost: import("./outbox.js").Pending) => void,
 *   onDiscard: (lost: import("./outbox.js").Pending) => void,
 *   onPutBack: (lost: import("./outbox.js").Pending) => void,
 *   replyTo: import("./timeline.js").Message|null,
 *   onCancelReply: () => void,
 *   onSend: (text: string) => boolean,
 *   onTyping: () => void,
 *   onEditLast: () => boolean,
 *   onClearError: () => void,
 * }} props
 */
export function Composer({ channel, state, error, unsent, onRetry, onDiscard, onPutBack, replyTo, onCancelReply, onSend, onTyping, onEditLast, onClearError }) {
  const [text, setText] = useState("");
  const ref = useRef(/** @type {HTMLTextAreaElement|null} */ (null));
  const lastTyping = useRef(0);
  const id = useId();

  /** A message not sent goes back into the box, after what is typed there. @param {import("./outbox.js").Pending} lost */
  const putBack = (lost) => {
    setValue(text.trim() ? `${text}\n${lost.text}` : lost.text);
    onPutBack(lost);
    ref.current?.focus();
  };

  /** @param {string} value */
  const setValue = (value) => {
    setText(value);
    const el = ref.current;
    if (el) {
      el.value = value;
      grow(el);
    }
  };

  const count = length(text);
  const left = MAX_CHARS - count;
  const tooLong = left < 0;

  const submit = () => {
    if (count === 0 || tooLong || state === "ended") return;
    if (!onSend(text.trim())) return;
    setValue("");
    lastTyping.current = 0;
  };

  const onKeyDown = (/** @type {KeyboardEvent} */ e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "ArrowUp" && text === "" && !e.altKey) {
      if (onEditLast()) e.preventDefault();
    } else if (e.key === "Escape" && replyTo) {
      e.preventDefault();
      onCancelReply();
    }
  };

  const onInput = (/** @type {Event} */ e) => {
    const el = /** @type {HTMLTextAreaElement} */ (e.target);
    setText(el.value);
    grow(el);
    if (error) onClearError();
    const now = Date.now();
    if (el.value.trim() && state === "online" && shouldSendTyping(lastTyping.current, now)) {
      lastTyping.current = now;
      onTyping();
    }
  };

  const offline = state === "connecting" || state === "offline";
  const message = tooLong ? `${-left} character${left === -1 ? "" : "s"} too many (at most ${MAX_CHARS}).` : error;
  const described = [replyTo ? `${id}-reply` : "", message ? `${id}-error` : "", left <= SHOW_LEFT ? `${id}-count` : ""]
    .filter(Boolean).join(" ");
  return html`<form class="composer" onSubmit=${(/** @type {Event} */ e) => (e.preventDefault(), submit())}>
    ${unsent.length > 0 &&
    html`<ul class="unsent" aria-label="Messages not sent">
      ${unsent.map(
        (lost) => html`<li key=${lost.nonce}>
          <span class="unsent-label">Not sent:</span> <span class="unsent-text">${lost.text}</span>
          <button type="button" class="link-button" onClick=${() => onRetry(lost)}>Retry</button>
          <button type="button" class="link-button" onClick=${() => putBack(lost)}>Put back</button>
          <button type="button" class="link-button" onClick=${() => onDiscard(lost)}>Discard</button>
        </li>`,
      )}
    </ul>`}
    ${message && html`<p class="composer-error" id=${`${id}-error`} role="alert">${message}</p>`}
    ${offline && !message && html`<p class="composer-note">Not connected — what you send now goes out once pingme is back.</p>`}
    ${replyTo &&
    html`<div class="composer-reply" id=${`${id}-reply`}>
      <span>Replying to <strong>${replyTo.user.username}</strong></span>
      <button type="button" class="icon-button" aria-label="Cancel the reply" title="Cancel the reply (Escape)" onClick=${onCancelReply}><${Icon} name="close" size=${16} /></button>
    </div>`}
    <div class=${tooLong ? "composer-box invalid" : "composer-box"}>
      <textarea ref=${ref} class="composer-input" rows="1" value=${text} onInput=${onInput} onKeyDown=${onKeyDown}
        aria-label=${`Message #${channel.name}`} placeholder=${`Message #${channel.name}`} disabled=${state === "ended"}
        aria-invalid=${tooLong ? "true" : undefined} aria-describedby=${described || undefined} enterkeyhint="send"></textarea>
      ${left <= SHOW_LEFT && html`<span class=${tooLong ? "char-count over" : "char-count"} id=${`${id}-count`}>${left}</span>`}
      <button type="submit" class="send-button" aria-label="Send" title="Send (Enter)" disabled=${count === 0 || tooLong || state === "ended"}><${Icon} name="send" /></button>
    </div>
  </form>`;
}
