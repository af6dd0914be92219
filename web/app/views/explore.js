// Finding servers: Explore lists the public servers by category, filtered by a category and by a
// text in their name, each card with Join (or Open for one's own); ServerPreview is what a link to
// a server the person is not in shows (public: a card to join; private: that it needs an invite).
import { html, useEffect, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { channelPath, navigate } from "../router.js";
import { Avatar } from "../ui/avatar.js";
import { FormError, useSubmit } from "../ui/form.js";
import { LoadStatus, useLoad } from "../ui/load.js";
import { ApiError } from "../api/errors.js";
import { categoryLabel, groupByCategory, isMember, membersText } from "../lib/community.js";

/** @param {{menu: any}} props */
export function Explore({ menu }) {
  const { api, store } = useServices();
  const categories = useStore(store, (s) => s.categories);
  const [category, setCategory] = useState("");
  const [typed, setTyped] = useState("");
  const search = useDebounced(typed.trim(), 300);
  const servers = useLoad(() => {
    const query = new URLSearchParams({ with_num_members: "true" });
    if (category) query.set("category", category);
    if (search) query.set("search", search);
    return api.page(`/api/servers/?${query}`);
  }, [category, search]);
  const more = useMore(servers.data);
  const list = more.items;
  const groups = list ? (category ? [{ category, servers: list }] : groupByCategory(list, categories)) : [];

  return html`<section class="pane">
    <header class="pane-header">${menu}<h1>Explore servers</h1></header>
    <div class="pane-body explore">
      <div class="explore-filters">
        <form role="search" class="search-box" onSubmit=${(/** @type {Event} */ e) => e.preventDefault()}>
          <label class="visually-hidden" for="explore-search">Search servers by name</label>
          <input id="explore-search" type="search" placeholder="Search servers by name" value=${typed} maxlength="100"
            onInput=${(/** @type {Event} */ e) => setTyped(/** @type {HTMLInputElement} */ (e.target).value)} />
        </form>
        <div class="chips" role="group" aria-label="Category">
          <button type="button" class="chip" aria-pressed=${category === "" ? "true" : "false"} onClick=${() => setCategory("")}>All</button>
          ${categories.map(
            (c) => html`<button type="button" key=${c.id} class="chip" aria-pressed=${category === c.name ? "true" : "false"}
              onClick=${() => setCategory(c.name)}>${categoryLabel(c.name)}</button>`,
          )}
        </div>
      </div>
      <${LoadStatus} state=${servers} what="the servers" />
      ${list && list.length === 0 &&
      html`<p class="explore-empty" role="status">${search ? `No public server's name contains “${search}”` : "No public servers here yet"}${category ? ` in ${categoryLabel(category)}` : ""}.</p>`}
      ${groups.map(
        (g) => html`<section class="server-group" key=${g.category} aria-labelledby=${`group-${g.category}`}>
          <h2 id=${`group-${g.category}`} class="section-title">${categoryLabel(g.category)}</h2>
          <ul class="server-cards">
            ${g.servers.map((s) => html`<li key=${s.id}><${ServerCard} server=${s} /></li>`)}
          </ul>
        </section>`,
      )}
      ${more.next &&
      html`<div class="explore-more">
        <${FormError} error=${more.error} />
        <button type="button" class="secondary" disabled=${more.busy} onClick=${more.load}>${more.busy ? "Loading…" : "Show more servers"}</button>
      </div>`}
    </div>
  </section>`;
}

/**
 * The pages of a listing after its first (`first`, as `api.page` answers), loaded one at a
 * time on request; forgotten when the first page changes (another filter).
 * @param {{items: any[], next: string|null}|null} first
 */
function useMore(first) {
  const { api } = useServices();
  const { busy, error, run } = useSubmit([]);
  const [loaded, setLoaded] = useState(/** @type {{after: any, items: any[], next: string|null}|null} */ (null));
  const extra = loaded && loaded.after === first ? loaded : null;
  const next = extra ? extra.next : (first?.next ?? null);
  const load = () =>
    run(async () => {
      if (!next) return;
      const page = await api.page(next);
      setLoaded({ after: first, items: [...(extra?.items ?? []), ...page.items], next: page.next });
    });
  const items = first ? [...first.items, ...(extra?.items ?? [])] : null;
  return { items, next, load, busy, error };
}

/**
 * The value once it has stopped changing for `ms` (a search as the person types).
 * @template T @param {T} value @param {number} ms
 */
function useDebounced(value, ms) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

/**
 * A server as a card: banner, icon, name, category, description, members, and Join or Open.
 * @param {{server: any, heading?: "h2"|"h3"}} props
 */
export function ServerCard({ server, heading = "h3" }) {
  const { store } = useServices();
  const mine = isMember(useStore(store, (s) => s.servers), server.id);
  const urls = server.server_image_urls ?? {};
  const Heading = heading;
  return html`<article class="server-card" aria-labelledby=${`server-${server.id}-name`}>
    <img class="server-card-banner" src=${urls.banner_image_url} alt="" loading="lazy" />
    <div class="server-card-body">
      <div class="server-card-icon"><${Avatar} name=${server.name} url=${urls.server_icon_url} size=${56} square /></div>
      <${Heading} id=${`server-${server.id}-name`} class="server-card-name">${server.name}<//>
      <p class="server-card-meta">${categoryLabel(server.category_name)}${server.num_members !== undefined ? ` · ${membersText(server.num_members)}` : ""}</p>
      ${server.description && html`<p class="server-card-description">${server.description}</p>`}
      ${mine ? html`<a class="secondary" href=${channelPath(server.id, server.channel_server?.[0]?.id)}>Open</a>` : html`<${JoinButton} server=${server} />`}
    </div>
  </article>`;
}

/** @param {{server: any}} props */
function JoinButton({ server }) {
  const { api, actions } = useServices();
  const { busy, error, run } = useSubmit([]);
  const join = () =>
    run(async () => {
      await api.post(`/api/servers/${server.id}/add_member/`);
      await actions.reloadServers();
      navigate(channelPath(server.id, server.channel_server?.[0]?.id));
    });
  return html`<div class="join">
    <${FormError} error=${error} />
    <button type="button" class="primary" disabled=${busy} onClick=${join} aria-label=${`Join ${server.name}`}>${busy ? "Joining…" : "Join"}</button>
  </div>`;
}

/** @param {{serverId: number, menu: any}} props */
export function ServerPreview({ serverId, menu }) {
  const { api } = useServices();
  const server = useLoad(() => api.get(`/api/servers/${serverId}/?with_num_members=true`), [serverId]);
  const status = server.error instanceof ApiError ? server.error.status : null;
  let body;
  if (status === 403) {
    body = html`<p class="pane-message">This server is private: you need an invite link from its owner to join it.</p>`;
  } else if (status === 404) {
    body = html`<p class="pane-message">This server does not exist (any more). <a href="/explore">Explore public servers</a>.</p>`;
  } else if (server.data) {
    body = html`<div class="preview"><${ServerCard} server=${server.data} heading="h2" /></div>`;
  } else {
    body = html`<${LoadStatus} state=${server} what="the server" />`;
  }
  return html`<section class="pane">
    <header class="pane-header">${menu}<h1>${server.data?.name ?? "Server"}</h1></header>
    <div class="pane-body">${body}</div>
  </section>`;
}
