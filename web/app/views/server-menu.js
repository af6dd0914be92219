// The open server's name at the top of the sidebar, with its menu: invite people, the server's
// settings and a new channel (owner), leaving it (everyone else; the owner is told how to hand it
// over first).
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { channelPath, navigate } from "../router.js";
import { MenuButton } from "../ui/menu.js";
import { ConfirmDialog } from "../ui/confirm.js";
import { Dialog } from "../ui/dialog.js";
import { serverPermissions } from "../lib/community.js";
import { InviteDialog } from "./invite-dialog.js";
import { ChannelDialog } from "./channel-dialog.js";
import { Icon } from "../ui/icons.js";

/** @param {{server: any}} props */
export function ServerMenu({ server }) {
  const { api, store, actions } = useServices();
  const me = useStore(store, (s) => s.me);
  const [open, setOpen] = useState(/** @type {null|"invite"|"channel"|"leave"} */ (null));
  const may = serverPermissions(server, me);
  const close = () => setOpen(null);

  /** @type {import("../ui/menu.js").MenuItem[]} */
  const items = [];
  if (may.invite || may.share) items.push({ label: "Invite people", onSelect: () => setOpen("invite") });
  if (may.manage) {
    items.push({ label: "Server settings", onSelect: () => navigate(`/servers/${server.id}/settings`) });
    items.push({ label: "Create channel", onSelect: () => setOpen("channel") });
  }
  items.push({ label: "Leave server", onSelect: () => setOpen("leave"), danger: true });

  const leave = async () => {
    await api.post(`/api/servers/${server.id}/remove_member/`);
    close();
    await actions.reloadServers();
    actions.notify(`You left ${server.name}.`);
    navigate("/");
  };
  const created = async (/** @type {any} */ channel) => {
    await actions.reloadServers();
    close();
    navigate(channelPath(server.id, channel.id));
  };

  return html`<div class="sidebar-header">
    <h2>${server.name}</h2>
    <${MenuButton} label=${`${server.name}: server menu`} items=${items}><${Icon} name="chevron" /><//>
    ${open === "invite" && html`<${InviteDialog} server=${server} owner=${may.invite} onClose=${close} />`}
    ${open === "channel" && html`<${ChannelDialog} serverId=${server.id} onClose=${close} onSaved=${created} />`}
    ${open === "leave" &&
    (may.leave
      ? html`<${ConfirmDialog} title=${`Leave ${server.name}?`} confirm="Leave server" onConfirm=${leave} onClose=${close}>
          <p>You will stop seeing its channels.${server.is_private ? " It is private: you will need a new invite to come back." : ""}</p>
        <//>`
      : html`<${Dialog} title="You own this server" onClose=${close}>
          <p>The owner cannot leave. Hand the server over to another member first (Server settings → Members → Make owner), or delete it (Server settings → Delete server).</p>
          <div class="dialog-actions">
            <button type="button" class="secondary" onClick=${close}>Close</button>
            <a class="primary" href=${`/servers/${server.id}/settings`} onClick=${close}>Server settings</a>
          </div>
        <//>`)}
  </div>`;
}
