// The message list: a log of the timeline's rows that keeps the place the person is reading
// steady while pages arrive above or below it (and the window drops the far side), sticks to the
// bottom when it is there, and asks for older or newer pages near either end. The log is not a
// live region (pages of history would be read out): new messages of others are announced by
// the chat pane's own status line. Rows are derived once per timeline and each message
// re-renders only when it changes.
import { Component, Fragment, html, useEffect, useLayoutEffect, useMemo, useRef, useState } from "../lib/html.js";
import { Avatar } from "../ui/avatar.js";
import { rows } from "./timeline.js";
import { MessageEditor } from "./message-editor.js";
import { Icon } from "../ui/icons.js";
import { EmojiPicker } from "./emoji-picker.js";
import { ReactionChips } from "./reactions.js";
import { MessageText, plainText } from "./mentions.js";
import { MessageImages } from "./attachments.js";

/** Load another page when the reader is this close (px) to an end of what is held. */
const NEAR = 600;
/** Closer than this (px) to the bottom counts as being at the bottom. */
const AT_BOTTOM = 32;

/** @typedef {import("./timeline.js").Message} Message */
/** @typedef {import("./timeline.js").Author} Author */

/** @param {string} iso */
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
/** @param {string} iso */
const fullDate = (iso) => new Date(iso).toLocaleString([], { dateStyle: "full", timeStyle: "short" });

/**
 * @param {{
 *   channel: any,
 *   timeline: import("./timeline.js").Timeline,
 *   pending: import("./outbox.js").Pending[],
 *   loading: "latest"|"older"|"newer"|null,
 *   historyError: {text: string, retry: () => void}|null,
 *   stuck: {current: boolean},
 *   me: any,
 *   since: number|null,
 *   editing: number|null,
 *   focus: {id: number, n: number}|null,
 *   canPin: boolean,
 *   people: Author[]|null,
 *   onOlder: () => void, onNewer: () => void, onBottom: (atBottom: boolean) => void,
 *   onEdit: (id: number|null) => void, onEdited: (m: Message) => void, onDelete: (m: Message) => void,
 *   onProfile: (user: Author) => void,
 *   onReply: (m: Message) => void, onJump: (id: number) => void,
 *   onReact: (m: Message, emoji: string, add: boolean) => void, onPin: (m: Message, pin: boolean) => void,
 * }} props
 */
export function MessageList(props) {
  const { channel, timeline, pending, loading, historyError, stuck, me, since, editing, focus, canPin, people } = props;
  const [picking, setPicking] = useState(/** @type {{id: number, anchor: Element|null}|null} */ (null));
  /** The last jump brought into view. */
  const shownFocus = useRef(0);
  const scroller = useRef(/** @type {HTMLDivElement|null} */ (null));
  /** The first message in view and its distance from the top of the view, kept by scrolling. */
  const anchor = useRef(/** @type {{id: string, offset: number}|null} */ (null));
  const bottom = useRef(true);
  const latest = useRef(props);
  latest.current = props;

  const remember = () => {
    const el = scroller.current;
    if (!el) return;
    const top = el.scrollTop;
    const first = [...el.querySelectorAll("[data-id]")].find((m) => /** @type {HTMLElement} */ (m).offsetTop + /** @type {HTMLElement} */ (m).offsetHeight > top);
    anchor.current = first ? { id: /** @type {string} */ (first.getAttribute("data-id")), offset: /** @type {HTMLElement} */ (first).offsetTop - top } : null;
  };

  /** Near an end: ask for the next page there. */
  const nearEnds = () => {
    const el = scroller.current;
    const p = latest.current;
    if (!el || !p.timeline.loaded) return;
    if (el.scrollTop < NEAR && p.timeline.hasOlder) p.onOlder();
    else if (el.scrollHeight - el.scrollTop - el.clientHeight < NEAR && !p.timeline.atPresent) p.onNewer();
  };

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < AT_BOTTOM && latest.current.timeline.atPresent;
    stuck.current = atBottom;
    if (atBottom !== bottom.current) {
      bottom.current = atBottom;
      latest.current.onBottom(atBottom);
    }
    remember();
    nearEnds();
  };

  // After every change of what is held: back to the bottom when stuck there, else the
  // remembered message back where it was.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const wanted = focus && focus.n !== shownFocus.current
      ? /** @type {HTMLElement|null} */ (el.querySelector(`[data-id="${focus.id}"]`))
      : null;
    if (wanted && focus) {
      // A jump: the message in the middle of the view, lit up for a moment.
      shownFocus.current = focus.n;
      el.scrollTop = wanted.offsetTop - (el.clientHeight - wanted.offsetHeight) / 2;
      wanted.classList.remove("flash");
      void wanted.offsetWidth;
      wanted.classList.add("flash");
      wanted.focus({ preventScroll: true });
      setTimeout(() => wanted.classList.remove("flash"), 2000);
    } else if (stuck.current) el.scrollTop = el.scrollHeight;
    else if (anchor.current) {
      const held = /** @type {HTMLElement|null} */ (el.querySelector(`[data-id="${anchor.current.id}"]`));
      if (held) el.scrollTop = held.offsetTop - anchor.current.offset;
    }
    remember();
  }, [timeline, pending, focus]);

  // A page that does not fill the view, or a load that just ended: maybe another page is needed.
  useEffect(nearEnds, [timeline, loading]);

  // A person at the bottom stays there when the view shrinks (the keyboard opens on a phone).
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (stuck.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // The rows, and the handlers every row shares (stable, so rows can skip re-rendering).
  const today = new Date().toDateString();
  const shown = useMemo(() => rows(timeline.messages, new Date()), [timeline.messages, today]);
  /** @type {Handlers} */
  const handlers = useMemo(
    () => ({
      onProfile: (user) => latest.current.onProfile(user),
      onEdit: (id) => latest.current.onEdit(id),
      onEdited: (m) => latest.current.onEdited(m),
      onDelete: (m) => latest.current.onDelete(m),
      onReply: (m) => latest.current.onReply(m),
      onJump: (id) => latest.current.onJump(id),
      onReact: (m, emoji, add) => latest.current.onReact(m, emoji, add),
      onPicker: (id, anchor) => setPicking(id === null ? null : { id, anchor: anchor ?? null }),
      onPin: (m, pin) => latest.current.onPin(m, pin),
      nameOf: (id) => nameIn(latest.current.people, latest.current.timeline.messages, id),
      me: () => latest.current.me?.id ?? null,
    }),
    [],
  );

  /** @type {any} */
  let edge = null;
  if (historyError) {
    edge = html`<div class="history-edge error" role="alert">
      <span>The messages could not be loaded. ${historyError.text}</span>
      <button type="button" class="secondary" onClick=${historyError.retry}>Try again</button>
    </div>`;
  } else if (loading === "older" || (loading === "latest" && !timeline.loaded)) {
    edge = html`<p class="history-edge">Loading messages…</p>`;
  } else if (timeline.loaded && !timeline.hasOlder) {
    edge = html`<div class="history-edge start">
      ${channel.prefix
        ? html`<h2>${channel.name}</h2><p>This is the beginning of your conversation with ${channel.name}.</p>`
        : html`<h2>Welcome to #${channel.name}</h2>
            <p>This is the beginning of the channel.${channel.description ? ` ${channel.description}` : ""}</p>`}
    </div>`;
  }

  // The first message of someone else newer than what was read when the channel was opened.
  const firstNew = since === null ? undefined : timeline.messages.find((m) => m.id > since && m.user.id !== me?.id)?.id;

  // The spacer pushes a short conversation down to the composer, as chat apps do.
  return html`<div class="messages" ref=${scroller} onScroll=${onScroll} role="log" aria-live="off"
      aria-busy=${loading === "older" || loading === "newer" ? "true" : "false"}
      aria-label=${`Messages in ${channel.prefix ?? "#"}${channel.name}`} tabindex="0">
    <div class="messages-spacer"></div>
    ${edge}
    ${shown.map((row) =>
      row.kind === "day"
        ? html`<h2 class="day-separator" key=${row.key}><span>${row.label}</span></h2>`
        : html`<${Fragment} key=${row.key}>${row.message.id === firstNew && html`<div class="new-divider" role="separator" aria-label="New messages"><span>New</span></div>`}
          <${MessageItem} message=${row.message} grouped=${row.grouped && row.message.id !== firstNew} edited=${row.edited}
            own=${row.message.user.id !== null && row.message.user.id === me?.id} mentioned=${(row.message.mentions ?? []).includes(me?.id)}
            editing=${editing === row.message.id} picking=${picking?.id === row.message.id ? picking.anchor : null} canPin=${canPin} people=${people}
            handlers=${handlers} /><//>`,
    )}
    ${!timeline.atPresent && html`<p class="history-edge">Loading newer messages…</p>`}
    ${timeline.atPresent && pending.map((sent) => html`<${PendingItem} key=${sent.nonce} sent=${sent} me=${me} />`)}
  </div>`;
}

/**
 * A message written and not yet answered by the server, below the timeline until it is.
 * @param {{sent: import("./outbox.js").Pending, me: any}} props
 */
function PendingItem({ sent, me }) {
  const state = sent.retrying ? "Not sent yet — retrying…" : "Sending…";
  return html`<article class="message pending" aria-label=${`${me?.username ?? "You"}, ${state}`}>
    <span class="message-avatar" aria-hidden="true"><${Avatar} name=${me?.username ?? ""} url=${me?.image_url} size=${40} /></span>
    <div class="message-main">
      <header class="message-header">
        <span class="author">${me?.username}</span>
        <span class=${sent.retrying ? "pending-state retrying" : "pending-state"}>${state}</span>
      </header>
      <p class="message-content">${sent.text}</p>
    </div>
  </article>`;
}

/**
 * What a row does with the person's clicks (the same object for every row, every render).
 * @typedef {object} Handlers
 * @property {(user: Author) => void} onProfile
 * @property {(id: number|null) => void} onEdit
 * @property {(m: Message) => void} onEdited
 * @property {(m: Message) => void} onDelete
 * @property {(m: Message) => void} onReply
 * @property {(id: number) => void} onJump
 * @property {(m: Message, emoji: string, add: boolean) => void} onReact
 * @property {(id: number|null, anchor?: Element|null) => void} onPicker
 * @property {(m: Message, pin: boolean) => void} onPin
 * @property {(id: number) => string|null} nameOf a mentioned person's name, if known
 * @property {() => number|null} me
 */

/**
 * @typedef {{message: Message, grouped: boolean, edited: boolean, own: boolean, mentioned: boolean, editing: boolean,
 *   picking: Element|null, canPin: boolean, people: Author[]|null, handlers: Handlers}} ItemProps
 */

/**
 * One message; rendered again only when one of its props changed (a new version of the message,
 * its grouping, being edited), not on every change of the list.
 * @extends {Component<ItemProps>}
 */
class MessageItem extends Component {
  /** @param {ItemProps} next */
  shouldComponentUpdate(next) {
    const p = this.props;
    return (
      next.message !== p.message || next.grouped !== p.grouped || next.edited !== p.edited || next.own !== p.own ||
      next.mentioned !== p.mentioned || next.editing !== p.editing || next.picking !== p.picking || next.canPin !== p.canPin ||
      next.people !== p.people
    );
  }

  render() {
    const { message, grouped, edited, own, mentioned, editing, picking, canPin, handlers } = /** @type {ItemProps} */ (this.props);
    const { user } = message;
    const profile = () => handlers.onProfile(user);
    const full = fullDate(message.timestamp_created);
    const short = time(message.timestamp_created);
    const replying = message.reply_to_id != null;
    const classes = ["message", grouped && !replying && "grouped", mentioned && "mentions-me", message.pinned && "pinned"]
      .filter(Boolean).join(" ");
    const label = `${user.username}, ${full}${mentioned ? ", mentions you" : ""}${message.pinned ? ", pinned" : ""}`;
    const showHeader = !grouped || replying;
    const pinnedMark = html`<span class="pinned-mark" title="Pinned"><${Icon} name="pin" size=${14} /> Pinned</span>`;
    return html`<article class=${classes} data-id=${message.id} aria-label=${label} tabindex="-1">
      ${replying && html`<${Quote} message=${message} onJump=${handlers.onJump} nameOf=${handlers.nameOf} />`}
      ${!showHeader
        ? html`<span class="gutter-time" aria-hidden="true">${short}</span>`
        : html`<button type="button" class="message-avatar" tabindex="-1" aria-hidden="true" onClick=${profile}>
            <${Avatar} name=${user.username} url=${user.image_url} size=${40} />
          </button>`}
      <div class="message-main">
        ${showHeader &&
        html`<header class="message-header">
          <button type="button" class="author" onClick=${profile} aria-label=${`${user.username}: show profile`}>${user.username}</button>
          <time datetime=${message.timestamp_created} title=${full}>${short}</time>
          ${message.pinned && pinnedMark}
        </header>`}
        ${!showHeader && message.pinned && pinnedMark}
        ${editing
          ? html`<${MessageEditor} message=${message} onDone=${(/** @type {Message|null} */ m) => {
              if (m) handlers.onEdited(m);
              handlers.onEdit(null);
            }} />`
          : html`<p class="message-content"><${MessageText} content=${message.content} nameOf=${handlers.nameOf} me=${handlers.me()} />${edited && html` <span class="edited" title=${`Edited ${fullDate(message.timestamp_updated)}`}>(edited)</span>`}</p>`}
        <${MessageImages} attachments=${message.attachments ?? []} />
        <${ReactionChips} reactions=${message.reactions ?? []} onToggle=${(/** @type {string} */ emoji, /** @type {boolean} */ add) => handlers.onReact(message, emoji, add)}
          onMore=${(/** @type {Element} */ anchor) => handlers.onPicker(message.id, anchor)} />
      </div>
      ${!editing &&
      html`<div class="message-actions" role="group" aria-label="Message actions">
        <button type="button" class="icon-button" aria-label="Add a reaction" title="Add a reaction" onClick=${(/** @type {MouseEvent} */ e) => handlers.onPicker(picking ? null : message.id, /** @type {Element} */ (e.currentTarget))}><${Icon} name="smile" /></button>
        <button type="button" class="icon-button" aria-label="Reply" title="Reply" onClick=${() => handlers.onReply(message)}><${Icon} name="reply" /></button>
        ${canPin &&
        html`<button type="button" class="icon-button" aria-label=${message.pinned ? "Unpin message" : "Pin message"} title=${message.pinned ? "Unpin" : "Pin"}
          onClick=${() => handlers.onPin(message, !message.pinned)}><${Icon} name="pin" /></button>`}
        ${own &&
        html`<button type="button" class="icon-button" aria-label="Edit message" title="Edit" onClick=${() => handlers.onEdit(message.id)}><${Icon} name="edit" /></button>
          <button type="button" class="icon-button danger-icon" aria-label="Delete message" title="Delete" onClick=${() => handlers.onDelete(message)}><${Icon} name="delete" /></button>`}
      </div>`}
      ${picking &&
      html`<${EmojiPicker} onPick=${(/** @type {string} */ emoji) => {
        const mine = (message.reactions ?? []).find((r) => r.emoji === emoji)?.me;
        if (!mine) handlers.onReact(message, emoji, true);
      }} anchor=${picking} onClose=${() => handlers.onPicker(null)} />`}
    </article>`;
  }
}

/**
 * A person's name, from the server's members or the messages held.
 * @param {Author[]|null} people @param {Message[]} messages @param {number} id
 */
function nameIn(people, messages, id) {
  return people?.find((m) => m.id === id)?.username ?? messages.findLast((m) => m.user.id === id)?.user.username ?? null;
}

/**
 * What a reply answers, above it: the original's author and start, a click away from it; or
 * that it was deleted.
 * @param {{message: Message, onJump: (id: number) => void, nameOf: (id: number) => string|null}} props
 */
function Quote({ message, onJump, nameOf }) {
  const quote = message.reply_to;
  if (!quote) return html`<div class="reply-quote deleted"><span class="reply-spine" aria-hidden="true"></span><em>Original message was deleted</em></div>`;
  return html`<button type="button" class="reply-quote" onClick=${() => onJump(quote.id)} title="Show the original">
    <span class="reply-spine" aria-hidden="true"></span>
    <span class="visually-hidden">Replying to </span>
    <${Avatar} name=${quote.user.username} url=${quote.user.image_url} size=${16} />
    <span class="reply-author">${quote.user.username}</span>
    <span class="reply-text">${plainText(quote.content, nameOf)}</span>
  </button>`;
}
