// The one place that knows the user gateway (`/api/gateway/`, docs/api.md "The gateway"): one
// socket for everything the person may see. It identifies, keeps its session, heartbeats, and
// after any drop reconnects with backoff and resumes: the dispatches missed meanwhile come first,
// in order, each once. Where the server cannot resume (`invalid_session`), it identifies anew and
// says so (`fresh`), so that what was shown is read again.
//
//   const gateway = new GatewaySocket({ token, onReady, onDispatch, onStatus });
//   gateway.open();             connects, and reconnects on its own until close()
//   gateway.send(op, d);        a client op; false when not connected
//   gateway.retryNow();         skips the wait before the next attempt
//   gateway.close();            for good (no more callbacks)
//
// onStatus gets the connection's state when it changes: "connecting" (dropped, retrying with
// backoff), "online" (`fresh`: identified anew, so dispatches may have been missed; otherwise
// resumed with nothing lost), "offline" (the browser has no network: retried the moment it is
// back) and "ended" (the token was revoked, or the person logged out: final).
import { backoffDelay } from "./backoff.js";

/** Close codes after which reconnecting cannot help, and what they mean to the person. */
export const GATEWAY_ENDINGS = /** @type {Record<number, string>} */ ({
  4004: "Your session has ended. Log in again.",
});

/** Close codes after which the session cannot be resumed: the next connection identifies. */
const NOT_RESUMABLE = new Set([4002, 4003, 4008]);

/**
 * @typedef {"connecting"|"online"|"offline"|"ended"} GatewayState
 * @typedef {{state: GatewayState, fresh?: boolean, code?: number}} GatewayStatus code: what ended
 *   it (a close code of GATEWAY_ENDINGS, or 0 when the person logged out)
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
 * @typedef {object} GatewayOptions
 * @property {() => Promise<string|null>} token a valid access token (null: logged out)
 * @property {(ready: any, status: string|null) => void} onReady the `d` of each `ready`, and the
 *   status the session was identified with
 * @property {(event: string, data: any) => void} onDispatch every other dispatch, in order
 * @property {(status: GatewayStatus) => void} onStatus
 * @property {(error: {code: string, detail?: string}) => void} [onError] an op refused
 * @property {() => string|null} [status] the status a new session starts with (`online` if none)
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

export class GatewaySocket {
  /** @param {GatewayOptions} options */
  constructor(options) {
    this.options = options;
    this.env = options.env ?? browser();
    this.origin = options.origin ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
    /** @type {WebSocketLike|null} */
    this.socket = null;
    /** Whether the socket is identified (or resumed): ops may be sent. */
    this.ready = false;
    /** The session to resume, and the last number seen in it. @type {string|null} */
    this.session = null;
    /** The status the last `identify` carried. @type {string|null} */
    this.identifiedWith = null;
    this.seq = 0;
    /** The pending retry's timer, or null. */
    this.timer = null;
    /** The heartbeat's timer, and whether the last heartbeat is still unanswered. */
    this.beat = null;
    this.unanswered = false;
    this.attempt = 0;
    this.stopped = true;
    /** Incremented by each attempt, so that a late token answer of an abandoned one is dropped. */
    this.generation = 0;
    /** @type {GatewayStatus|null} */
    this.last = null;
    this.onOnline = () => this.retryNow();
    // The browser lost its network: a socket it still calls open is dead (nothing can cross it),
    // so it is dropped now rather than when its close finally comes; retried once back online.
    this.onOffline = () => {
      if (!this.socket) return this.report({ state: "offline" });
      this.drop();
      this.retryLater();
    };
    this.onVisible = () => {
      if (this.env.document.visibilityState === "visible") this.retryNow();
    };
  }

  get connected() {
    return this.ready && this.socket?.readyState === OPEN;
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
    this.drop();
  }

  /** Reconnects now if waiting to (the network came back, the tab was shown, the person asked). */
  retryNow() {
    if (this.stopped || this.timer === null) return;
    this.env.clearTimeout(this.timer);
    this.timer = null;
    void this.connect();
  }

  /** A client op of an identified session. @param {string} op @param {any} data */
  send(op, data) {
    if (!this.connected || !this.socket) return false;
    this.socket.send(JSON.stringify({ op, d: data }));
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
    /** @type {WebSocketLike} */
    let socket;
    try {
      socket = new this.env.WebSocket(`${this.origin}/api/gateway/`);
    } catch {
      return this.retryLater();
    }
    this.socket = socket;
    this.ready = false;
    socket.onmessage = ({ data }) => {
      let frame;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }
      if (this.socket === socket) this.receive(frame, /** @type {string} */ (token));
    };
    // An error is always followed by a close, which decides what happens next.
    socket.onerror = () => {};
    socket.onclose = ({ code }) => {
      if (this.socket !== socket) return;
      this.drop();
      if (code in GATEWAY_ENDINGS) return this.end(code);
      if (NOT_RESUMABLE.has(code)) this.session = null;
      this.retryLater();
    };
  }

  /** @param {any} frame @param {string} token */
  receive(frame, token) {
    switch (frame.op) {
      case "hello":
        this.heartbeat(frame.d?.heartbeat_interval_ms ?? 30_000);
        return this.hello(token);
      case "heartbeat_ack":
        this.unanswered = false;
        return;
      case "invalid_session":
        // The socket stays open for an identify.
        this.session = null;
        return this.hello(token);
      case "dispatch":
        return this.dispatch(frame);
      case "error":
        // Before identifying: the server will not open a session now (too many identifies:
        // it says when to come back); later.
        if (!this.ready) {
          this.drop();
          return this.retryLater(frame.d?.retry_after_ms ?? 0);
        }
        return this.options.onError?.(frame.d ?? {});
    }
  }

  /** @param {string} token */
  hello(token) {
    const socket = /** @type {WebSocketLike} */ (this.socket);
    const status = this.options.status?.() ?? null;
    if (!this.session) {
      this.identifiedWith = status;
      // A heartbeat before the new session's ready must not speak of the old one's numbers.
      this.seq = 0;
    }
    const frame = this.session
      ? { op: "resume", d: { token, session_id: this.session, seq: this.seq } }
      : { op: "identify", d: status && status !== "online" ? { token, status } : { token } };
    socket.send(JSON.stringify(frame));
  }

  /** @param {{t: string, s: number, d: any}} frame */
  dispatch({ t, s, d }) {
    if (t === "ready") {
      this.session = d.session_id;
      this.seq = s;
      this.options.onReady(d, this.identifiedWith);
      return this.online(true);
    }
    if (t === "resumed") return this.online(false);
    if (s !== this.seq + 1) {
      // A number skipped: something was lost on the way. Identify anew rather than go on.
      this.session = null;
      this.drop();
      return this.retryLater();
    }
    this.seq = s;
    this.options.onDispatch(t, d);
  }

  /** @param {boolean} fresh */
  online(fresh) {
    this.ready = true;
    this.attempt = 0;
    this.report({ state: "online", fresh });
  }

  /** Heartbeats every `interval`; one unanswered by the next means a dead connection. @param {number} interval */
  heartbeat(interval) {
    this.unanswered = false;
    const socket = this.socket;
    const tick = () => {
      if (this.socket !== socket || !socket) return;
      if (this.unanswered) {
        this.drop();
        return this.retryLater();
      }
      this.unanswered = true;
      socket.send(JSON.stringify({ op: "heartbeat", d: { seq: this.seq } }));
      this.beat = this.env.setTimeout(tick, interval);
    };
    this.beat = this.env.setTimeout(tick, interval);
  }

  /** Lets the socket go, without a word to anyone. */
  drop() {
    if (this.beat !== null) this.env.clearTimeout(this.beat);
    this.beat = null;
    this.ready = false;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000);
    }
  }

  /** @param {number} [atLeast] ms the server asked to wait */
  retryLater(atLeast = 0) {
    if (this.stopped) return;
    this.report({ state: this.env.isOnline() ? "connecting" : "offline" });
    this.timer = this.env.setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, Math.max(atLeast, backoffDelay(this.attempt++, this.env.random)));
  }

  /** @param {number} code */
  end(code) {
    this.close();
    this.report({ state: "ended", code });
  }

  /** @param {GatewayStatus} status */
  report(status) {
    const last = this.last;
    if (last && last.state === status.state && last.code === status.code && last.fresh === status.fresh) return;
    this.last = status;
    this.options.onStatus(status);
  }
}
