// "Create a server", opened by the + in the server rail: the server's fields in a dialog; once
// made, the person's servers are reloaded and the new server opens on its first channel.
import { html } from "../lib/html.js";
import { useServices } from "../context.js";
import { Dialog } from "../ui/dialog.js";
import { channelPath, navigate } from "../router.js";
import { ServerForm } from "./server-form.js";

/** @param {{onClose: () => void}} props */
export function CreateServer({ onClose }) {
  const { api, actions } = useServices();
  const create = async (/** @type {FormData} */ form) => {
    const server = await api.request("POST", "/api/servers/", { form });
    await actions.reloadServers();
    onClose();
    navigate(channelPath(server.id, server.channel_server[0]?.id));
  };
  return html`<${Dialog} title="Create a server" onClose=${onClose} wide>
    <${ServerForm} submitLabel="Create server" busyLabel="Creating…" onSubmit=${create}>
      <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
    <//>
  <//>`;
}
