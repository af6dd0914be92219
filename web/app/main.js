// Starts the client: the services every view shares, then the app into #root.
import { html, render } from "./lib/html.js";
import { Api } from "./api/client.js";
import { Session, STORAGE_KEY } from "./api/session.js";
import { Store, initialState } from "./store.js";
import { Actions } from "./actions.js";
import { ServicesContext } from "./context.js";
import { App } from "./views/app.js";
import { followLink } from "./router.js";

const session = new Session(localStorage);
const api = new Api(session);
const store = new Store(initialState());
const actions = new Actions(api, store);

// Another tab logged in or out.
addEventListener("storage", (e) => {
  if (e.key === STORAGE_KEY) session.changed();
});
document.addEventListener("click", followLink);

const root = /** @type {HTMLElement} */ (document.getElementById("root"));
root.textContent = "";
render(html`<${ServicesContext.Provider} value=${{ api, store, actions }}><${App} session=${session} /><//>`, root);
