// An invite link (/invite/<code>): which server it leads to, and Accept; invites that are unknown,
// expired, used up or revoked (the API answers 404 for all four) are said so in words.
import { html } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { channelPath, navigate } from "../router.js";
import { Avatar } from "../ui/avatar.js";
import { FormError, useSubmit } from "../ui/form.js";
import { LoadStatus, useLoad } from "../ui/load.js";
import { ApiError } from "../api/errors.js";
import { formatDate, isMember, membersText } from "../lib/community.js";

/** @param {{code: string, menu: any}} props */
export function InviteView({ code, menu }) {
  const { api, store, actions } = useServices();
  const servers = useStore(store, (s) => s.servers);
  const invite = useLoad(() => api.get(`/api/invites/${encodeURIComponent(code)}/`), [code]);
  const { busy, error, run } = useSubmit([]);
  const data = /** @type {any} */ (invite.data);
  const accept = () =>
    run(async () => {
      const server = await api.post(`/api/invites/${encodeURIComponent(code)}/accept/`);
      await actions.reloadServers();
      navigate(channelPath(server.id, server.channel_server?.[0]?.id));
    });

  let body;
  if (invite.error instanceof ApiError && invite.error.status === 404) {
    body = html`<div class="invite-card">
      <h2>This invite does not work</h2>
      <p>It may have expired, been used as many times as allowed, or been revoked by the server's owner. Ask them for a new one.</p>
      <a class="secondary" href="/explore">Explore public servers</a>
    </div>`;
  } else if (data) {
    const member = isMember(servers, data.server);
    body = html`<div class="invite-card">
      <p class="invite-kicker">You have been invited to join</p>
      <${Avatar} name=${data.server_name} url=${data.server_icon_url} size=${80} square />
      <h2>${data.server_name}</h2>
      <p class="invite-meta">${membersText(data.num_members)}${data.expires_at ? ` · invite expires ${formatDate(data.expires_at)}` : ""}</p>
      <${FormError} error=${error} />
      ${member
        ? html`<p>You are already a member.</p><a class="primary" href=${channelPath(data.server)}>Open ${data.server_name}</a>`
        : html`<button type="button" class="primary wide" disabled=${busy} onClick=${accept}>${busy ? "Joining…" : "Accept invite"}</button>`}
    </div>`;
  } else {
    body = html`<${LoadStatus} state=${invite} what="the invite" />`;
  }
  return html`<section class="pane">
    <header class="pane-header">${menu}<h1>Invite</h1></header>
    <div class="pane-body invite">${body}</div>
  </section>`;
}
