// The fields of a server, shared by "Create a server" and the Overview of its settings: name,
// category, description, privacy, icon and banner, sent as one multipart body so that the
// images go with the rest (docs/api.md: servers).
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { Field, FormError, useSubmit } from "../ui/form.js";
import { CheckboxField, ImageField, SelectField } from "../ui/fields.js";
import { categoryLabel, toFormData } from "../lib/community.js";

const FIELDS = ["name", "category", "description", "is_private", "server_icon", "banner_image"];

/**
 * @param {{server?: any, submitLabel: string, busyLabel: string, onSubmit: (body: FormData) => Promise<void>, children?: any}} props
 *   server: the values to start from (editing); children: buttons beside the submit button
 */
export function ServerForm({ server, submitLabel, busyLabel, onSubmit, children }) {
  const { store } = useServices();
  const categories = useStore(store, (s) => s.categories);
  const [name, setName] = useState(server?.name ?? "");
  const [category, setCategory] = useState(String(server?.category ?? categories[0]?.id ?? ""));
  const [description, setDescription] = useState(server?.description ?? "");
  const [isPrivate, setPrivate] = useState(Boolean(server?.is_private));
  const [icon, setIcon] = useState(/** @type {File|null} */ (null));
  const [banner, setBanner] = useState(/** @type {File|null} */ (null));
  const { busy, error, fields, run } = useSubmit(FIELDS);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(() =>
      onSubmit(toFormData({ name, category, description, is_private: isPrivate, server_icon: icon, banner_image: banner })),
    );
  };
  const options = categories.map((c) => /** @type {const} */ ([String(c.id), categoryLabel(c.name)]));
  return html`<form class="server-form" onSubmit=${submit} novalidate>
    <${Field} label="Server name" name="name" value=${name} onInput=${setName} error=${fields.name} maxlength="100" required autofocus=${!server} />
    <${SelectField} label="Category" name="category" value=${category} options=${options} onChange=${setCategory} error=${fields.category} />
    <${Field} label="Description" name="description" value=${description} onInput=${setDescription} error=${fields.description} multiline maxlength="255"
      hint="What the server is about, shown in Explore (at most 255 characters)." />
    <${CheckboxField} label="Private server" name="is_private" checked=${isPrivate} onChange=${setPrivate} error=${fields.is_private}
      hint="A private server is not listed in Explore; people join it only with an invite link." />
    <div class="image-pair">
      <${ImageField} label="Icon" name="server_icon" file=${icon} current=${server?.server_image_urls?.server_icon_url} onChange=${setIcon} error=${fields.server_icon} />
      <${ImageField} label="Banner" name="banner_image" file=${banner} current=${server?.server_image_urls?.banner_image_url} onChange=${setBanner}
        error=${fields.banner_image} shape="banner" />
    </div>
    <${FormError} error=${error} />
    <div class="dialog-actions">
      ${children}
      <button class="primary" disabled=${busy}>${busy ? busyLabel : submitLabel}</button>
    </div>
  </form>`;
}
