// Who is in the server: the member list panel (GET /api/servers/<id>/members/) beside the chat,
// a drawer on phones, and the profile card of a person (from what is at hand, completed with
// GET /api/accounts/<id>/ when a socket frame brought only a name and a picture).
import { html, useEffect, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { Avatar } from "../ui/avatar.js";
import { Dialog } from "../ui/dialog.js";

/** @typedef {import("./timeline.js").Author} Author */

/**
 * The server's members, loaded once.
 * @param {number} serverId
 * @returns {{members: Author[]|null, error: string|null, reload: () => void}}
 */
export function useMembers(serverId) {
  const { api } = useServices();
  const [members, setMembers] = useState(/** @type {Author[]|null} */ (null));
  const [error, setError] = useState(/** @type {string|null} */ (null));
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let alive = true;
    setError(null);
    api.get(`/api/servers/${serverId}/members/`).then(
      (list) => alive && setMembers(list),
      (/** @type {Error} */ e) => alive && setError(e.message),
    );
    return () => {
      alive = false;
    };
  }, [serverId, attempt]);
  return { members, error, reload: () => setAttempt((n) => n + 1) };
}

/**
 * @param {{id: string, server: any, members: ReturnType<typeof useMembers>, onProfile: (a: Author) => void, onClose: () => void}} props
 */
export function MemberPanel({ id, server, members, onProfile, onClose }) {
  const list = members.members;
  return html`<aside class="member-panel" id=${id} aria-label="Members">
    <header class="member-panel-header">
      <h2>Members${list ? ` — ${list.length}` : ""}</h2>
      <button type="button" class="icon-button member-close" aria-label="Close the member list" onClick=${onClose}>✕</button>
    </header>
    ${members.error
      ? html`<div class="member-error" role="alert">
          <p>The member list could not be loaded. ${members.error}</p>
          <button type="button" class="secondary" onClick=${members.reload}>Try again</button>
        </div>`
      : !list
        ? html`<p class="member-loading" role="status">Loading members…</p>`
        : html`<ul class="member-list">
            ${list.map(
              (m) => html`<li key=${m.id}>
                <button type="button" class="member" onClick=${() => onProfile(m)}>
                  <${Avatar} name=${m.username} url=${m.image_url} size=${32} />
                  <span class="member-name">${m.username}</span>
                  ${m.id === server.owner_id && html`<span class="owner-badge">owner</span>`}
                </button>
              </li>`,
            )}
          </ul>`}
  </aside>`;
}

/**
 * A person's card: picture, display name, @login, location and bio.
 * @param {{user: Author, members: Author[]|null, onClose: () => void}} props
 */
export function ProfileCard({ user, members, onClose }) {
  const { api } = useServices();
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
  <//>`;
}
