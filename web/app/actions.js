// Changes to the shared state that need the API: loading who is logged in, their servers and the
// categories, and the notices shown at the bottom of the screen.
import { Api } from "./api/client.js";
import { Store } from "./store.js";
import { forgetMembers } from "./chat/members.js";
import { closeOutboxes } from "./chat/outbox.js";
import { Live, STATUS_KEY } from "./realtime/live.js";
import { withDm } from "./realtime/state.js";
import { navigate } from "./router.js";

let nextNotice = 1;

/** Where the person last was (`/servers/<id>/channels/<id>` or `/dms/<id>`), to open there next time. */
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
    // Whose mentions count for nothing, and whom the profile cards offer to unblock.
    this.loadBlocked().catch(() => {});
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

  /**
   * Opens the direct message with these people (or finds the one they have) and goes to it.
   * @param {number[]} recipients their account ids
   */
  async openDm(recipients) {
    const dm = await this.api.request("POST", "/api/dms/", { json: { recipients } });
    this.store.set((s) => ({ dms: withDm(s.dms, dm) }));
    navigate(`/dms/${dm.id}`);
  }

  /** Leaves a group direct message. @param {number} id */
  async leaveDm(id) {
    await this.api.request("DELETE", `/api/dms/${id}/`);
    this.store.set((s) => ({ dms: s.dms.filter((d) => d.id !== id) }));
    navigate("/", { replace: true });
  }

  /** The people the person blocks, read once per login. */
  async loadBlocked() {
    if (this.store.state.blocked) return;
    /** @type {any[]} */
    const blocked = await this.api.get("/api/account/blocks/");
    this.store.set({ blocked: blocked.map((a) => a.id) });
  }

  /** Blocks someone, or lifts the block. @param {number} id @param {boolean} block */
  async setBlocked(id, block) {
    await this.api.request(block ? "PUT" : "DELETE", `/api/account/blocks/${id}/`);
    this.store.set((s) => {
      const others = (s.blocked ?? []).filter((b) => b !== id);
      return { blocked: block ? [...others, id] : others };
    });
  }

  /** Forgets everything of the person who logs out (the next one may be someone else). */
  loggedOut() {
    this.live.stop();
    localStorage.removeItem(LAST_CHANNEL);
    localStorage.removeItem(STATUS_KEY);
    forgetMembers();
    closeOutboxes();
    this.store.set({ me: null, servers: null, dms: [], blocked: null, readStates: {}, presences: {}, connection: "online", ready: 0 });
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
