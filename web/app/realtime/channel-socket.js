// The one place that knows the per-channel chat socket (`ws(s)://<host>/<server>/<channel>?token=`,
// docs/api.md "The socket"). The chat pane talks to a ChannelSocket and nothing else, so that the
// user-level gateway can replace it behind the same small interface:
//
//   const socket = new ChannelSocket({ serverId, channelId, token, onFrame, onStatus });
//   socket.open();              connects, and reconnects on its own until close()
//   socket.typing();            "I am typing"; false when not connected
//   socket.retryNow();          skips the wait before the next attempt
//   socket.close();             for good (no more callbacks)
//
// onFrame gets every frame the server sends, parsed; onStatus gets the connection's state when it
// changes: "connecting" (dropped, retrying with backoff), "online", "offline" (the browser has no
// network: the socket is dropped, and retried the moment the network comes back) and "ended" (4403 / 4404 / logged out: final).
// Every attempt asks for a fresh access token, so an expired one is never reused. A refused
// handshake (403, 404) reaches the browser as a bare close 1006, so after a socket that closed
// before opening, `check` asks the REST API whether the channel can still be read: 401, 403 and
// 404 end it too, anything else is retried.
import { backoffDelay } from "./backoff.js";

/** Close codes after which reconnecting cannot help, and what they mean to the person. */
export const FINAL_CLOSES = /** @type {Record<number, string>} */ ({
  4403: "You are no longer a member of this server, or your session was ended.",
  4404: "This channel, or its server, was deleted.",
});

/** HTTP answers of `check` after a refused handshake that end it, and what they mean. */
export const FINAL_ANSWERS = /** @type {Record<number, string>} */ ({
  401: "Your session has ended. Log in again.",
  403: "You are no longer a member of this server.",
  404: "This channel no longer exists.",
});

/**
 * @typedef {"connecting"|"online"|"offline"|"ended"} SocketState
 * @typedef {{state: SocketState, code?: number}} SocketStatus code: what ended it: a close code
 *   of FINAL_CLOSES, an HTTP status of FINAL_ANSWERS, or 0 when the person logged out
 */

/**
 * The part of the browser's WebSocket this module uses (tests pass a fake).
 * @typedef {object} WebSocketLike
 * @property {number} readyState
 * @property {(data: string) => void} send
 * @property {(code?: number) => void} close
 * @property {(() => void)|null} onopen
 * @property {((event: {data: any}) => void)|null} onmessage
 * @property {((event: {code: number}) => void)|null} onclose
 * @property {(() => void)|null} onerror
 */

/**
 * What the module takes from the browser; tests pass fakes (a fake clock among them).
 * @typedef {object} Environment
 * @property {new (url: string) => WebSocketLike} WebSocket
 * @property {(run: () => void, ms: number) => any} setTimeout
 * @property {(timer: any) => void} clearTimeout
 * @property {() => number} random
 * @property {() => boolean} isOnline navigator.onLine
 * @property {EventTarget} window fires "online" and "offline"
 * @property {EventTarget & {visibilityState: string}} document fires "visibilitychange"
 */

/**
 * @typedef {object} ChannelSocketOptions
 * @property {number} serverId
 * @property {number} channelId
 * @property {() => Promise<string|null>} token a valid access token (null: logged out)
 * @property {(frame: any) => void} onFrame
 * @property {(status: SocketStatus) => void} onStatus
 * @property {() => Promise<number>} [check] the HTTP status of a read of the channel over REST
 *   (0: no answer), asked after a socket closed before it opened
 * @property {string} [origin] "ws://host:port"; by default the page's own host
 * @property {Environment} [env]
 */

/** @returns {Environment} */
function browser() {
  return {
    WebSocket: /** @type {any} */ (globalThis.WebSocket),
    setTimeout: (run, ms) => globalThis.setTimeout(run, ms),
    clearTimeout: (timer) => globalThis.clearTimeout(timer),
    random: Math.random,
    isOnline: () => navigator.onLine,
    window: globalThis,
    document,
  };
}

const OPEN = 1;

export class ChannelSocket {
  /** @param {ChannelSocketOptions} options */
  constructor(options) {
    this.options = options;
    this.env = options.env ?? browser();
    this.origin = options.origin ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
    /** @type {WebSocketLike|null} */
    this.socket = null;
    /** The pending retry's timer, or null. */
    this.timer = null;
    /** A refused handshake is being checked over REST; retryNow() during it sets `wantNow`. */
    this.checking = false;
    this.wantNow = false;
    this.attempt = 0;
    this.stopped = true;
    /** Incremented by each attempt, so that a late token answer of an abandoned one is dropped. */
    this.generation = 0;
    /** @type {SocketStatus|null} */
    this.last = null;
    this.onOnline = () => this.retryNow();
    // The browser lost its network: a socket it still calls open is dead (nothing can cross it),
    // so it is dropped now rather than when its close finally comes; retried once back online.
    this.onOffline = () => {
      const socket = this.socket;
      if (!socket) return this.report({ state: "offline" });
      this.socket = null;
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000);
      this.retryLater();
    };
    this.onVisible = () => {
      if (this.env.document.visibilityState === "visible") this.retryNow();
    };
  }

  get connected() {
    return this.socket?.readyState === OPEN;
  }

  open() {
    if (!this.stopped) return;
    this.stopped = false;
    this.env.window.addEventListener("online", this.onOnline);
    this.env.window.addEventListener("offline", this.onOffline);
    this.env.document.addEventListener("visibilitychange", this.onVisible);
    void this.connect();
  }

  close() {
    if (this.stopped) return;
    this.stopped = true;
    this.generation++;
    this.env.window.removeEventListener("online", this.onOnline);
    this.env.window.removeEventListener("offline", this.onOffline);
    this.env.document.removeEventListener("visibilitychange", this.onVisible);
    if (this.timer !== null) this.env.clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000);
    }
  }

  typing() {
    return this.write({ type: "typing" });
  }

  /** Reconnects now if waiting to (the network came back, the tab was shown, the person asked). */
  retryNow() {
    if (this.stopped) return;
    if (this.timer === null) {
      // A refused handshake is being checked: connect as soon as it says to retry.
      this.wantNow = this.checking;
      return;
    }
    this.env.clearTimeout(this.timer);
    this.timer = null;
    void this.connect();
  }

  /** @param {object} frame */
  write(frame) {
    if (!this.connected || !this.socket) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  async connect() {
    const generation = ++this.generation;
    this.report({ state: this.env.isOnline() ? "connecting" : "offline" });
    /** @type {string|null} */
    let token;
    try {
      token = await this.options.token();
    } catch {
      if (generation === this.generation) this.retryLater();
      return;
    }
    if (this.stopped || generation !== this.generation) return;
    if (token === null) return this.end(0);
    const { serverId, channelId } = this.options;
    /** @type {WebSocketLike} */
    let socket;
    try {
      socket = new this.env.WebSocket(`${this.origin}/${serverId}/${channelId}?token=${encodeURIComponent(token)}`);
    } catch {
      return this.retryLater();
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.report({ state: "online" });
    };
    socket.onmessage = ({ data }) => {
      let frame;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }
      this.options.onFrame(frame);
    };
    // An error is always followed by a close, which decides what happens next.
    socket.onerror = () => {};
    socket.onclose = ({ code }) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (code in FINAL_CLOSES) this.end(code);
      else if (!opened && this.options.check) void this.checkThenRetry(generation);
      else this.retryLater();
    };
  }

  /**
   * After a handshake that failed: ends it when the API says the channel cannot be read any
   * more, else retries later.
   * @param {number} generation the attempt's
   */
  async checkThenRetry(generation) {
    let status = 0;
    this.checking = true;
    this.wantNow = false;
    try {
      status = await /** @type {() => Promise<number>} */ (this.options.check)();
    } catch {
      // No answer: as a network error, retried.
    } finally {
      this.checking = false;
    }
    if (this.stopped || generation !== this.generation) return;
    if (status in FINAL_ANSWERS) this.end(status);
    else if (this.wantNow) void this.connect();
    else this.retryLater();
  }

  retryLater() {
    if (this.stopped) return;
    this.report({ state: this.env.isOnline() ? "connecting" : "offline" });
    this.timer = this.env.setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, backoffDelay(this.attempt++, this.env.random));
  }

  /** @param {number} code */
  end(code) {
    this.close();
    this.report({ state: "ended", code });
  }

  /** @param {SocketStatus} status */
  report(status) {
    if (this.last && this.last.state === status.state && this.last.code === status.code) return;
    this.last = status;
    this.options.onStatus(status);
  }
}
