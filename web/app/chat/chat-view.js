// The chat pane of one channel: its header (name, topic, the member list's toggle), the
// connection's banner, the message list, who is typing, what others just wrote (for screen
// readers), the composer, the member list and the dialogs (a profile, deleting a message). The
// live state is useChannel's.
import { html, useEffect, useId, useRef, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { useChannel } from "./use-channel.js";
import { MessageList } from "./message-list.js";
import { Composer } from "./composer.js";
import { DeleteMessage } from "./delete-message.js";
import { MemberPanel, ProfileCard, useMembers } from "./members.js";
import { lastOwn, newestId } from "./timeline.js";
import { TypingLine } from "./typing-line.js";
import { Icon } from "../ui/icons.js";
import { PinsPanel } from "./pins.js";
import { toggleReaction } from "./reactions.js";
import { isOwner } from "../lib/community.js";
import { ApiError } from "../api/errors.js";
import { useDrafts } from "./attachments.js";
import { ConfirmDialog } from "../ui/confirm.js";
import { SearchPanel } from "./search.js";
import { channelPath, navigate } from "../router.js";

/** From this width the member list is open beside the chat at first. */
const WIDE = "(min-width: 1200px)";

/** @typedef {import("./timeline.js").Author} Author */
/** @typedef {import("./timeline.js").Message} Message */

/**
 * A server's channel, or a direct message (`server` null, `dm` its object).
 * @param {{server: any, dm?: import("../realtime/state.js").Dm, channel: any, menu: any}} props
 */
export function ChatView({ server, dm, channel, menu }) {
  const { api, store, actions } = useServices();
  const me = useStore(store, (s) => s.me);
  // Where the "new messages" line goes: after what was read when the channel was opened (once
  // the gateway's first `ready` told).
  const readies = useStore(store, (s) => s.ready);
  const [since, setSince] = useState(/** @type {number|null|undefined} */ (undefined));
  useEffect(() => {
    if (since !== undefined || readies === 0) return;
    const read = store.state.readStates[channel.id];
    setSince(read && read.unread_count > 0 ? read.last_read_id : null);
  }, [readies]);
  const visible = useVisible();
  const stuck = useRef(true);
  const chat = useChannel(server, channel, stuck);
  const serverMembers = useMembers(server?.id ?? null);
  // In a direct message, its people are the ones to mention and to show.
  const members = dm ? { ...serverMembers, members: me ? [me, ...dm.recipients] : dm.recipients } : serverMembers;
  const [membersOpen, setMembersOpen] = useState(() => !dm && matchMedia(WIDE).matches);
  const [pinsOpen, setPinsOpen] = useState(false);
  const [searchOpen, setSearchOpen] = useState(false);
  const [replyTo, setReplyTo] = useState(/** @type {Message|null} */ (null));
  const drafts = useDrafts(api);
  const [atBottom, setAtBottom] = useState(true);
  const [editing, setEditing] = useState(/** @type {number|null} */ (null));
  const [deleting, setDeleting] = useState(/** @type {Message|null} */ (null));
  const [profile, setProfile] = useState(/** @type {Author|null} */ (null));
  const [leaving, setLeaving] = useState(false);
  const pane = useRef(/** @type {HTMLElement|null} */ (null));
  const panelId = useId();
  const pinsId = useId();
  const searchId = useId();
  // Either side pins in a direct message; in a server, its owner.
  const canPin = dm ? true : isOwner(server, me);
  const { timeline, status } = chat;

  // What the person sees at the bottom of the present, in a visible tab, is read.
  useEffect(() => {
    const newest = newestId(timeline);
    if (newest !== null && timeline.atPresent && atBottom && visible && since !== undefined) actions.live.seen(channel.id, newest);
  }, [timeline, atBottom, visible, since]);

  const focusComposer = () => /** @type {HTMLElement|null} */ (pane.current?.querySelector(".composer textarea"))?.focus();

  /** @param {number|null} id */
  const edit = (id) => {
    setEditing(id);
    if (id === null) focusComposer();
  };

  const onBottom = (/** @type {boolean} */ bottom) => {
    setAtBottom(bottom);
    if (bottom) chat.clearUnseen();
  };

  /** @param {number} id */
  const nameOf = (id) =>
    members.members?.find((m) => m.id === id)?.username ??
    timeline.messages.findLast((m) => m.user.id === id)?.user.username ??
    "Someone";

  const toggleMembers = () => {
    if (!membersOpen) members.opened();
    setMembersOpen(!membersOpen);
    setPinsOpen(false);
    setSearchOpen(false);
  };
  const togglePins = () => {
    setPinsOpen(!pinsOpen);
    setMembersOpen(false);
    setSearchOpen(false);
  };
  const toggleSearch = () => {
    setSearchOpen(!searchOpen);
    setMembersOpen(false);
    setPinsOpen(false);
  };
  /** A search result: here, brought into view; elsewhere, its channel opened at it. @param {Message} m */
  const showFound = (m) => {
    if (!matchMedia(WIDE).matches) setSearchOpen(false);
    if (m.channel_id === channel.id) return chat.jumpTo(m.id);
    const dm = store.state.dms.find((d) => d.id === m.channel_id);
    const home = (store.state.servers ?? []).find((s) => s.channel_server.some((/** @type {any} */ c) => c.id === m.channel_id));
    if (dm) navigate(`/dms/${dm.id}?message=${m.id}`);
    else if (home) navigate(`${channelPath(home.id, m.channel_id)}?message=${m.id}`);
  };
  // Opened at a message (a search result elsewhere): brought into view once.
  useEffect(() => {
    const wanted = Number(new URLSearchParams(location.search).get("message"));
    if (!Number.isSafeInteger(wanted) || wanted <= 0) return;
    history.replaceState(null, "", location.pathname);
    chat.jumpTo(wanted);
  }, []);

  /** @param {Message} message */
  const reply = (message) => {
    setReplyTo(message);
    focusComposer();
  };
  /** @param {string} text */
  const send = (text) => {
    const sent = chat.send(text, replyTo && { id: replyTo.id, username: replyTo.user.username }, drafts.ready());
    if (sent) {
      setReplyTo(null);
      drafts.clear();
    }
    return sent;
  };
  /** Images dropped on the chat go with the next message. @param {DragEvent} e */
  const onDrop = (e) => {
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    drafts.add(e.dataTransfer.files);
    focusComposer();
  };
  /** @param {DragEvent} e */
  const onDragOver = (e) => {
    if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
  };
  /** @param {string} words */
  const refused = (words) => actions.notify(words, "error");
  /** One request at a time per message and emoji, in the order clicked. */
  const reacting = useRef(/** @type {Map<string, Promise<void>>} */ (new Map()));
  /** @param {Message} message @param {string} emoji @param {boolean} add */
  const react = (message, emoji, add) => {
    const key = `${message.id} ${emoji}`;
    const before = reacting.current.get(key) ?? Promise.resolve();
    const after = before.then(() => toggleReaction(api, message, emoji, add, chat.reacted, refused));
    reacting.current.set(key, after);
    void after.finally(() => reacting.current.get(key) === after && reacting.current.delete(key));
  };
  /** @param {Message} message @param {boolean} pin */
  const pin = async (message, pin) => {
    try {
      await api.request(pin ? "PUT" : "DELETE", `/api/messages/${message.id}/pin/`);
      chat.pinned(message.id, pin);
    } catch (e) {
      refused(e instanceof ApiError ? e.message : "The pin could not be changed. Try again.");
    }
  };

  const showJump = !timeline.atPresent || (!atBottom && chat.unseen > 0);
  const unseen = chat.unseen > 0 ? `${chat.unseen} new message${chat.unseen === 1 ? "" : "s"}` : "You are reading older messages";

  return html`<section class=${membersOpen || pinsOpen || searchOpen ? "pane chat members-open" : "pane chat"} ref=${pane}>
    <header class="pane-header">
      ${menu}
      ${dm
        ? html`<h1><span class="hash" aria-hidden="true">${channel.prefix}</span>${channel.name}</h1>`
        : html`<h1><span class="hash" aria-hidden="true">#</span>${channel.name}</h1>`}
      ${channel.description && html`<p class="channel-topic">${channel.description}</p>`}
      <span class="spacer"></span>
      ${dm?.group && html`<button type="button" class="icon-button" aria-label="Leave this group" title="Leave this group"
        onClick=${() => setLeaving(true)}><${Icon} name="logout" /></button>`}
      <button type="button" class=${searchOpen ? "icon-button active" : "icon-button"} aria-label="Search messages"
        aria-expanded=${searchOpen ? "true" : "false"} aria-controls=${searchId} title="Search messages"
        onClick=${toggleSearch}><${Icon} name="search" /></button>
      <button type="button" class=${pinsOpen ? "icon-button active" : "icon-button"} aria-label="Pinned messages"
        aria-expanded=${pinsOpen ? "true" : "false"} aria-controls=${pinsId} title="Pinned messages"
        onClick=${togglePins}><${Icon} name="pin" /></button>
      ${!dm && html`<button type="button" class=${membersOpen ? "icon-button active" : "icon-button"} aria-label="Member list"
        aria-expanded=${membersOpen ? "true" : "false"} aria-controls=${panelId} title="Member list"
        onClick=${toggleMembers}><${Icon} name="members" /></button>`}
    </header>
    <div class="chat-body">
      <div class="chat-main" onDrop=${onDrop} onDragOver=${onDragOver}>
        <${Banner} status=${status} ended=${chat.ended} retry=${chat.retryNow} />
        <${MessageList} channel=${channel} timeline=${timeline} pending=${chat.waiting} loading=${chat.loading} historyError=${chat.historyError}
          stuck=${stuck} me=${me} since=${since ?? null} editing=${editing} focus=${chat.focus} canPin=${canPin} people=${members.members}
          onOlder=${chat.loadOlder} onNewer=${chat.loadNewer} onBottom=${onBottom}
          onEdit=${edit} onEdited=${chat.edited} onDelete=${setDeleting} onProfile=${setProfile}
          onReply=${reply} onJump=${chat.jumpTo} onReact=${react} onPin=${pin} />
        ${showJump &&
        html`<div class="jump-bar">
          <span>${unseen}</span>
          <button type="button" class="link-button" onClick=${chat.jumpToPresent}>Jump to present</button>
        </div>`}
        <${TypingLine} state=${chat.typing} me=${me?.id ?? null} nameOf=${nameOf} />
        <p class="visually-hidden" role="status"><span key=${chat.announcement.n}>${chat.announcement.text}</span></p>
        <${Composer} channel=${channel} state=${chat.ended ? "ended" : status.state} error=${chat.sendError}
          unsent=${chat.unsent} onRetry=${chat.retryUnsent} onDiscard=${chat.discardUnsent} onPutBack=${chat.discardUnsent}
          replyTo=${replyTo} members=${members.members} drafts=${drafts} onCancelReply=${() => setReplyTo(null)}
          onSend=${send} onTyping=${chat.sendTyping} onClearError=${chat.clearSendError}
          onEditLast=${() => {
            const last = me ? lastOwn(timeline.messages, me.id) : null;
            if (last) setEditing(last.id);
            return last !== null;
          }} />
      </div>
      ${membersOpen && server &&
      html`<div class="member-scrim" onClick=${() => setMembersOpen(false)}></div>
        <${MemberPanel} id=${panelId} server=${server} members=${members} onProfile=${setProfile} onClose=${() => setMembersOpen(false)} />`}
      ${searchOpen &&
      html`<div class="member-scrim" onClick=${() => setSearchOpen(false)}></div>
        <${SearchPanel} id=${searchId} server=${server} channel=${channel} people=${members.members} onJump=${showFound} onClose=${() => setSearchOpen(false)} />`}
      ${pinsOpen &&
      html`<div class="member-scrim" onClick=${() => setPinsOpen(false)}></div>
        <${PinsPanel} id=${pinsId} channel=${channel} version=${chat.changes} canPin=${canPin} onClose=${() => setPinsOpen(false)}
          onJump=${(/** @type {number} */ id) => {
            if (!matchMedia(WIDE).matches) setPinsOpen(false);
            chat.jumpTo(id);
          }} onUnpin=${(/** @type {Message} */ m) => pin(m, false)} />`}
    </div>
    ${profile && html`<${ProfileCard} user=${profile} members=${members.members} onClose=${() => setProfile(null)} />`}
    ${deleting && html`<${DeleteMessage} message=${deleting} onDeleted=${chat.deleted} onClose=${() => setDeleting(null)} />`}
    ${leaving && dm && html`<${ConfirmDialog} title="Leave this group?" confirm="Leave"
      onConfirm=${() => actions.leaveDm(dm.id)} onClose=${() => setLeaving(false)}>
      <p>You will no longer get its messages. Someone in it can bring you back by opening a conversation with the same people.</p>
    <//>`}
  </section>`;
}

/** Whether the tab is shown. */
function useVisible() {
  const [visible, setVisible] = useState(() => document.visibilityState === "visible");
  useEffect(() => {
    const changed = () => setVisible(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", changed);
    return () => document.removeEventListener("visibilitychange", changed);
  }, []);
  return visible;
}

/** The first connection may take this long before the banner says so. */
const FIRST_CONNECT_MS = 2000;

/**
 * What the connection is doing, when it is not simply working.
 * @param {{status: import("../realtime/gateway.js").GatewayStatus, ended: string|null, retry: () => void}} props
 */
function Banner({ status, ended, retry }) {
  const [patient, setPatient] = useState(true);
  useEffect(() => {
    const timer = setTimeout(() => setPatient(false), FIRST_CONNECT_MS);
    return () => clearTimeout(timer);
  }, []);
  useEffect(() => {
    if (status.state === "online") setPatient(false);
  }, [status.state]);
  if (ended) return html`<div class="connection-banner ended" role="alert">${ended}</div>`;
  /** @type {string|null} */
  let text = null;
  if (status.state === "offline") text = "You are offline. pingme reconnects as soon as the network is back.";
  else if (status.state === "connecting" && !patient) text = "Not connected — reconnecting…";
  return html`<div class=${text ? "connection-banner" : "connection-banner hidden"} role="status">
    ${text && html`<span>${text}</span>`}
    ${status.state === "connecting" && !patient && html`<button type="button" class="link-button" onClick=${retry}>Retry now</button>`}
  </div>`;
}
