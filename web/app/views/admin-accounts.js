// Administration → Accounts: every account, searchable by login name, display name or e-mail
// address, a page at a time ("Show more" asks for the accounts after the last id shown), with
// deactivate and reactivate, each asked first.
import { html, useEffect, useState, useRef } from "../lib/html.js";
import { useServices } from "../context.js";
import { ConfirmDialog } from "../ui/confirm.js";
import { FormError, useSubmit } from "../ui/form.js";
import { formatDate } from "../lib/community.js";

const PAGE = 50;

/** @param {{me: any}} props */
export function AdminAccounts({ me }) {
  const { api } = useServices();
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  const [accounts, setAccounts] = useState(/** @type {any[]} */ ([]));
  const [more, setMore] = useState(false);
  const [asking, setAsking] = useState(/** @type {any} */ (null));
  const { busy, error, fields, run } = useSubmit(["search"]);
  // Answers can come back out of order (typing a search fast): only the latest one counts.
  const latest = useRef(0);

  /** @param {number|null} after the last id shown, or null for the first page */
  const load = (after) =>
    run(async () => {
      const ticket = ++latest.current;
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (search) query.set("search", search);
      if (after !== null) query.set("after", String(after));
      /** @type {any[]} */
      const page = await api.get(`/api/admin/accounts/?${query}`);
      if (ticket !== latest.current) return;
      setAccounts((shown) => (after === null ? page : [...shown, ...page]));
      setMore(page.length === PAGE);
    });
  useEffect(() => {
    load(null);
  }, [search]);

  const toggle = async () => {
    const verb = asking.is_active ? "deactivate" : "reactivate";
    const updated = await api.post(`/api/admin/accounts/${asking.id}/${verb}/`);
    setAccounts((shown) => shown.map((a) => (a.id === updated.id ? updated : a)));
    setAsking(null);
  };

  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    setSearch(typed.trim());
  };

  return html`<h2 class="settings-title">Accounts</h2>
    <form role="search" class="search-box" onSubmit=${submit}>
      <label class="visually-hidden" for="admin-search">Search accounts</label>
      <input id="admin-search" type="search" placeholder="Login name, display name or e-mail" value=${typed} maxlength="100"
        aria-invalid=${fields.search ? "true" : undefined} aria-describedby=${fields.search ? "admin-search-error" : undefined}
        onInput=${(/** @type {Event} */ e) => setTyped(/** @type {HTMLInputElement} */ (e.target).value)} />
      <button class="secondary">Search</button>
    </form>
    ${fields.search && html`<p class="error" id="admin-search-error">${fields.search}</p>`}
    <${FormError} error=${error} />
    ${!busy && accounts.length === 0 && !error && html`<p role="status">${search ? `No account matches “${search}”.` : "No accounts."}</p>`}
    <ul class="rows">
      ${accounts.map(
        (a) => html`<li class="row" key=${a.id}>
          <div class="row-main">
            <span class="row-title">${a.username} <span class="row-sub-inline">@${a.owner}</span>
              ${a.is_staff && html` <span class="badge">Staff</span>`}${!a.is_active && html` <span class="badge off">Deactivated</span>`}</span>
            <span class="row-sub">${a.email} · joined ${formatDate(a.created_at)}</span>
          </div>
          <div class="row-actions">
            ${a.id !== me.id &&
            html`<button type="button" class=${a.is_active ? "danger" : "secondary"} aria-label=${`${a.is_active ? "Deactivate" : "Reactivate"} @${a.owner}`}
              onClick=${() => setAsking(a)}>${a.is_active ? "Deactivate" : "Reactivate"}</button>`}
          </div>
        </li>`,
      )}
    </ul>
    ${more && html`<button type="button" class="secondary" disabled=${busy} onClick=${() => load(accounts[accounts.length - 1].id)}>${busy ? "Loading…" : "Show more"}</button>`}
    ${busy && !more && html`<p class="loading" role="status">Loading accounts…</p>`}
    ${asking &&
    html`<${ConfirmDialog} title=${`${asking.is_active ? "Deactivate" : "Reactivate"} @${asking.owner}?`} confirm=${asking.is_active ? "Deactivate" : "Reactivate"}
      danger=${asking.is_active} onConfirm=${toggle} onClose=${() => setAsking(null)}>
      <p>${asking.is_active
        ? `@${asking.owner} is logged out everywhere at once and cannot log in until reactivated.`
        : `@${asking.owner} can log in again.`}</p>
    <//>`}`;
}
