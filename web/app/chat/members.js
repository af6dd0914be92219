// Who is in the server: the member list panel (GET /api/servers/<id>/members/, kept per server
// for the session, a page of 1000 at a time) beside the chat, a drawer on phones, and the
// profile card of a person (from what is at hand, completed with GET /api/accounts/<id>/ when a
// socket frame brought only a name and a picture).
import { html, useEffect, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { Avatar } from "../ui/avatar.js";
import { Dialog } from "../ui/dialog.js";
import { PresenceAvatar, STATUS_WORDS } from "../ui/presence.js";
import { useStore } from "../store.js";

/** @typedef {import("./timeline.js").Author} Author */

/** Statuses are shared among the members of servers this size at most. */
const SHARED_UP_TO = 1000;
/** The API's largest page of members. */
export const MEMBERS_PAGE = 1000;
/** Opening the member list reloads it when it is older than this. */
const FRESH_MS = 60_000;

/**
 * What is known of one server's members, kept for the session so that switching channels
 * does not fetch them again.
 * @typedef {object} Members
 * @property {Author[]|null} members null until the first page arrived
 * @property {boolean} more a full page came: more members may follow (`after=`)
 * @property {boolean} loading
 * @property {string|null} error
 * @property {number} at when the first page arrived (ms)
 */

/** @type {Members} */
const NONE = { members: null, more: false, loading: false, error: null, at: 0 };
/** @type {Map<number, Members>} */
const cache = new Map();
/** Incremented by each load of a server, so that a late answer of a replaced one is dropped. @type {Map<number, number>} */
const loads = new Map();
/** @type {Set<() => void>} */
const listeners = new Set();

/**
 * Forgets every server's members (at logout: the next person in this tab may see other
 * servers, and should not see this person's lists).
 */
export function forgetMembers() {
  cache.clear();
  // Answers still on their way are dropped: their tickets are no longer the latest.
  for (const [serverId, ticket] of loads) loads.set(serverId, ticket + 1);
  for (const listener of listeners) listener();
}

/**
 * Someone joined a server whose members are held: they are added, in id order.
 * @param {number} serverId @param {Author} user
 */
export function memberJoined(serverId, user) {
  const held = cache.get(serverId);
  if (!held?.members || held.members.some((m) => m.id === user.id)) return;
  // Past the last page held, the next page brings them.
  const last = held.members.at(-1);
  if (held.more && last && (user.id ?? 0) > (last.id ?? 0)) return;
  put(serverId, { members: [...held.members, user].sort((a, b) => (a.id ?? 0) - (b.id ?? 0)) });
}

/**
 * Reads every list held again (the gateway identified anew: joins, leaves and profile
 * changes may have been missed).
 * @param {import("../api/client.js").Api} api
 */
export function reloadMembers(api) {
  for (const serverId of cache.keys()) void load(api, serverId, false);
}

/** Someone left a server (or was removed). @param {number} serverId @param {number} userId */
export function memberLeft(serverId, userId) {
  const held = cache.get(serverId);
  if (held?.members?.some((m) => m.id === userId)) put(serverId, { members: held.members.filter((m) => m.id !== userId) });
}

/** Someone's profile changed: every list holding them shows the new one. @param {Author} account */
export function accountChanged(account) {
  for (const [serverId, held] of cache) {
    if (held.members?.some((m) => m.id === account.id)) {
      put(serverId, { members: held.members.map((m) => (m.id === account.id ? { ...m, ...account } : m)) });
    }
  }
}

/** @param {number} serverId @param {Partial<Members>} patch */
function put(serverId, patch) {
  cache.set(serverId, { ...(cache.get(serverId) ?? NONE), ...patch });
  for (const listener of listeners) listener();
}

/**
 * Loads the first page again (`more`: the page after the last member held instead).
 * @param {import("../api/client.js").Api} api @param {number} serverId @param {boolean} more
 */
async function load(api, serverId, more) {
  const held = cache.get(serverId) ?? NONE;
  if (more && (held.loading || !held.more)) return;
  const ticket = (loads.get(serverId) ?? 0) + 1;
  loads.set(serverId, ticket);
  put(serverId, { loading: true, error: null });
  const after = more ? held.members?.at(-1)?.id : undefined;
  try {
    /** @type {Author[]} */
    const page = await api.get(`/api/servers/${serverId}/members/${after != null ? `?after=${after}` : ""}`);
    if (loads.get(serverId) !== ticket) return;
    const members = more ? [...(held.members ?? []), ...page] : page;
    // A full page may be the last one (a server of exactly 1000): one member past it says.
    const full = page.length >= MEMBERS_PAGE;
    // (Not knowing, after a failure, counts as more: no statuses rather than no members.)
    const probe = () => api.get(`/api/servers/${serverId}/members/?after=${page.at(-1)?.id}&limit=1`).catch(() => [null]);
    const beyond = full ? await probe() : [];
    if (loads.get(serverId) !== ticket) return;
    put(serverId, { members, more: beyond.length > 0, loading: false, ...(more ? {} : { at: Date.now() }) });
  } catch (e) {
    if (loads.get(serverId) === ticket) put(serverId, { loading: false, error: e instanceof Error ? e.message : String(e) });
  }
}

/**
 * The server's members: fetched once per session, again on `reload` or when `opened` finds
 * them older than a minute; `loadMore` fetches the next page. None for a direct message (null).
 * @param {number|null} serverId
 * @returns {Members & {reload: () => void, loadMore: () => void, opened: () => void}}
 */
export function useMembers(serverId) {
  const { api } = useServices();
  const [, redraw] = useState(0);
  useEffect(() => {
    const listener = () => redraw((n) => n + 1);
    listeners.add(listener);
    if (serverId !== null && !cache.has(serverId)) void load(api, serverId, false);
    return () => {
      listeners.delete(listener);
    };
  }, [serverId]);
  const held = (serverId !== null && cache.get(serverId)) || NONE;
  if (serverId === null) return { ...held, reload: () => {}, loadMore: () => {}, opened: () => {} };
  return {
    ...held,
    reload: () => void load(api, serverId, false),
    loadMore: () => void load(api, serverId, true),
    opened: () => {
      if (!held.loading && Date.now() - held.at > FRESH_MS) void load(api, serverId, false);
    },
  };
}

/**
 * @param {{id: string, server: any, members: ReturnType<typeof useMembers>, onProfile: (a: Author) => void, onClose: () => void}} props
 */
export function MemberPanel({ id, server, members, onProfile, onClose }) {
  const { store } = useServices();
  const presences = useStore(store, (s) => s.presences);
  const me = useStore(store, (s) => s.me);
  const held = members.members;
  // Statuses are shared in servers of at most SHARED_UP_TO members (docs/api.md, "Presence").
  const shared = held !== null && !members.more && held.length <= SHARED_UP_TO;
  /** What a member's dot shows: the person's own choice as it is, others' as they see it. @param {Author} m */
  const statusOf = (m) => {
    const status = presences[m.id ?? 0] ?? "offline";
    return status === "invisible" && m.id !== me?.id ? "offline" : status;
  };
  const isOn = (/** @type {Author} */ m) => !["offline", "invisible"].includes(statusOf(m));
  // Those online first (each group in id order), as chat apps show them.
  const list = held && (shared ? [...held].sort((a, b) => Number(!isOn(a)) - Number(!isOn(b))) : held);
  const online = list && shared ? list.filter(isOn).length : 0;
  return html`<aside class="member-panel" id=${id} aria-label="Members">
    <header class="member-panel-header">
      <h2>Members${list ? ` — ${list.length}${members.more ? "+" : ""}` : ""}</h2>
      ${list && shared && html`<span class="member-online">${online} online</span>`}
      <button type="button" class="icon-button member-close" aria-label="Close the member list" onClick=${onClose}>✕</button>
    </header>
    ${members.error &&
    html`<div class="member-error" role="alert">
      <p>The member list could not be loaded. ${members.error}</p>
      <button type="button" class="secondary" onClick=${list ? members.loadMore : members.reload}>Try again</button>
    </div>`}
    ${!list && !members.error && html`<p class="member-loading" role="status">Loading members…</p>`}
    ${list &&
    html`<ul class="member-list">
      ${list.map((m) => {
        const status = statusOf(m);
        return html`<li key=${m.id} class=${shared && !isOn(m) ? "offline" : undefined}>
          <button type="button" class="member" onClick=${() => onProfile(m)}>
            ${shared
              ? html`<${PresenceAvatar} name=${m.username} url=${m.image_url} size=${32} status=${status} />`
              : html`<${Avatar} name=${m.username} url=${m.image_url} size=${32} />`}
            <span class="member-name">${m.username}</span>${shared && html`<span class="visually-hidden">, ${STATUS_WORDS[status]}</span>`}
            ${m.id === server.owner_id && html`<span class="owner-badge">owner</span>`}
          </button>
        </li>`;
      })}
      ${members.more && !members.error &&
      html`<li><button type="button" class="link-button member-more" disabled=${members.loading} onClick=${members.loadMore}>
        ${members.loading ? "Loading more members…" : "Show more members"}
      </button></li>`}
    </ul>`}
  </aside>`;
}

/**
 * A person's card: picture, display name, @login, location and bio.
 * @param {{user: Author, members: Author[]|null, onClose: () => void}} props
 */
export function ProfileCard({ user, members, onClose }) {
  const { api } = useServices();
  const others = useOthers(user);
  const known = members?.find((m) => m.id === user.id);
  const [account, setAccount] = useState(/** @type {Author} */ (known ?? user));
  const [error, setError] = useState(/** @type {string|null} */ (null));
  const complete = account.owner !== undefined || account.id === null;
  useEffect(() => {
    if (complete) return;
    let alive = true;
    api.get(`/api/accounts/${account.id}/`).then(
      (full) => alive && setAccount(full),
      (/** @type {Error} */ e) => alive && setError(e.message),
    );
    return () => {
      alive = false;
    };
  }, []);
  return html`<${Dialog} title=${account.username} onClose=${onClose}>
    <div class="profile-card">
      <${Avatar} name=${account.username} url=${account.image_url} size=${80} />
      <div class="profile-names">
        ${account.owner && html`<p class="profile-login">@${account.owner}</p>`}
        ${account.id === null && html`<p class="profile-login">This account was deleted.</p>`}
        ${account.location && html`<p class="profile-location">${account.location}</p>`}
      </div>
    </div>
    ${account.content && html`<section class="profile-bio" aria-label="About"><p>${account.content}</p></section>`}
    ${!complete && !error && html`<p class="hint" role="status">Loading the profile…</p>`}
    ${error && html`<p class="error" role="alert">The rest of this profile could not be loaded. ${error}</p>`}
    ${others.can && html`<div class="profile-actions">
      ${others.blocked
        ? html`<p class="hint">You block ${account.username}: neither of you can message the other in a conversation of your own.</p>`
        : html`<button type="button" class="primary" disabled=${others.busy} onClick=${() => others.message(onClose)}>Message</button>`}
      <button type="button" class="secondary" disabled=${others.busy || others.blocked === null}
        onClick=${() => others.toggleBlock()}>${others.blocked ? "Unblock" : "Block"}</button>
    </div>`}
    ${others.error && html`<p class="error" role="alert">${others.error}</p>`}
  <//>`;
}

/**
 * What the person may do about someone else on their profile: message them (opening the direct
 * message of the two) and block or unblock them.
 * @param {Author} user
 */
function useOthers(user) {
  const { store, actions } = useServices();
  const me = useStore(store, (s) => s.me);
  const blockedIds = useStore(store, (s) => s.blocked);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string|null} */ (null));
  const can = user.id !== null && me !== null && user.id !== me.id;
  useEffect(() => {
    if (can) actions.loadBlocked().catch(() => {});
  }, [can]);
  /** @param {() => Promise<void>} work */
  const run = async (work) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const id = /** @type {number} */ (user.id);
  return {
    can,
    busy,
    error,
    /** null until known */
    blocked: blockedIds === null ? null : blockedIds.includes(id),
    /** @param {() => void} done */
    message: (done) => run(async () => {
      await actions.openDm([id]);
      done();
    }),
    toggleBlock: () => run(() => actions.setBlocked(id, !(blockedIds ?? []).includes(id))),
  };
}
