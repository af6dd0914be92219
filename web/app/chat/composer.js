// Writing a message: a textarea that grows, Enter sends and Shift+Enter starts a new line, ↑ in an
// empty composer edits one's last message; the length limit is shown as it nears, and a refusal
// is said next to it — what was typed is never thrown away: a message may be sent while not
// connected (it goes out once pingme is back), and one the server refused or that could not be
// sent for minutes is offered again ("Not sent — Retry / Put back / Discard").
import { html, useId, useRef, useState } from "../lib/html.js";
import { grow } from "./grow.js";
import { shouldSendTyping } from "./typing.js";
import { Icon } from "../ui/icons.js";
import { Avatar } from "../ui/avatar.js";
import { candidates, typedMention, withMentions } from "./mentions.js";
import { DraftImages, MAX_IMAGES } from "./attachments.js";

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
 *   members: import("./timeline.js").Author[]|null,
 *   drafts: import("./attachments.js").Drafts,
 *   onCancelReply: () => void,
 *   onSend: (text: string) => boolean,
 *   onTyping: () => void,
 *   onEditLast: () => boolean,
 *   onClearError: () => void,
 * }} props
 */
export function Composer({ channel, state, error, unsent, onRetry, onDiscard, onPutBack, replyTo, members, drafts, onCancelReply, onSend, onTyping, onEditLast, onClearError }) {
  const [text, setText] = useState("");
  /** The members picked after "@" in this message, by the name shown in the box. */
  const picked = useRef(/** @type {Map<string, number>} */ (new Map()));
  /** The "@name" being typed and the members it could be. */
  const [suggest, setSuggest] = useState(/** @type {{start: number, items: import("./timeline.js").Author[], active: number}|null} */ (null));
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

  const images = drafts.ready().length;
  const canSend = (count > 0 || images > 0) && !tooLong && !drafts.uploading && state !== "ended";
  const files = useRef(/** @type {HTMLInputElement|null} */ (null));

  const submit = () => {
    if (!canSend) return;
    if (!onSend(withMentions(text.trim(), picked.current))) return;
    setValue("");
    picked.current = new Map();
    setSuggest(null);
    lastTyping.current = 0;
  };

  /** What the text before the caret asks to be completed. @param {HTMLTextAreaElement} el */
  const lookUp = (el) => {
    const typed = typedMention(el.value, el.selectionStart ?? el.value.length);
    const items = typed && members ? candidates(members, typed.query) : [];
    setSuggest(typed && items.length > 0 ? { start: typed.start, items, active: 0 } : null);
  };

  /** Puts "@name " in place of what was typed after "@". @param {import("./timeline.js").Author} member */
  const choose = (member) => {
    const el = ref.current;
    if (!el || !suggest || member.id === null) return;
    const caret = el.selectionStart ?? text.length;
    const inserted = `@${member.username} `;
    const next = text.slice(0, suggest.start) + inserted + text.slice(caret);
    picked.current.set(member.username, member.id);
    setValue(next);
    setSuggest(null);
    const at = suggest.start + inserted.length;
    el.setSelectionRange(at, at);
    el.focus();
  };

  const onKeyDown = (/** @type {KeyboardEvent} */ e) => {
    if (suggest && !e.isComposing) {
      const n = suggest.items.length;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : n - 1;
        setSuggest({ ...suggest, active: (suggest.active + step) % n });
        return;
      }
      if ((e.key === "Enter" && !e.shiftKey) || e.key === "Tab") {
        e.preventDefault();
        choose(suggest.items[suggest.active]);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        setSuggest(null);
        return;
      }
    }
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
    lookUp(el);
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
    <${DraftImages} drafts=${drafts} />
    ${suggest &&
    html`<ul class="mention-list" id=${`${id}-mentions`} role="listbox" aria-label="Members to mention">
      ${suggest.items.map(
        (m, n) => html`<li key=${m.id} id=${`${id}-mention-${n}`} role="option" aria-selected=${n === suggest.active ? "true" : "false"}
            class=${n === suggest.active ? "mention-option active" : "mention-option"}
            onPointerDown=${(/** @type {Event} */ e) => (e.preventDefault(), choose(m))}>
          <${Avatar} name=${m.username} url=${m.image_url} size=${24} />
          <span class="mention-name">${m.username}</span>${m.owner && html`<span class="mention-login">@${m.owner}</span>`}
        </li>`,
      )}
    </ul>`}
    <div class=${tooLong ? "composer-box invalid" : "composer-box"}>
      <button type="button" class="icon-button attach-button" aria-label="Attach images" title="Attach images"
        disabled=${state === "ended" || drafts.drafts.length >= MAX_IMAGES} onClick=${() => files.current?.click()}><${Icon} name="image" /></button>
      <input type="file" ref=${files} accept="image/png,image/jpeg,image/gif,image/webp" multiple hidden
        onChange=${(/** @type {Event} */ e) => {
          const input = /** @type {HTMLInputElement} */ (e.target);
          if (input.files) drafts.add(input.files);
          input.value = "";
        }} />
      <textarea ref=${ref} class="composer-input" rows="1" value=${text} onInput=${onInput} onKeyDown=${onKeyDown}
        onBlur=${() => setSuggest(null)} aria-autocomplete="list"
        onPaste=${(/** @type {ClipboardEvent} */ e) => {
          if (e.clipboardData?.files.length && drafts.add(e.clipboardData.files) > 0) e.preventDefault();
        }}
        aria-controls=${suggest ? `${id}-mentions` : undefined}
        aria-activedescendant=${suggest ? `${id}-mention-${suggest.active}` : undefined}
        aria-label=${`Message ${channel.prefix ?? "#"}${channel.name}`} placeholder=${`Message ${channel.prefix ?? "#"}${channel.name}`} disabled=${state === "ended"}
        aria-invalid=${tooLong ? "true" : undefined} aria-describedby=${described || undefined} enterkeyhint="send"></textarea>
      ${left <= SHOW_LEFT && html`<span class=${tooLong ? "char-count over" : "char-count"} id=${`${id}-count`}>${left}</span>`}
      <button type="submit" class="send-button" aria-label="Send" title="Send (Enter)" disabled=${!canSend}><${Icon} name="send" /></button>
    </div>
  </form>`;
}
