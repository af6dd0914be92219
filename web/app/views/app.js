// Which screen to show: the logged-out screens, or the chat app with its server rail, channel
// sidebar and main pane, chosen by the address.
import { html, useEffect, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { useStore } from "../store.js";
import { navigate, nextPath, useRoute } from "../router.js";
import { Login, Signup, Forgot, Reset } from "./auth.js";
import { Shell } from "./shell.js";
import { Notices } from "../ui/notices.js";

/** @param {{session: import("../api/session.js").Session}} props */
export function App({ session }) {
  const { actions, store } = useServices();
  const route = useRoute();
  const [loggedIn, setLoggedIn] = useState(session.tokens !== null);
  const [failed, setFailed] = useState(/** @type {string|null} */ (null));
  const me = useStore(store, (s) => s.me);

  useEffect(() => session.subscribe((tokens) => setLoggedIn(tokens !== null)), [session]);
  useEffect(() => {
    if (!loggedIn) {
      actions.loggedOut();
      return;
    }
    setFailed(null);
    actions.start().catch((/** @type {Error} */ e) => setFailed(e.message));
  }, [loggedIn]);

  const publicRoute = ["login", "signup", "forgot", "reset"].includes(route.name);
  useEffect(() => {
    if (!loggedIn && !publicRoute) {
      const next = location.pathname === "/" ? "" : `?next=${encodeURIComponent(location.pathname)}`;
      navigate(`/login${next}`, { replace: true });
    } else if (loggedIn && route.name !== "reset" && publicRoute) {
      navigate(nextPath(), { replace: true });
    }
  }, [loggedIn, route.name]);

  let screen;
  if (route.name === "reset") screen = html`<${Reset} uid=${route.uid} token=${route.token} />`;
  else if (!loggedIn) screen = loggedOut(route.name, () => setLoggedIn(true));
  else if (failed) screen = html`<${Failed} message=${failed} retry=${() => actions.start().then(() => setFailed(null), (e) => setFailed(e.message))} />`;
  else if (!me) screen = html`<p class="boot" role="status">Loading pingme…</p>`;
  else screen = html`<${Shell} route=${route} />`;
  return html`${screen}<${Notices} />`;
}

/** @param {string} name @param {() => void} onLoggedIn */
function loggedOut(name, onLoggedIn) {
  if (name === "signup") return html`<${Signup} />`;
  if (name === "forgot") return html`<${Forgot} />`;
  const params = new URLSearchParams(location.search);
  const notice = params.has("reset") ? "Your password has been changed. Log in with the new one." : undefined;
  return html`<${Login} onLoggedIn=${onLoggedIn} notice=${notice} />`;
}

/** @param {{message: string, retry: () => void}} props */
function Failed({ message, retry }) {
  return html`<main class="auth"><div class="auth-card">
    <h1>pingme cannot start</h1>
    <p role="alert">${message}</p>
    <button class="primary" onClick=${retry}>Try again</button>
  </div></main>`;
}
