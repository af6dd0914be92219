// Searching messages beside the chat (`GET /api/search/messages/`): the words to find, where
// (this channel, this server, or everything the person may read), newest first with a total,
// 25 at a time; each result a click away from its place, read around it (in another channel:
// that channel, opened at the message).
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { Avatar } from "../ui/avatar.js";
import { Icon } from "../ui/icons.js";
import { plainText } from "./mentions.js";

/** @typedef {import("./timeline.js").Message} Message */

/** When a result was written, short. @param {string} iso */
const when = (iso) => new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });

/** Results asked for at a time. */
const PAGE = 25;

/**
 * The query string of a search.
 * @param {string} words @param {"channel"|"server"|"all"} scope @param {{channelId: number, serverId: number|null}} here
 * @param {number|null} [before] @param {number|null} [author] only this person's messages
 */
export function searchPath(words, scope, here, before = null, author = null) {
  const query = new URLSearchParams({ q: words, limit: String(PAGE) });
  if (scope === "channel") query.set("channel_id", String(here.channelId));
  if (scope === "server" && here.serverId !== null) query.set("server_id", String(here.serverId));
  if (author !== null) query.set("author_id", String(author));
  if (before !== null) query.set("before", String(before));
  return `/api/search/messages/?${query}`;
}

/** How a total reads ("10,000+" past what the server counts). @param {number} total */
export function totalWords(total) {
  const n = total >= 10_000 ? "10,000+" : total.toLocaleString("en");
  return `${n} result${total === 1 ? "" : "s"}`;
}

/**
 * @param {{id: string, server: any, channel: any, people: any[]|null, onJump: (m: Message) => void, onClose: () => void}} props
 *   people: whose messages may be asked for (the server's members, or the conversation's people)
 */
export function SearchPanel({ id, server, channel, people, onJump, onClose }) {
  const { api, store } = useServices();
  const [text, setText] = useState("");
  const [scope, setScope] = useState(/** @type {"channel"|"server"|"all"} */ (server ? "server" : "channel"));
  const [author, setAuthor] = useState(/** @type {number|null} */ (null));
  /** The last search: its words and where (a next page asks the same), its total and results so far. */
  const [found, setFound] = useState(
    /** @type {{words: string, scope: "channel"|"server"|"all", author: number|null, total: number, results: Message[]}|null} */ (null),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string|null} */ (null));
  const here = { channelId: channel.id, serverId: server?.id ?? null };

  /** @param {string} words @param {"channel"|"server"|"all"} where @param {number|null} by @param {Message[]} held */
  const fetchPage = async (words, where, by, held) => {
    setBusy(true);
    setError(null);
    try {
      const before = held.length > 0 ? held[held.length - 1].id : null;
      /** @type {{total: number, results: Message[]}} */
      const page = await api.get(searchPath(words, where, here, before, by));
      const total = held.length > 0 ? (found?.total ?? page.total) : page.total;
      setFound({ words, scope: where, author: by, total, results: [...held, ...page.results] });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    if (text.trim()) void fetchPage(text.trim(), scope, author, []);
  };
  /** Where a result is, in words. @param {Message} m */
  const where = (m) => {
    const dm = store.state.dms.find((d) => d.id === m.channel_id);
    if (dm) return `@${dm.recipients.map((r) => r.username).join(", ") || "Deleted User"}`;
    for (const s of store.state.servers ?? []) {
      const c = s.channel_server.find((/** @type {any} */ c) => c.id === m.channel_id);
      if (c) return s.id === server?.id ? `#${c.name}` : `#${c.name} in ${s.name}`;
    }
    return "";
  };
  const nameOf = (/** @type {number} */ person) => found?.results.find((m) => m.user.id === person)?.user.username ?? null;

  return html`<aside class="member-panel search-panel" id=${id} aria-label="Search messages">
    <header class="member-panel-header">
      <h2>Search</h2>
      <button type="button" class="icon-button" aria-label="Close the search" onClick=${onClose}><${Icon} name="close" /></button>
    </header>
    <form class="search-form" role="search" onSubmit=${submit}>
      <input type="search" aria-label="Words to find" placeholder="Words to find" maxlength="200" value=${text}
        onInput=${(/** @type {any} */ e) => setText(e.currentTarget.value)} autofocus />
      <select aria-label="Where" value=${scope} onChange=${(/** @type {any} */ e) => setScope(e.currentTarget.value)}>
        <option value="channel">In ${channel.prefix ?? "#"}${channel.name}</option>
        ${server && html`<option value="server">In ${server.name}</option>`}
        <option value="all">Everywhere</option>
      </select>
      <select aria-label="From" value=${author ?? ""} onChange=${(/** @type {any} */ e) => setAuthor(e.currentTarget.value ? Number(e.currentTarget.value) : null)}>
        <option value="">From anyone</option>
        ${(people ?? []).map((p) => html`<option key=${p.id} value=${p.id}>From ${p.username}</option>`)}
      </select>
      <button class="primary" disabled=${busy || !text.trim()}>Search</button>
    </form>
    ${error && html`<p class="pane-message" role="alert">The search failed. ${error}</p>`}
    ${found && html`<p class="pane-message search-total" role="status">${totalWords(found.total)} for “${found.words}”</p>`}
    ${found &&
    html`<ul class="pin-list search-results">
      ${found.results.map(
        (m) => html`<li key=${m.id} class="pin">
          <button type="button" class="pin-jump" onClick=${() => onJump(m)} title="Show in its place">
            <${Avatar} name=${m.user.username} url=${m.user.image_url} size=${24} />
            <span class="pin-body">
              <span class="pin-author">${m.user.username} <span class="search-where">${where(m)} · ${when(m.timestamp_created)}</span></span>
              <span class="pin-text">${plainText(m.content, nameOf)}</span>
            </span>
          </button>
        </li>`,
      )}
    </ul>`}
    ${found && found.results.length < found.total && found.results.length % PAGE === 0 &&
    html`<button type="button" class="link-button search-more" disabled=${busy} onClick=${() => fetchPage(found.words, found.scope, found.author, found.results)}>More results</button>`}
  </aside>`;
}
