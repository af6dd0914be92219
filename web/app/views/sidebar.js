// The open server's column: its name (with the server's menu), its channels, and at the bottom the
// person's own panel (profile, settings, log out).
import { html } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { channelPath } from "../router.js";
import { Avatar } from "../ui/avatar.js";
import { ServerMenu } from "./server-menu.js";
import { Icon } from "../ui/icons.js";

/** @param {{server: any, route: import("../router.js").Route}} props */
export function Sidebar({ server, route }) {
  const channelId = route.name === "server" ? route.channelId : null;
  return html`<aside class="sidebar" aria-label=${server ? `${server.name}: channels` : "Navigation"}>
    ${server
      ? html`<${ServerMenu} server=${server} />
          <nav class="channels" aria-label="Channels">
            <h2 class="section-title">Text channels</h2>
            <ul>
              ${server.channel_server.map(
                (/** @type {any} */ c) => html`<li key=${c.id}>
                  <a class=${c.id === channelId ? "channel active" : "channel"} href=${channelPath(server.id, c.id)}
                    aria-current=${c.id === channelId ? "page" : undefined}>
                    <span class="hash" aria-hidden="true">#</span><span class="channel-name">${c.name}</span>
                  </a>
                </li>`,
              )}
            </ul>
          </nav>`
      : html`<div class="sidebar-header"><h2>pingme</h2></div>
          <nav class="channels" aria-label="Places">
            <ul>
              <li><a class=${route.name === "explore" ? "channel active" : "channel"} href="/explore">Explore servers</a></li>
              <li><a class=${route.name === "settings" ? "channel active" : "channel"} href="/settings">Your account</a></li>
            </ul>
          </nav>`}
    <${UserPanel} />
  </aside>`;
}

function UserPanel() {
  const { store, api } = useServices();
  const me = useStore(store, (s) => s.me);
  const connection = useStore(store, (s) => s.connection);
  if (!me) return null;
  return html`<div class="user-panel">
    <${Avatar} name=${me.username} url=${me.image_url} size=${32} />
    <div class="who">
      <span class="name">${me.username}</span>
      <span class="login">@${me.owner}${connection !== "online" ? html` · <span class="offline">${connection === "connecting" ? "reconnecting" : "offline"}</span>` : ""}</span>
    </div>
    ${me.is_staff && html`<a class="icon-button" href="/admin" aria-label="Administration" title="Administration"><${Icon} name="shield" /></a>`}
    <a class="icon-button" href="/settings" aria-label="Your account settings" title="Settings"><${Icon} name="gear" /></a>
    <button type="button" class="icon-button" aria-label="Log out" title="Log out" onClick=${() => api.logout()}><${Icon} name="logout" /></button>
  </div>`;
}
