// Changes to the shared state that need the API: loading who is logged in, their servers and the
// categories, and the notices shown at the bottom of the screen.
import { Api } from "./api/client.js";
import { Store } from "./store.js";
import { forgetMembers } from "./chat/members.js";
import { closeOutboxes } from "./chat/outbox.js";
import { Live, STATUS_KEY } from "./realtime/live.js";

let nextNotice = 1;

/** Where the person last was (`/servers/<id>/channels/<id>`), to open there next time. */
export const LAST_CHANNEL = "pingme.last-channel";

export class Actions {
  /**
   * @param {Api} api
   * @param {Store<import("./store.js").State>} store
   */
  constructor(api, store) {
    this.api = api;
    this.store = store;
    /** The person's live connection, open while logged in. */
    this.live = new Live(api, store, this);
  }

  /** Loads what the first screen needs once logged in. */
  async start() {
    const [me, servers, categories] = await Promise.all([
      this.api.get("/api/account/me/"),
      this.api.all("/api/account/my_servers/"),
      this.api.get("/api/categories/", { auth: false }),
    ]);
    this.store.set({ me, servers, categories });
  }

  async reloadServers() {
    this.store.set({ servers: await this.api.all("/api/account/my_servers/") });
  }

  async reloadMe() {
    this.store.set({ me: await this.api.get("/api/account/me/") });
  }

  async reloadCategories() {
    this.store.set({ categories: await this.api.get("/api/categories/", { auth: false }) });
  }

  /** Forgets everything of the person who logs out (the next one may be someone else). */
  loggedOut() {
    this.live.stop();
    localStorage.removeItem(LAST_CHANNEL);
    localStorage.removeItem(STATUS_KEY);
    forgetMembers();
    closeOutboxes();
    this.store.set({ me: null, servers: null, readStates: {}, presences: {}, connection: "online", ready: 0 });
  }

  /**
   * Shows a short message; errors stay until dismissed, others go after a few seconds.
   * @param {string} text
   * @param {"info"|"error"} [kind]
   */
  notify(text, kind = "info") {
    const id = nextNotice++;
    this.store.set((s) => ({ notices: [...s.notices, { id, text, kind }] }));
    if (kind === "info") setTimeout(() => this.dismiss(id), 4000);
  }

  /** @param {number} id */
  dismiss(id) {
    this.store.set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  }
}
