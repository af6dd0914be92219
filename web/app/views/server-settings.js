// A server's settings (/servers/<id>/settings), for its owner: Overview (its fields and images),
// Channels, Invites, Members, Bans, and deleting it. Everyone else is told that only the owner
// manages the server.
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { channelPath, navigate } from "../router.js";
import { Tabs } from "../ui/tabs.js";
import { ConfirmDialog } from "../ui/confirm.js";
import { isOwner } from "../lib/community.js";
import { ServerForm } from "./server-form.js";
import { ServerChannels } from "./server-channels.js";
import { ServerInvites } from "./server-invites.js";
import { ServerBans, ServerMembers } from "./server-members.js";
import { Icon } from "../ui/icons.js";

const SECTIONS = [
  { id: "overview", label: "Overview" },
  { id: "channels", label: "Channels" },
  { id: "invites", label: "Invites" },
  { id: "members", label: "Members" },
  { id: "bans", label: "Bans" },
  { id: "delete", label: "Delete server" },
];

/** @param {{server: any, menu: any}} props */
export function ServerSettings({ server, menu }) {
  const { store } = useServices();
  const me = useStore(store, (s) => s.me);
  const [section, setSection] = useState("overview");
  const header = html`<header class="pane-header">${menu}<h1>${server.name}: settings</h1>
    <span class="spacer"></span><a class="icon-button" href=${channelPath(server.id, server.channel_server[0]?.id)} aria-label="Close the settings" title="Close"><${Icon} name="close" /></a>
  </header>`;
  if (!isOwner(server, me)) {
    return html`<section class="pane">${header}
      <div class="pane-body"><p class="pane-message">Only the owner of ${server.name} (@${server.owner}) can change its settings.</p></div>
    </section>`;
  }
  return html`<section class="pane">${header}
    <div class="pane-body settings">
      <${Tabs} label="Server settings" tabs=${SECTIONS} current=${section} onSelect=${setSection}>
        ${section === "overview" && html`<${Overview} server=${server} key=${server.updated_at} />`}
        ${section === "channels" && html`<${ServerChannels} server=${server} />`}
        ${section === "invites" && html`<${ServerInvites} server=${server} />`}
        ${section === "members" && html`<${ServerMembers} server=${server} />`}
        ${section === "bans" && html`<${ServerBans} server=${server} />`}
        ${section === "delete" && html`<${DeleteServer} server=${server} />`}
      <//>
    </div>
  </section>`;
}

/** @param {{server: any}} props */
function Overview({ server }) {
  const { api, actions } = useServices();
  const save = async (/** @type {FormData} */ form) => {
    await api.request("PATCH", `/api/servers/${server.id}/`, { form });
    await actions.reloadServers();
    actions.notify("Server saved.");
  };
  return html`<h2 class="settings-title">Overview</h2>
    <${ServerForm} server=${server} submitLabel="Save changes" busyLabel="Saving…" onSubmit=${save} />`;
}

/** @param {{server: any}} props */
function DeleteServer({ server }) {
  const { api, actions } = useServices();
  const [asking, setAsking] = useState(false);
  const remove = async () => {
    await api.delete(`/api/servers/${server.id}/`);
    await actions.reloadServers();
    actions.notify(`${server.name} was deleted.`);
    navigate("/");
  };
  return html`<h2 class="settings-title">Delete server</h2>
    <p>Deleting ${server.name} removes its channels, their messages, its members, bans and invites, for everyone. It cannot be undone.</p>
    <button type="button" class="danger" onClick=${() => setAsking(true)}>Delete ${server.name}…</button>
    ${asking &&
    html`<${ConfirmDialog} title=${`Delete ${server.name}?`} confirm="Delete server" typeToConfirm=${server.name} onConfirm=${remove} onClose=${() => setAsking(false)}>
      <p>Everything in ${server.name} will be gone for good.</p>
    <//>`}`;
}
