// Staff administration (/admin): the categories servers are filed under, and every account, with
// deactivating (shut out at once, everywhere) and reactivating. Only for staff (`me.is_staff`).
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { Tabs } from "../ui/tabs.js";
import { AdminCategories } from "./admin-categories.js";
import { AdminAccounts } from "./admin-accounts.js";

const SECTIONS = [
  { id: "categories", label: "Categories" },
  { id: "accounts", label: "Accounts" },
];

/** @param {{menu: any}} props */
export function Admin({ menu }) {
  const { store } = useServices();
  const me = useStore(store, (s) => s.me);
  const [section, setSection] = useState("categories");
  return html`<section class="pane">
    <header class="pane-header">${menu}<h1>Administration</h1></header>
    <div class="pane-body settings">
      ${me?.is_staff
        ? html`<${Tabs} label="Administration" tabs=${SECTIONS} current=${section} onSelect=${setSection}>
            ${section === "categories" ? html`<${AdminCategories} />` : html`<${AdminAccounts} me=${me} />`}
          <//>`
        : html`<p class="pane-message">Only staff can administer pingme. Ask an administrator if you need a category added or an account looked at.</p>`}
    </div>
  </section>`;
}
