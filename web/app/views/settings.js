// The person's own account (/settings): display name, bio, location and avatar (with a preview),
// the sessions where they are logged in, and deleting the account after typing its login name.
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { Field, FormError, useSubmit } from "../ui/form.js";
import { ImageField } from "../ui/fields.js";
import { ConfirmDialog } from "../ui/confirm.js";
import { toFormData } from "../lib/community.js";
import { Sessions } from "./sessions.js";

/** @param {{menu: any}} props */
export function AccountSettings({ menu }) {
  const { store } = useServices();
  const me = useStore(store, (s) => s.me);
  const [deleting, setDeleting] = useState(false);
  if (!me) return null;
  return html`<section class="pane">
    <header class="pane-header">${menu}<h1>Your account</h1></header>
    <div class="pane-body settings">
      <section class="settings-section" aria-labelledby="profile-title">
        <h2 class="settings-title" id="profile-title">Profile</h2>
        <${Profile} me=${me} key=${me.updated_at} />
      </section>
      <section class="settings-section" aria-labelledby="sessions-title">
        <p>Logged in as <strong>@${me.owner}</strong>.</p>
        <${Sessions} />
      </section>
      <section class="settings-section danger-zone" aria-labelledby="delete-title">
        <h2 class="settings-title" id="delete-title">Delete your account</h2>
        <p>Your account is deleted at once and for good. Your messages stay, shown as from “Deleted User”; servers you own go to their longest-standing member, or are deleted when you are their only member.</p>
        <button type="button" class="danger" onClick=${() => setDeleting(true)}>Delete my account…</button>
      </section>
    </div>
    ${deleting && html`<${DeleteAccount} login=${me.owner} onClose=${() => setDeleting(false)} />`}
  </section>`;
}

/** @param {{me: any}} props */
function Profile({ me }) {
  const { api, actions } = useServices();
  const [username, setUsername] = useState(me.username);
  const [content, setContent] = useState(me.content ?? "");
  const [location, setLocation] = useState(me.location ?? "");
  const [image, setImage] = useState(/** @type {File|null} */ (null));
  const { busy, error, fields, run } = useSubmit(["username", "content", "location", "image"]);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(async () => {
      await api.request("PATCH", "/api/account/edit_me/", { form: toFormData({ username, content, location, image }) });
      await actions.reloadMe();
      actions.notify("Profile saved.");
    });
  };
  return html`<form class="profile-form" onSubmit=${submit} novalidate>
    <${ImageField} label="Avatar" name="image" file=${image} current=${me.image_url} onChange=${setImage} error=${fields.image} shape="round" />
    <${Field} label="Display name" name="username" value=${username} onInput=${setUsername} error=${fields.username} maxlength="150" required
      hint=${`What others see beside your messages; your login name stays @${me.owner}.`} />
    <${Field} label="About you" name="content" value=${content} onInput=${setContent} error=${fields.content} multiline maxlength="1000" />
    <${Field} label="Location" name="location" value=${location} onInput=${setLocation} error=${fields.location} maxlength="100" />
    <${FormError} error=${error} />
    <button class="primary" disabled=${busy}>${busy ? "Saving…" : "Save profile"}</button>
  </form>`;
}

/** @param {{login: string, onClose: () => void}} props */
function DeleteAccount({ login, onClose }) {
  const { api } = useServices();
  const remove = async () => {
    await api.delete("/api/account/delete_me/");
    api.forget();
  };
  return html`<${ConfirmDialog} title="Delete your account?" confirm="Delete my account" typeToConfirm=${login} onConfirm=${remove} onClose=${onClose}>
    <p>This cannot be undone.</p>
  <//>`;
}
