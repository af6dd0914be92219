// The logged-in layout: the server rail (the person's servers, explore, create), the sidebar of
// the open server (its channels, the person's panel) and the main pane. On a phone the rail and
// sidebar are a drawer opened from the main pane's header.
import { html, useEffect, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { LAST_CHANNEL } from "../actions.js";
import { useStore } from "../store.js";
import { channelPath, navigate } from "../router.js";
import { Avatar } from "../ui/avatar.js";
import { Sidebar, badge, mentionWords } from "./sidebar.js";
import { dmName, dmsUnread, serverUnread } from "../realtime/state.js";
import { Explore, ServerPreview } from "./explore.js";
import { ChatView } from "../chat/chat-view.js";
import { ServerSettings } from "./server-settings.js";
import { InviteView } from "./invite.js";
import { AccountSettings } from "./settings.js";
import { Admin } from "./admin.js";
import { CreateServer } from "./create-server.js";
import { Icon } from "../ui/icons.js";


/** @param {{route: import("../router.js").Route}} props */
export function Shell({ route }) {
  const { store } = useServices();
  const servers = useStore(store, (s) => s.servers) ?? [];
  const readStates = useStore(store, (s) => s.readStates);
  const dms = useStore(store, (s) => s.dms);
  const [drawer, setDrawer] = useState(false);
  const [creating, setCreating] = useState(false);
  // Opening the app at Home goes back to where the person last was; Home chosen later does not.
  const [restore, setRestore] = useState(() => route.name === "home");
  const serverId = "serverId" in route ? route.serverId : null;
  const server = servers.find((s) => s.id === serverId) ?? null;

  // A new address closes the drawer (phones), and a channel is remembered for next time.
  useEffect(() => {
    setDrawer(false);
    if ((route.name === "server" && route.channelId) || route.name === "dm") localStorage.setItem(LAST_CHANNEL, location.pathname);
  }, [location.pathname]);
  useChannelShortcuts(server, route);
  // The live connection, from the first screen on (logging out closes it).
  const { actions } = useServices();
  useEffect(() => actions.live.start(), []);

  return html`<div class=${drawer ? "shell drawer-open" : "shell"}>
    <a class="skip-link" href="#main">Skip to the conversation</a>
    <nav class="rail" aria-label="Servers">
      <${HomeItem} active=${route.name === "home" || route.name === "dm"} dms=${dms} readStates=${readStates} />
      <div class="rail-separator" role="separator"></div>
      <ul class="rail-list">
        ${servers.map((s) => {
          const { unread, mentions } = serverUnread(s, readStates);
          const label = [s.name, unread > 0 && "unread messages", mentions > 0 && mentionWords(mentions)].filter(Boolean).join(", ");
          return html`<li key=${s.id} class=${unread > 0 ? "has-unread" : undefined}>
            <a class=${s.id === serverId ? "rail-item active" : "rail-item"} href=${channelPath(s.id, s.channel_server[0]?.id)}
              aria-label=${label} aria-current=${s.id === serverId ? "page" : undefined} title=${s.name}>
              <${Avatar} name=${s.name} url=${s.server_image_urls?.server_icon_url} size=${44} square />
              ${mentions > 0 && html`<span class="mention-badge rail-badge" aria-hidden="true">${badge(mentions)}</span>`}
            </a>
          </li>`;
        })}
      </ul>
      <button type="button" class="rail-item rail-action" aria-label="Create a server" title="Create a server" onClick=${() => setCreating(true)}><${Icon} name="plus" size=${26} /></button>
      <a class=${route.name === "explore" ? "rail-item rail-action active" : "rail-item rail-action"} href="/explore" aria-label="Explore servers" title="Explore servers"><${Icon} name="compass" size=${26} /></a>
    </nav>
    <${Sidebar} server=${server} route=${route} />
    <div class="drawer-scrim" onClick=${() => setDrawer(false)}></div>
    <div class="main" id="main" tabindex="-1">
      <${MainPane} route=${route} server=${server} servers=${servers} openDrawer=${() => setDrawer(true)}
        restore=${restore} onRestored=${() => setRestore(false)} />
    </div>
    ${creating && html`<${CreateServer} onClose=${() => setCreating(false)} />`}
  </div>`;
}

/**
 * @param {{route: import("../router.js").Route, server: any, servers: any[], openDrawer: () => void,
 *   restore: boolean, onRestored: () => void}} props
 */
function MainPane({ route, server, servers, openDrawer, restore, onRestored }) {
  const menu = html`<button type="button" class="icon-button drawer-button" aria-label="Open the server list" onClick=${openDrawer}><${Icon} name="menu" /></button>`;
  switch (route.name) {
    case "home":
      return html`<${Home} servers=${servers} menu=${menu} restore=${restore} onRestored=${onRestored} />`;
    case "explore":
      return html`<${Explore} menu=${menu} />`;
    case "server":
      if (!server) return html`<${ServerPreview} serverId=${route.serverId} menu=${menu} />`;
      return html`<${ServerChannel} server=${server} channelId=${route.channelId} menu=${menu} />`;
    case "server-settings":
      return server ? html`<${ServerSettings} server=${server} menu=${menu} />` : html`<${ServerPreview} serverId=${route.serverId} menu=${menu} />`;
    case "invite":
      return html`<${InviteView} code=${route.code} menu=${menu} />`;
    case "settings":
      return html`<${AccountSettings} menu=${menu} />`;
    case "admin":
      return html`<${Admin} menu=${menu} />`;
    case "dm":
      return html`<${DmChannel} channelId=${route.channelId} menu=${menu} />`;
    default:
      return html`<${Empty} menu=${menu} title="Not found">There is nothing at this address. <a href="/">Go home</a>.<//>`;
  }
}

/** @param {{server: any, channelId: number|null, menu: any}} props */
function ServerChannel({ server, channelId, menu }) {
  const channel = server.channel_server.find((/** @type {any} */ c) => c.id === channelId);
  useEffect(() => {
    if (!channel && server.channel_server.length > 0) navigate(channelPath(server.id, server.channel_server[0].id), { replace: true });
  }, [server.id, channelId, channel]);
  if (!channel) {
    return html`<${Empty} menu=${menu} title=${server.name}>${server.channel_server.length === 0 ? "This server has no channels yet." : "That channel does not exist (any more)."}<//>`;
  }
  return html`<${ChatView} key=${channel.id} server=${server} channel=${channel} menu=${menu} />`;
}

/**
 * The rail's first item: home, with the direct messages' unread dot and mentions.
 * @param {{active: boolean, dms: import("../realtime/state.js").Dm[], readStates: import("../realtime/state.js").ReadStates}} props
 */
function HomeItem({ active, dms, readStates }) {
  const { unread, mentions } = dmsUnread(dms, readStates);
  const label = ["Home and direct messages", unread > 0 && "unread messages", mentions > 0 && mentionWords(mentions)].filter(Boolean).join(", ");
  return html`<div class=${unread > 0 ? "rail-home has-unread" : "rail-home"}>
    <a class=${active ? "rail-item active" : "rail-item"} href="/" aria-label=${label} title="Home">
      <img src=${new URL("../../static/icon.svg", import.meta.url).href} alt="" width="44" height="44" />
      ${mentions > 0 && html`<span class="mention-badge rail-badge" aria-hidden="true">${badge(mentions)}</span>`}
    </a>
  </div>`;
}

/** A direct message's chat, once the gateway has said which the person has. @param {{channelId: number, menu: any}} props */
function DmChannel({ channelId, menu }) {
  const { store } = useServices();
  const dms = useStore(store, (s) => s.dms);
  const readies = useStore(store, (s) => s.ready);
  const dm = dms.find((d) => d.id === channelId);
  if (!dm) {
    if (readies === 0) return html`<${Empty} menu=${menu} title="Direct message">Loading…<//>`;
    return html`<${Empty} menu=${menu} title="Not found">This conversation is not one of yours (any more). <a href="/">Go home</a>.<//>`;
  }
  return html`<${ChatView} key=${dm.id} server=${null} dm=${dm} channel=${{ id: dm.id, name: dmName(dm), prefix: "@" }} menu=${menu} />`;
}

/**
 * Home: on opening the app (`restore`), where the person last was (or their first server);
 * afterwards (the rail's first item) the direct messages, listed in the sidebar.
 * @param {{servers: any[], menu: any, restore: boolean, onRestored: () => void}} props
 */
function Home({ servers, menu, restore, onRestored }) {
  const { store } = useServices();
  const dms = useStore(store, (s) => s.dms);
  useEffect(() => {
    if (!restore) return;
    onRestored();
    const last = localStorage.getItem(LAST_CHANNEL);
    const lastServer = last?.match(/^\/servers\/(\d+)\//)?.[1];
    if (last && (servers.some((s) => String(s.id) === lastServer) || /^\/dms\/\d+$/.test(last))) navigate(last, { replace: true });
    else if (servers.length > 0) navigate(channelPath(servers[0].id, servers[0].channel_server[0]?.id), { replace: true });
  }, []);
  if (restore) return null;
  if (servers.length === 0 && dms.length === 0) {
    return html`<${Empty} menu=${menu} title="Welcome to pingme">
      You are not in any server yet. <a href="/explore">Explore public servers</a> or create your own with the + on the left.
    <//>`;
  }
  return html`<${Empty} menu=${menu} title="Direct messages">
    ${dms.length > 0 ? "Pick a conversation on the left." : "No conversations yet."} To talk to someone alone, open their profile (a click on their name) and choose Message.
  <//>`;
}

/** @param {{title: string, menu: any, children: any}} props */
export function Empty({ title, menu, children }) {
  return html`<section class="pane">
    <header class="pane-header">${menu}<h1>${title}</h1></header>
    <div class="pane-body empty"><p>${children}</p></div>
  </section>`;
}

/**
 * Alt+↑ / Alt+↓ move to the previous / next channel of the open server.
 * @param {any} server @param {import("../router.js").Route} route
 */
function useChannelShortcuts(server, route) {
  useEffect(() => {
    if (!server || route.name !== "server") return;
    const onKey = (/** @type {KeyboardEvent} */ e) => {
      if (!e.altKey || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
      // Not behind an open dialog: it has the person's attention.
      if (document.querySelector("dialog[open]")) return;
      const channels = server.channel_server;
      const at = channels.findIndex((/** @type {any} */ c) => c.id === route.channelId);
      const next = channels[at + (e.key === "ArrowUp" ? -1 : 1)];
      if (next) {
        e.preventDefault();
        navigate(channelPath(server.id, next.id));
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [server, route]);
}
