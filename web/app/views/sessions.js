// Settings → Sessions: where the person is logged in (each login a session: its device, address
// and when it was last seen), logging one out, the current one, or every other one at once.
// A session logged out here is closed at once wherever it is open.
import { html } from "../lib/html.js";
import { useServices } from "../context.js";
import { LoadStatus, useLoad } from "../ui/load.js";
import { FormError, useSubmit } from "../ui/form.js";
import { deviceName, timeAgo } from "../lib/devices.js";

export function Sessions() {
  const { api, actions } = useServices();
  const sessions = useLoad(() => api.get("/api/account/sessions/"), []);
  const list = /** @type {any[]|null} */ (sessions.data);
  const others = list?.filter((s) => !s.current).length ?? 0;
  const { busy, error, run } = useSubmit([]);
  const everywhereElse = () =>
    run(async () => {
      await api.delete("/api/account/sessions/");
      await sessions.reload();
      actions.notify(others === 1 ? "Your other session was logged out." : `Your ${others} other sessions were logged out.`);
    });
  return html`<div class="settings-title-row">
      <h2 class="settings-title" id="sessions-title">Sessions</h2>
      ${others > 0 && html`<button type="button" class="secondary" disabled=${busy} onClick=${everywhereElse}>Log out everywhere else</button>`}
    </div>
    <p>Where you are logged in. Log out a device you no longer use or do not recognise.</p>
    <${FormError} error=${error} />
    <${LoadStatus} state=${sessions} what="your sessions" />
    <ul class="rows" aria-labelledby="sessions-title">
      ${list?.map((s) => html`<${SessionRow} key=${s.id} session=${s} onEnded=${sessions.reload} />`)}
    </ul>`;
}

/** @param {{session: any, onEnded: () => Promise<void>}} props */
function SessionRow({ session, onEnded }) {
  const { api, actions } = useServices();
  const { busy, error, run } = useSubmit([]);
  const device = deviceName(session.user_agent);
  const logOut = () =>
    run(async () => {
      if (session.current) {
        await api.logout();
        return;
      }
      await api.delete(`/api/account/sessions/${encodeURIComponent(session.id)}/`);
      await onEnded();
      actions.notify(`${device} was logged out.`);
    });
  const seen = new Date(session.last_used_at);
  const since = new Date(session.created_at).toLocaleDateString(undefined, { dateStyle: "medium" });
  return html`<li class="row session-row">
    <div class="row-main">
      <span class="row-title" title=${session.user_agent}>${device} ${session.current && html`<span class="badge">This device</span>`}</span>
      <span class="row-sub">${session.current ? "Active now" : html`Last active <time datetime=${session.last_used_at} title=${seen.toLocaleString()}>${timeAgo(seen.getTime(), Date.now())}</time>`}${` · ${session.ip} · logged in ${since}`}</span>
      <${FormError} error=${error} />
    </div>
    <div class="row-actions">
      <button type="button" class=${session.current ? "secondary" : "danger"} disabled=${busy}
        aria-label=${session.current ? "Log out of this device" : `Log out ${device}, last active ${timeAgo(seen.getTime(), Date.now())}`}
        onClick=${logOut}>Log out</button>
    </div>
  </li>`;
}
