// Creating a channel, or renaming one and changing its description (the server's owner, or the
// channel's maker): one dialog for both, the API's errors under their fields.
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { Dialog } from "../ui/dialog.js";
import { Field, FormError, useSubmit } from "../ui/form.js";

/**
 * @param {{serverId: number, channel?: any, onClose: () => void, onSaved: (channel: any) => Promise<void>|void}} props
 *   channel: the one to edit; without it a new one is made
 */
export function ChannelDialog({ serverId, channel, onClose, onSaved }) {
  const { api } = useServices();
  const [name, setName] = useState(channel?.name ?? "");
  const [description, setDescription] = useState(channel?.description ?? "");
  const { busy, error, fields, run } = useSubmit(["name", "description"]);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(async () => {
      const body = { name: name.trim(), description: description.trim() };
      const saved = channel
        ? await api.patch(`/api/channels/${channel.id}/`, body)
        : await api.post("/api/channels/", { ...body, server: serverId, type: "text" });
      await onSaved(saved);
    });
  };
  return html`<${Dialog} title=${channel ? `Edit #${channel.name}` : "Create a channel"} onClose=${onClose}>
    <form onSubmit=${submit} novalidate>
      <${Field} label="Channel name" name="name" value=${name} onInput=${setName} error=${fields.name} maxlength="100" required autofocus
        hint="Names are kept in lowercase." />
      <${Field} label="Description" name="description" value=${description} onInput=${setDescription} error=${fields.description} multiline />
      <${FormError} error=${error} />
      <div class="dialog-actions">
        <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
        <button class="primary" disabled=${busy}>${busy ? "Saving…" : channel ? "Save" : "Create channel"}</button>
      </div>
    </form>
  <//>`;
}
