// The open server's column: its name (with the server's menu), its channels, and at the bottom the
// person's own panel (profile, settings, log out).
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { channelPath } from "../router.js";
import { MenuButton } from "../ui/menu.js";
import { PresenceAvatar, STATUS_WORDS } from "../ui/presence.js";
import { STATUSES } from "../realtime/live.js";
import { ServerMenu } from "./server-menu.js";
import { Icon } from "../ui/icons.js";
import { Avatar } from "../ui/avatar.js";
import { dmName } from "../realtime/state.js";

/** @param {{server: any, route: import("../router.js").Route}} props */
export function Sidebar({ server, route }) {
  const { store } = useServices();
  const readStates = useStore(store, (s) => s.readStates);
  const channelId = route.name === "server" ? route.channelId : null;
  return html`<aside class="sidebar" aria-label=${server ? `${server.name}: channels` : "Navigation"}>
    ${server
      ? html`<${ServerMenu} server=${server} />
          <nav class="channels" aria-label="Channels">
            <h2 class="section-title">Text channels</h2>
            <ul>
              ${server.channel_server.map((/** @type {any} */ c) => {
                const read = c.id === channelId ? null : readStates[c.id];
                const unread = (read?.unread_count ?? 0) > 0;
                const mentions = read?.mention_count ?? 0;
                const classes = ["channel", c.id === channelId && "active", unread && "unread"].filter(Boolean).join(" ");
                return html`<li key=${c.id}>
                  <a class=${classes} href=${channelPath(server.id, c.id)} aria-current=${c.id === channelId ? "page" : undefined}>
                    <span class="hash" aria-hidden="true">#</span><span class="channel-name">${c.name}</span>
                    ${unread && !mentions && html`<span class="visually-hidden">, unread messages</span>`}
                    ${mentions > 0 && html`<span class="mention-badge" title=${mentionWords(mentions)}><span aria-hidden="true">${badge(mentions)}</span><span class="visually-hidden">, ${mentionWords(mentions)}</span></span>`}
                  </a>
                </li>`;
              })}
            </ul>
          </nav>`
      : html`<div class="sidebar-header"><h2>pingme</h2></div>
          <nav class="channels" aria-label="Places">
            <ul>
              <li><a class=${route.name === "explore" ? "channel active" : "channel"} href="/explore">Explore servers</a></li>
              <li><a class=${route.name === "settings" ? "channel active" : "channel"} href="/settings">Your account</a></li>
            </ul>
            <${DmList} route=${route} />
          </nav>`}
    <${UserPanel} />
  </aside>`;
}

/** The person's direct messages, each with its unread state. @param {{route: import("../router.js").Route}} props */
function DmList({ route }) {
  const { store } = useServices();
  const dms = useStore(store, (s) => s.dms);
  const readStates = useStore(store, (s) => s.readStates);
  const open = route.name === "dm" ? route.channelId : null;
  return html`<h2 class="section-title">Direct messages</h2>
    ${dms.length === 0 && html`<p class="hint sidebar-hint">Open someone's profile and choose Message to talk to them alone.</p>`}
    <ul class="dm-list">
      ${dms.map((dm) => {
        const read = dm.id === open ? null : readStates[dm.id];
        const unread = (read?.unread_count ?? 0) > 0;
        const mentions = read?.mention_count ?? 0;
        const name = dmName(dm);
        const classes = ["channel", "dm", dm.id === open && "active", unread && "unread"].filter(Boolean).join(" ");
        const face = dm.recipients[0];
        return html`<li key=${dm.id}>
          <a class=${classes} href=${`/dms/${dm.id}`} aria-current=${dm.id === open ? "page" : undefined}>
            <${Avatar} name=${face?.username ?? "?"} url=${face?.image_url} size=${24} />
            <span class="channel-name">${name}</span>
            ${unread && !mentions && html`<span class="visually-hidden">, unread messages</span>`}
            ${mentions > 0 && html`<span class="mention-badge" title=${mentionWords(mentions)}><span aria-hidden="true">${badge(mentions)}</span><span class="visually-hidden">, ${mentionWords(mentions)}</span></span>`}
          </a>
        </li>`;
      })}
    </ul>`;
}

/** A count as a badge shows it. @param {number} n */
export const badge = (n) => (n > 99 ? "99+" : String(n));
/** @param {number} n */
export const mentionWords = (n) => `${n} mention${n === 1 ? "" : "s"}`;

function UserPanel() {
  const { store, api, actions } = useServices();
  const me = useStore(store, (s) => s.me);
  const connection = useStore(store, (s) => s.connection);
  const status = useStore(store, (s) => s.status);
  const [, setAsked] = useState(0);
  const redraw = () => setAsked((n) => n + 1);
  if (!me) return null;
  /** @type {import("../ui/menu.js").MenuItem[]} */
  const statuses = STATUSES.map(([value, label]) => ({ label: value === status ? `${label} ✓` : label, onSelect: () => actions.live.choose(value) }));
  if (typeof Notification !== "undefined" && Notification.permission === "default") {
    statuses.push({ label: "Notify me of mentions", onSelect: () => void Notification.requestPermission().then(redraw) });
  }
  return html`<div class="user-panel">
    <${MenuButton} label=${`Your status: ${STATUS_WORDS[status]}. Change it`} items=${statuses} className="status-button">
      <${PresenceAvatar} name=${me.username} url=${me.image_url} size=${32} status=${status} />
    <//>
    <div class="who">
      <span class="name">${me.username}</span>
      <span class="login">@${me.owner}${connection !== "online" ? html` · <span class="offline">${connection === "connecting" ? "reconnecting" : "offline"}</span>` : ""}</span>
    </div>
    ${me.is_staff && html`<a class="icon-button" href="/admin" aria-label="Administration" title="Administration"><${Icon} name="shield" /></a>`}
    <a class="icon-button" href="/settings" aria-label="Your account settings" title="Settings"><${Icon} name="gear" /></a>
    <button type="button" class="icon-button" aria-label="Log out" title="Log out" onClick=${() => api.logout()}><${Icon} name="logout" /></button>
  </div>`;
}
