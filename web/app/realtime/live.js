// The person's one live connection: the gateway, opened once logged in, whose `ready` and
// dispatches keep the shared state current (servers, channels, read states, presences, the
// person), whose messages reach the open chat pane (`listen`), and through which the client
// says it is typing, what it has read and the status the person chose. What it has read and
// the status are said again on every (re)connection, so that nothing said into a dying socket
// is lost. A mention arriving while the tab is hidden shows a desktop notification, if the
// person allowed them.
import { GatewaySocket } from "./gateway.js";
import { applyDispatch, fromReady, withRead } from "./state.js";
import { accountChanged, memberJoined, memberLeft, reloadMembers } from "../chat/members.js";
import { channelPath, navigate } from "../router.js";

/** Where the person's chosen status is kept, shared by the browser's tabs. */
export const STATUS_KEY = "pingme.status";
/** The statuses a person may choose, and their names. */
export const STATUSES = /** @type {const} */ ([
  ["online", "Online"],
  ["idle", "Idle"],
  ["dnd", "Do not disturb"],
  ["invisible", "Invisible"],
]);
/** After a refused status change (too many), when to say it again. */
const STATUS_RETRY_MS = 12_000;
/** A channel's reads are said at once, then at most once in this long (the newest of them). */
const ACK_DELAY_MS = 1000;
/** Acks said this long before a socket was found dead may not have arrived: said again. */
const ACK_DOUBT_MS = 90_000;

/**
 * @typedef {import("./gateway.js").GatewayStatus} GatewayStatus
 * @typedef {(event: string, data: any) => void} Listener
 */

/** The person's chosen status, as this browser keeps it. */
export function chosenStatus() {
  const kept = localStorage.getItem(STATUS_KEY);
  return STATUSES.some(([status]) => status === kept) ? /** @type {string} */ (kept) : "online";
}

export class Live {
  /**
   * @param {import("../api/client.js").Api} api
   * @param {import("../store.js").Store<import("../store.js").State>} store
   * @param {{notify: (text: string, kind?: "info"|"error") => void, reloadServers: () => Promise<void>}} actions
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
    /** The newest message read per channel. @type {Map<number, number>} */
    this.read = new Map();
    /** The newest read said per channel, and when. @type {Map<number, {id: number, at: number}>} */
    this.acked = new Map();
    /** @type {any} */
    this.ackTimer = null;
    /** The status last said on the current connection (null: none yet). @type {string|null} */
    this.said = null;
    /** @type {any} */
    this.retry = null;
    /** Whether a `ready` came since the start (the first screen's read states are in). */
    this.readied = false;
    /** Whether the connection was up since the start (before, connecting is no news). */
    this.wasOnline = false;
    // Another tab chose a status: this one's session takes it too.
    this.onStorage = (/** @type {StorageEvent} */ e) => {
      if (e.key !== STATUS_KEY) return;
      this.store.set({ status: chosenStatus() });
      this.sayStatus();
    };
  }

  /** Connects (once logged in). */
  start() {
    if (this.gateway) return;
    this.readied = false;
    this.gateway = new GatewaySocket({
      token: () => this.api.accessToken(),
      onReady: (ready, status) => this.ready(ready, status),
      onDispatch: (event, data) => this.dispatch(event, data),
      onStatus: (status) => this.changed(status),
      onError: (error) => this.refused(error),
      status: chosenStatus,
    });
    addEventListener("storage", this.onStorage);
    this.gateway.open();
  }

  /** Disconnects for good (logged out). */
  stop() {
    removeEventListener("storage", this.onStorage);
    clearTimeout(this.retry);
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.gateway?.close();
    this.gateway = null;
    this.read.clear();
    this.acked.clear();
    this.said = null;
    this.readied = false;
    this.wasOnline = false;
    this.status = { state: "connecting" };
  }

  /** Every dispatch, as it comes. @param {Listener} listener */
  listen(listener) {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The connection's status on each change. @param {(status: GatewayStatus) => void} watcher */
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
  seen(channelId, messageId) {
    if ((this.read.get(channelId) ?? 0) >= messageId) return;
    this.read.set(channelId, messageId);
    const readStates = withRead(this.store.state.readStates, channelId, messageId);
    if (readStates !== this.store.state.readStates) this.store.set({ readStates });
    const last = this.acked.get(channelId)?.at ?? 0;
    if (Date.now() - last >= ACK_DELAY_MS) this.ack();
    else
      this.ackTimer ??= setTimeout(() => {
        this.ackTimer = null;
        this.ack();
      }, ACK_DELAY_MS);
  }

  /** Says every read not yet said (on a live connection; the others wait for the next). */
  ack() {
    const now = Date.now();
    for (const [channelId, messageId] of this.read) {
      if ((this.acked.get(channelId)?.id ?? 0) >= messageId) continue;
      if (this.gateway?.send("ack", { channel_id: channelId, message_id: messageId })) this.acked.set(channelId, { id: messageId, at: now });
    }
  }

  /** The status the person chose, kept for their next sessions and their other tabs. @param {string} status */
  choose(status) {
    localStorage.setItem(STATUS_KEY, status);
    this.store.set({ status });
    this.sayStatus();
  }

  /** Says the chosen status, if this connection has not said it yet. */
  sayStatus() {
    const status = chosenStatus();
    if (this.said === status) return;
    if (this.gateway?.send("presence", { status })) this.said = status;
    // The person's own row shows what they chose at once (the server tells the others).
    const me = this.store.state.me;
    if (me) this.store.set({ presences: { ...this.store.state.presences, [me.id]: status } });
  }

  retryNow() {
    this.gateway?.retryNow();
  }

  /** @param {any} ready @param {string|null} identifiedWith the status `identify` carried */
  ready(ready, identifiedWith) {
    const first = !this.readied;
    this.readied = true;
    this.said = identifiedWith ?? "online";
    let state = fromReady(ready);
    for (const [channelId, messageId] of this.read) {
      const known = state.readStates[channelId];
      if (!known) {
        // A channel one can no longer read: nothing to say of it.
        this.read.delete(channelId);
        this.acked.delete(channelId);
      } else if (known.last_read_id >= messageId) {
        this.acked.set(channelId, { id: messageId, at: 0 });
      } else {
        // Read while the connection was down, or said into a socket that died: read still,
        // and said again.
        this.acked.delete(channelId);
        state = { ...state, readStates: withRead(state.readStates, channelId, messageId) };
      }
    }
    this.store.set({ ...state, status: this.said, ready: this.store.state.ready + 1 });
    // Joins, leaves and profile changes missed while no session was resumable.
    if (!first) reloadMembers(this.api);
  }

  /** @param {string} event @param {any} data */
  dispatch(event, data) {
    const state = this.store.state;
    const patch = applyDispatch(state, event, data);
    if (patch) this.store.set(patch);
    this.members(event, data);
    // Joined elsewhere: the server's object comes from REST (the next ready brings it too).
    if (event === "member_add" && data.user.id === state.me?.id) this.actions.reloadServers().catch(() => {});
    for (const listener of this.listeners) listener(event, data);
    if (event === "message_create") this.notify(data);
  }

  /** Keeps the member lists in step. @param {string} event @param {any} data */
  members(event, data) {
    if (event === "member_add") memberJoined(data.server_id, data.user);
    else if (event === "member_remove") memberLeft(data.server_id, data.user_id);
    else if (event === "account_update") accountChanged(data);
  }

  /** An op the server refused. @param {{code: string, detail?: string}} error */
  refused(error) {
    // Only status changes are rate-limited: said again once allowed.
    if (error.code !== "rate_limited") return;
    this.said = null;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.sayStatus(), STATUS_RETRY_MS);
  }

  /**
   * A desktop notification, while the tab is hidden, for a mention of the person or a direct
   * message to them. @param {any} message
   */
  notify(message) {
    const me = this.store.state.me;
    const dm = this.store.state.dms.find((d) => d.id === message.channel_id);
    const others = me && message.user?.id !== me.id;
    const mentioned = others && (message.mentions ?? []).includes(me.id) && !(this.store.state.blocked ?? []).includes(message.user.id);
    if (!(mentioned || (others && dm)) || document.visibilityState === "visible" || this.store.state.status === "dnd") return;
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    const ofChannel = (/** @type {any} */ c) => c.id === message.channel_id;
    const server = this.store.state.servers?.find((s) => s.channel_server.some(ofChannel));
    const channel = server?.channel_server.find(ofChannel);
    const where = channel ? ` in #${channel.name}` : "";
    const body = message.content.replaceAll(`<@${me.id}>`, `@${me.username}`);
    try {
      const shown = new Notification(`${message.user.username}${where}`, { body, tag: `message-${message.id}` });
      shown.onclick = () => {
        window.focus();
        if (this.store.state.me?.id !== me.id) return;
        if (server && channel) navigate(channelPath(server.id, channel.id));
        else if (dm) navigate(`/dms/${dm.id}`);
        shown.close();
      };
    } catch {
      // Some browsers (Chrome on Android) show notifications only from a service worker.
    }
  }

  /** @param {GatewayStatus} status */
  changed(status) {
    this.status = status;
    if (status.state === "online") this.wasOnline = true;
    // The first connection is not a reconnection: nothing to say while it is made.
    const shown = status.state === "ended" || (status.state === "connecting" && !this.wasOnline) ? "online" : status.state;
    this.store.set({ connection: shown });
    if (status.state === "online") {
      if (status.fresh === false) {
        // Resumed: what went into the socket that died may not have arrived. (A status said
        // again that the session has costs nothing.)
        this.said = null;
        const doubt = Date.now() - ACK_DOUBT_MS;
        for (const [channelId, { at }] of this.acked) if (at > doubt) this.acked.delete(channelId);
      }
      this.sayStatus();
      this.ack();
    }
    if (status.state === "ended" && status.code) {
      this.actions.notify("Your session has ended. Log in again.", "error");
      this.api.forget();
    }
    for (const watcher of this.watchers) watcher(status);
  }
}
