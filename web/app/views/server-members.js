// Server settings → Members and Bans: the members (Account objects) with kick, ban and "make
// owner", each asked first; the banned accounts with unban. Every change reloads the list and the
// person's servers (handing the server over ends the owner's access to these settings).
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { channelPath, navigate } from "../router.js";
import { Avatar } from "../ui/avatar.js";
import { ConfirmDialog } from "../ui/confirm.js";
import { FormError, useSubmit } from "../ui/form.js";
import { LoadStatus, useLoad } from "../ui/load.js";
import { formatDate } from "../lib/community.js";

/**
 * @typedef {object} Moderation
 * @property {"kick"|"ban"|"transfer_ownership"} action the endpoint under /api/servers/<id>/
 * @property {string} title
 * @property {string} confirm
 * @property {string} explain
 */

const ACTIONS = /** @type {const} */ (["kick", "ban", "transfer_ownership"]);

/**
 * What an action on a member does, in words for the dialog that asks first.
 * @param {Moderation["action"]} action @param {any} server @param {string} who
 * @returns {Moderation}
 */
function moderation(action, server, who) {
  if (action === "kick") {
    return { action, title: `Kick ${who}?`, confirm: "Kick", explain: `${who} leaves ${server.name} and can join again${server.is_private ? " with an invite" : ""}.` };
  }
  if (action === "ban") {
    return { action, title: `Ban ${who}?`, confirm: "Ban", explain: `${who} leaves ${server.name} and cannot join again until unbanned (Bans).` };
  }
  return {
    action,
    title: `Make ${who} the owner?`,
    confirm: "Make owner",
    explain: `${who} will own ${server.name} and manage it; you stay a member and can no longer change its settings.`,
  };
}

/** @param {{server: any}} props */
export function ServerMembers({ server }) {
  const { api, actions } = useServices();
  const members = useLoad(() => api.get(`/api/servers/${server.id}/members/`), [server.id]);
  const [asking, setAsking] = useState(/** @type {{member: any, step: Moderation}|null} */ (null));
  const list = /** @type {any[]|null} */ (members.data);
  const act = async () => {
    if (!asking) return;
    const { member, step } = asking;
    await api.post(`/api/servers/${server.id}/${step.action}/`, { account: member.id });
    setAsking(null);
    await actions.reloadServers();
    if (step.action === "transfer_ownership") {
      actions.notify(`${member.username} now owns ${server.name}.`);
      navigate(channelPath(server.id, server.channel_server[0]?.id));
    } else {
      actions.notify(step.action === "kick" ? `${member.username} was kicked.` : `${member.username} was banned.`);
      await members.reload();
    }
  };
  return html`<h2 class="settings-title">Members${list ? ` (${list.length})` : ""}</h2>
    <${LoadStatus} state=${members} what="the members" />
    <ul class="rows">
      ${list?.map(
        (m) => html`<li class="row" key=${m.id}>
          <${Avatar} name=${m.username} url=${m.image_url} size=${36} />
          <div class="row-main">
            <span class="row-title">${m.username}${m.id === server.owner_id && html` <span class="badge">Owner</span>`}</span>
            <span class="row-sub">@${m.owner}</span>
          </div>
          ${m.id !== server.owner_id &&
          html`<div class="row-actions">
            ${ACTIONS.map((a) => {
              const step = moderation(a, server, m.username);
              return html`<button type="button" key=${a} class=${a === "transfer_ownership" ? "secondary" : "danger"}
                aria-label=${`${step.confirm}: ${m.username} (@${m.owner})`} onClick=${() => setAsking({ member: m, step })}>${step.confirm}</button>`;
            })}
          </div>`}
        </li>`,
      )}
    </ul>
    ${asking &&
    html`<${ConfirmDialog} title=${asking.step.title} confirm=${asking.step.confirm} danger=${asking.step.action !== "transfer_ownership"}
      onConfirm=${act} onClose=${() => setAsking(null)}><p>${asking.step.explain}</p><//>`}`;
}

/** @param {{server: any}} props */
export function ServerBans({ server }) {
  const { api } = useServices();
  const bans = useLoad(() => api.get(`/api/servers/${server.id}/bans/`), [server.id]);
  const list = /** @type {any[]|null} */ (bans.data);
  return html`<h2 class="settings-title">Bans</h2>
    <${LoadStatus} state=${bans} what="the bans" />
    ${list && list.length === 0 && html`<p>Nobody is banned from ${server.name}.</p>`}
    <ul class="rows">
      ${list?.map((b) => html`<${BanRow} key=${b.account} server=${server} ban=${b} onUnbanned=${bans.reload} />`)}
    </ul>`;
}

/** @param {{server: any, ban: any, onUnbanned: () => Promise<void>}} props */
function BanRow({ server, ban, onUnbanned }) {
  const { api, actions } = useServices();
  const { busy, error, run } = useSubmit([]);
  const unban = () =>
    run(async () => {
      await api.post(`/api/servers/${server.id}/unban/`, { account: ban.account });
      actions.notify(`${ban.username} was unbanned.`);
      await onUnbanned();
    });
  return html`<li class="row">
    <div class="row-main">
      <span class="row-title">${ban.username}</span>
      <span class="row-sub">banned ${formatDate(ban.created_at)}</span>
      <${FormError} error=${error} />
    </div>
    <div class="row-actions">
      <button type="button" class="secondary" disabled=${busy} aria-label=${`Unban ${ban.username}`} onClick=${unban}>Unban</button>
    </div>
  </li>`;
}
