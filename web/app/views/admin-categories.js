// Administration → Categories: the list every server is filed under, with create, edit (name,
// description, icon) and delete; a category still in use cannot be deleted, and the API says so.
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { Avatar } from "../ui/avatar.js";
import { Dialog } from "../ui/dialog.js";
import { ConfirmDialog } from "../ui/confirm.js";
import { Field, FormError, useSubmit } from "../ui/form.js";
import { ImageField } from "../ui/fields.js";
import { categoryLabel, toFormData } from "../lib/community.js";

export function AdminCategories() {
  const { api, store, actions } = useServices();
  const categories = useStore(store, (s) => s.categories);
  // The form open: {item: null} to create, {item} to edit, null for none.
  const [open, setOpen] = useState(/** @type {{item: any}|null} */ (null));
  const [deleting, setDeleting] = useState(/** @type {any} */ (null));
  const closeDialog = () => setOpen(null);
  const remove = async () => {
    await api.delete(`/api/categories/${deleting.id}/`);
    await actions.reloadCategories();
    actions.notify(`The category ${deleting.name} was deleted.`);
    setDeleting(null);
  };
  return html`<div class="settings-title-row">
      <h2 class="settings-title">Categories</h2>
      <button type="button" class="primary" onClick=${() => setOpen({ item: null })}>Create category</button>
    </div>
    ${categories.length === 0 && html`<p>No categories: nobody can create a server until there is one.</p>`}
    <ul class="rows">
      ${categories.map(
        (c) => html`<li class="row" key=${c.id}>
          <${Avatar} name=${c.name} url=${c.category_icon_url} size=${36} square />
          <div class="row-main">
            <span class="row-title">${categoryLabel(c.name)}</span>
            ${c.description && html`<span class="row-sub">${c.description}</span>`}
          </div>
          <div class="row-actions">
            <button type="button" class="secondary" aria-label=${`Edit the category ${c.name}`} onClick=${() => setOpen({ item: c })}>Edit</button>
            <button type="button" class="danger" aria-label=${`Delete the category ${c.name}`} onClick=${() => setDeleting(c)}>Delete</button>
          </div>
        </li>`,
      )}
    </ul>
    ${open && html`<${CategoryDialog} category=${open.item} onClose=${closeDialog} />`}
    ${deleting &&
    html`<${ConfirmDialog} title=${`Delete the category ${deleting.name}?`} confirm="Delete category" onConfirm=${remove} onClose=${() => setDeleting(null)}>
      <p>Only a category no server uses can be deleted.</p>
    <//>`}`;
}

/** @param {{category: any, onClose: () => void}} props category: the one to edit, or null for a new one */
function CategoryDialog({ category, onClose }) {
  const { api, actions } = useServices();
  const [name, setName] = useState(category?.name ?? "");
  const [description, setDescription] = useState(category?.description ?? "");
  const [icon, setIcon] = useState(/** @type {File|null} */ (null));
  const { busy, error, fields, run } = useSubmit(["name", "description", "icon"]);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(async () => {
      const form = toFormData({ name, description, icon });
      if (category) await api.request("PATCH", `/api/categories/${category.id}/`, { form });
      else await api.request("POST", "/api/categories/", { form });
      await actions.reloadCategories();
      actions.notify(category ? "Category saved." : "Category created.");
      onClose();
    });
  };
  return html`<${Dialog} title=${category ? `Edit ${category.name}` : "Create a category"} onClose=${onClose}>
    <form onSubmit=${submit} novalidate>
      <${Field} label="Category name" name="name" value=${name} onInput=${setName} error=${fields.name} required autofocus hint="Kept in lowercase; each name once." />
      <${Field} label="Description" name="description" value=${description} onInput=${setDescription} error=${fields.description} multiline />
      <${ImageField} label="Icon" name="icon" file=${icon} current=${category?.category_icon_url} onChange=${setIcon} error=${fields.icon} />
      <${FormError} error=${error} />
      <div class="dialog-actions">
        <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
        <button class="primary" disabled=${busy}>${busy ? "Saving…" : category ? "Save" : "Create category"}</button>
      </div>
    </form>
  <//>`;
}
