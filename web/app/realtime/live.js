// The person's one live connection: the gateway, opened once logged in, whose `ready` and
// dispatches keep the shared state current (servers, channels, read states, presences, the
// person), whose messages reach the open chat pane (`listen`), and through which the client
// says it is typing, what it has read and the status the person chose. A mention arriving while
// the tab is hidden shows a desktop notification, if the person allowed them.
import { GatewaySocket } from "./gateway.js";
import { applyDispatch, fromReady, withRead } from "./state.js";
import { accountChanged, memberJoined, memberLeft } from "../chat/members.js";
import { channelPath, navigate } from "../router.js";

/** Where the person's chosen status is kept (each session starts `online` on the server). */
export const STATUS_KEY = "pingme.status";
/** The statuses a person may choose, and their names. */
export const STATUSES = /** @type {const} */ ([
  ["online", "Online"],
  ["idle", "Idle"],
  ["dnd", "Do not disturb"],
  ["invisible", "Invisible"],
]);

/**
 * @typedef {import("./gateway.js").GatewayStatus} GatewayStatus
 * @typedef {(event: string, data: any) => void} Listener
 */

export class Live {
  /**
   * @param {import("../api/client.js").Api} api
   * @param {import("../store.js").Store<import("../store.js").State>} store
   * @param {{reloadServers: () => Promise<void>, notify: (text: string, kind?: "info"|"error") => void}} actions
   */
  constructor(api, store, actions) {
    this.api = api;
    this.store = store;
    this.actions = actions;
    /** @type {GatewaySocket|null} */
    this.gateway = null;
    /** @type {Set<Listener>} */
    this.listeners = new Set();
    /** @type {Set<(status: GatewayStatus) => void>} */
    this.watchers = new Set();
    /** @type {GatewayStatus} */
    this.status = { state: "connecting" };
    /** The newest message id acknowledged per channel, so that each is sent once. @type {Map<number, number>} */
    this.acked = new Map();
  }

  /** Connects (once logged in). */
  start() {
    if (this.gateway) return;
    this.gateway = new GatewaySocket({
      token: () => this.api.accessToken(),
      onReady: (ready) => this.ready(ready),
      onDispatch: (event, data) => this.dispatch(event, data),
      onStatus: (status) => this.changed(status),
      status: () => localStorage.getItem(STATUS_KEY),
    });
    this.gateway.open();
  }

  /** Disconnects for good (logged out). */
  stop() {
    this.gateway?.close();
    this.gateway = null;
    this.acked.clear();
  }

  /** Every dispatch, as it comes. @param {Listener} listener */
  listen(listener) {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The connection's status now and on each change. @param {(status: GatewayStatus) => void} watcher */
  watch(watcher) {
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /** @param {number} channelId */
  typing(channelId) {
    return this.gateway?.send("typing", { channel_id: channelId }) ?? false;
  }

  /**
   * The person has seen the channel up to `messageId`: its unread count goes, here at once and
   * on the person's other devices.
   * @param {number} channelId @param {number} messageId
   */
  read(channelId, messageId) {
    if ((this.acked.get(channelId) ?? 0) >= messageId) return;
    const readStates = withRead(this.store.state.readStates, channelId, messageId);
    if (readStates !== this.store.state.readStates) this.store.set({ readStates });
    if (this.gateway?.send("ack", { channel_id: channelId, message_id: messageId })) this.acked.set(channelId, messageId);
  }

  /** The status the person chose, kept for their next sessions. @param {string} status */
  choose(status) {
    localStorage.setItem(STATUS_KEY, status);
    this.store.set({ status });
    this.gateway?.send("presence", { status });
  }

  retryNow() {
    this.gateway?.retryNow();
  }

  /** @param {any} ready */
  ready(ready) {
    this.acked.clear();
    // The session started with the status the person chose (`identify` carried it).
    const status = localStorage.getItem(STATUS_KEY) ?? "online";
    this.store.set({ ...fromReady(ready), status });
  }

  /** @param {string} event @param {any} data */
  dispatch(event, data) {
    const state = this.store.state;
    const patch = applyDispatch(state, event, data);
    if (patch) this.store.set(patch);
    this.members(event, data);
    if (event === "member_add" && data.user.id === state.me?.id) void this.actions.reloadServers().catch(() => {});
    if (event === "message_create") this.notify(data);
    for (const listener of this.listeners) listener(event, data);
  }

  /** Keeps the member lists in step. @param {string} event @param {any} data */
  members(event, data) {
    if (event === "member_add") memberJoined(data.server_id, data.user);
    else if (event === "member_remove") memberLeft(data.server_id, data.user_id);
    else if (event === "account_update") accountChanged(data);
  }

  /** A desktop notification for a mention of the person while the tab is hidden. @param {any} message */
  notify(message) {
    const me = this.store.state.me;
    const mentioned = me && message.user?.id !== me.id && (message.mentions ?? []).includes(me.id);
    if (!mentioned || document.visibilityState === "visible" || this.store.state.status === "dnd") return;
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    const ofChannel = (/** @type {any} */ c) => c.id === message.channel_id;
    const server = this.store.state.servers?.find((s) => s.channel_server.some(ofChannel));
    const channel = server?.channel_server.find(ofChannel);
    const where = channel ? ` in #${channel.name}` : "";
    const shown = new Notification(`${message.user.username}${where}`, { body: message.content, tag: `message-${message.id}` });
    shown.onclick = () => {
      window.focus();
      if (server && channel) navigate(channelPath(server.id, channel.id));
      shown.close();
    };
  }

  /** @param {GatewayStatus} status */
  changed(status) {
    this.status = status;
    this.store.set({ connection: status.state === "ended" ? "online" : status.state });
    if (status.state === "ended" && status.code) this.actions.notify("Your session has ended. Log in again.", "error");
    for (const watcher of this.watchers) watcher(status);
  }
}
