// Server settings → Channels: the server's channels with rename / describe and delete, and a new
// one. The channels come from the person's servers (store), reloaded after every change.
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { ConfirmDialog } from "../ui/confirm.js";
import { ChannelDialog } from "./channel-dialog.js";

/** @param {{server: any}} props */
export function ServerChannels({ server }) {
  const { api, actions } = useServices();
  // The form open: {item: null} to create, {item} to edit, null for none.
  const [open, setOpen] = useState(/** @type {{item: any}|null} */ (null));
  const [deleting, setDeleting] = useState(/** @type {any} */ (null));
  const closeDialog = () => setOpen(null);
  const saved = async () => {
    await actions.reloadServers();
    closeDialog();
  };
  const remove = async () => {
    await api.delete(`/api/channels/${deleting.id}/`);
    await actions.reloadServers();
    actions.notify(`#${deleting.name} was deleted.`);
    setDeleting(null);
  };
  return html`<div class="settings-title-row">
      <h2 class="settings-title">Channels</h2>
      <button type="button" class="primary" onClick=${() => setOpen({ item: null })}>Create channel</button>
    </div>
    ${server.channel_server.length === 0 && html`<p>No channels yet.</p>`}
    <ul class="rows">
      ${server.channel_server.map(
        (/** @type {any} */ c) => html`<li class="row" key=${c.id}>
          <div class="row-main">
            <span class="row-title"># ${c.name}</span>
            ${c.description && html`<span class="row-sub">${c.description}</span>`}
          </div>
          <div class="row-actions">
            <button type="button" class="secondary" aria-label=${`Edit #${c.name}`} onClick=${() => setOpen({ item: c })}>Edit</button>
            <button type="button" class="danger" aria-label=${`Delete #${c.name}`} onClick=${() => setDeleting(c)}>Delete</button>
          </div>
        </li>`,
      )}
    </ul>
    ${open &&
    html`<${ChannelDialog} serverId=${server.id} channel=${open.item} onSaved=${saved} onClose=${closeDialog} />`}
    ${deleting &&
    html`<${ConfirmDialog} title=${`Delete #${deleting.name}?`} confirm="Delete channel" onConfirm=${remove} onClose=${() => setDeleting(null)}>
      <p>Its messages are deleted with it, for everyone.</p>
    <//>`}`;
}
