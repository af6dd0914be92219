// Server settings → Invites: the server's invite links with their uses and expiry, a new one, and
// revoking one (it stops working at once).
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { LoadStatus, useLoad } from "../ui/load.js";
import { FormError, useSubmit } from "../ui/form.js";
import { inviteLimits, inviteLink } from "../lib/community.js";
import { InviteDialog } from "./invite-dialog.js";

/** @param {{server: any}} props */
export function ServerInvites({ server }) {
  const { api } = useServices();
  const invites = useLoad(() => api.get(`/api/servers/${server.id}/invites/`), [server.id]);
  const [creating, setCreating] = useState(false);
  const list = /** @type {any[]|null} */ (invites.data);
  return html`<div class="settings-title-row">
      <h2 class="settings-title">Invites</h2>
      <button type="button" class="primary" onClick=${() => setCreating(true)}>Create invite</button>
    </div>
    <${LoadStatus} state=${invites} what="the invites" />
    ${list && list.length === 0 && html`<p>No invite links. ${server.is_private ? "This server is private: people join it only with one." : ""}</p>`}
    <ul class="rows">
      ${list?.map((i) => html`<${InviteRow} key=${i.code} invite=${i} onRevoked=${invites.reload} />`)}
    </ul>
    ${creating && html`<${InviteDialog} server=${server} owner=${true} onCreated=${invites.reload} onClose=${() => setCreating(false)} />`}`;
}

/** @param {{invite: any, onRevoked: () => Promise<void>}} props */
function InviteRow({ invite, onRevoked }) {
  const { api, actions } = useServices();
  const { busy, error, run } = useSubmit([]);
  const revoke = () =>
    run(async () => {
      await api.delete(`/api/invites/${encodeURIComponent(invite.code)}/`);
      actions.notify(`The invite ${invite.code} was revoked.`);
      await onRevoked();
    });
  return html`<li class="row">
    <div class="row-main">
      <span class="row-title mono">${inviteLink(location.origin, invite.code)}</span>
      <span class="row-sub">${inviteLimits(invite)}</span>
      <${FormError} error=${error} />
    </div>
    <div class="row-actions">
      <button type="button" class="danger" disabled=${busy} aria-label=${`Revoke the invite ${invite.code}`} onClick=${revoke}>Revoke</button>
    </div>
  </li>`;
}
