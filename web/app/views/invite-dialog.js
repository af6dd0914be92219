// Inviting people: the owner chooses how long and how often an invite may be used and gets a link
// to pass on; for a public server anyone else gets the server's own address instead.
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { Dialog } from "../ui/dialog.js";
import { FormError, useSubmit } from "../ui/form.js";
import { SelectField } from "../ui/fields.js";
import { CopyLink } from "../ui/copy.js";
import { EXPIRY_CHOICES, USES_CHOICES, inviteBody, inviteLimits, inviteLink, serverLink } from "../lib/community.js";

/**
 * @param {{server: any, owner: boolean, onClose: () => void, onCreated?: () => void}} props
 *   owner: make invite codes (else share the public server's address)
 */
export function InviteDialog({ server, owner, onClose, onCreated }) {
  const { api } = useServices();
  const [expiresIn, setExpiresIn] = useState("604800");
  const [maxUses, setMaxUses] = useState("");
  const [invite, setInvite] = useState(/** @type {any} */ (null));
  const { busy, error, fields, run } = useSubmit(["expires_in", "max_uses"]);
  const create = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(async () => {
      setInvite(await api.post(`/api/servers/${server.id}/invites/`, inviteBody(expiresIn, maxUses)));
      onCreated?.();
    });
  };
  const title = `Invite people to ${server.name}`;
  if (!owner) {
    return html`<${Dialog} title=${title} onClose=${onClose}>
      <p>${server.name} is public: anyone with its address can see it and join.</p>
      <${CopyLink} label="Server address" value=${serverLink(location.origin, server.id)} />
    <//>`;
  }
  return html`<${Dialog} title=${title} onClose=${onClose}>
    ${invite
      ? html`<div>
          <${CopyLink} label="Invite link" value=${inviteLink(location.origin, invite.code)} />
          <p class="hint">${inviteLimits(invite)}. You can revoke it in Server settings → Invites.</p>
          <div class="dialog-actions">
            <button type="button" class="secondary" onClick=${() => setInvite(null)}>Make another</button>
            <button type="button" class="primary" onClick=${onClose}>Done</button>
          </div>
        </div>`
      : html`<form onSubmit=${create} novalidate>
          <${SelectField} label="Expires after" name="expires_in" value=${expiresIn} options=${EXPIRY_CHOICES} onChange=${setExpiresIn} error=${fields.expires_in} />
          <${SelectField} label="How many people may use it" name="max_uses" value=${maxUses} options=${USES_CHOICES} onChange=${setMaxUses} error=${fields.max_uses} />
          <${FormError} error=${error} />
          <div class="dialog-actions">
            <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
            <button class="primary" disabled=${busy}>${busy ? "Creating…" : "Create invite link"}</button>
          </div>
        </form>`}
  <//>`;
}
