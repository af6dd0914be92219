// Sending messages over REST (`POST /api/messages/`), one channel's at a time and in the order
// they were written. Each send carries a nonce: the server makes one message of the same nonce
// from the same person in the same channel within 10 minutes, so a send whose answer never came
// (no connection, a 5xx, a timeout) is sent again with the same nonce until it is answered —
// never doubled, never lost while the page is open. A refusal (any other 4xx) ends that send with
// its words; a send still unanswered after RETRY_FOR_MS (inside the server's window) is given up
// and offered back to the person ("Not sent — Retry / Discard").
//
// A channel's outbox outlives its chat pane (`outboxFor`): switching channels while a message is
// on its way loses nothing, and what ended meanwhile waits in `unsent` for the pane to return.
import { ApiError } from "../api/errors.js";
import { backoffDelay } from "../realtime/backoff.js";

/** How long a send is retried: well inside the server's 10-minute nonce window. */
export const RETRY_FOR_MS = 9 * 60_000;
/** The nonces remembered after their send ended, to know one's own messages coming back. */
const REMEMBERED = 200;

/**
 * A message written and not yet answered.
 * @typedef {object} Pending
 * @property {string} nonce
 * @property {string} text as sent (trimmed, as the server stores it)
 * @property {number} since when it was written (ms)
 * @property {boolean} retrying whether a send of it failed and it waits to go again
 * @property {boolean} arrived whether its message came back over the socket already
 */

/** @typedef {(body: {channel_id: number, content: string, nonce: string}) => Promise<any>} Post */

/**
 * What the open chat pane of the channel is told.
 * @typedef {object} Listener
 * @property {() => void} onChange the pending or unsent list changed
 * @property {(sent: Pending, message: any) => void} onSent the server answered with the message
 * @property {(sent: Pending, error: ApiError) => void} onRefused the server refused it (with no
 *   pane open, it waits in `unsent`)
 */

/** @typedef {{clock?: () => number, random?: () => number}} Options */

/** The outbox of each channel this page sent to. @type {Map<number, Outbox>} */
const outboxes = new Map();

/** The channel's outbox, made on first use. @param {number} channelId @param {Post} post */
export function outboxFor(channelId, post) {
  let outbox = outboxes.get(channelId);
  if (!outbox) {
    outbox = new Outbox(channelId, post);
    outboxes.set(channelId, outbox);
  }
  return outbox;
}

/** Logging out: nothing more goes out, and nothing is kept. */
export function closeOutboxes() {
  for (const outbox of outboxes.values()) outbox.close();
  outboxes.clear();
}

/** Whether a failed send may not have reached the server, or may succeed if sent again. @param {unknown} error */
export function retryable(error) {
  return error instanceof ApiError && (error.status === 0 || error.status === 408 || error.status >= 500);
}

export class Outbox {
  /** @param {number} channelId @param {Post} post @param {Options} [options] */
  constructor(channelId, post, options = {}) {
    this.channelId = channelId;
    this.post = post;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    /** @type {Listener|null} */
    this.listener = null;
    /** Oldest first; the first is the one being sent. @type {Pending[]} */
    this.queue = [];
    /** Sends given up, or refused with no pane to say so: offered back. @type {Pending[]} */
    this.unsent = [];
    /** @type {string[]} */
    this.known = [];
    this.busy = false;
    this.attempt = 0;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.timer = null;
    this.closed = false;
  }

  /** The open pane's hooks, until the returned function is called. @param {Listener} listener */
  listen(listener) {
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = null;
    };
  }

  changed() {
    this.listener?.onChange();
  }

  /** Writes a message: shown as pending at once, sent in its turn. @param {string} text */
  send(text) {
    const nonce = crypto.randomUUID();
    this.queue.push({ nonce, text, since: this.clock(), retrying: false, arrived: false });
    this.remember(nonce);
    this.changed();
    this.pump();
  }

  /** A message offered back, sent again (as a new send). @param {Pending} lost */
  retry(lost) {
    this.discard(lost);
    this.send(lost.text);
  }

  /** @param {Pending} lost */
  discard(lost) {
    this.unsent = this.unsent.filter((u) => u !== lost);
    this.changed();
  }

  /** The messages written and not answered yet, oldest first, less those already back. */
  pending() {
    return this.queue.filter((p) => !p.arrived);
  }

  /** Whether this nonce is one of this outbox's sends. @param {string|undefined} nonce */
  isMine(nonce) {
    return nonce !== undefined && this.known.includes(nonce);
  }

  /** Its message came back over the socket: it is no longer shown as pending. @param {string} nonce */
  arrived(nonce) {
    const sent = this.queue.find((p) => p.nonce === nonce);
    if (!sent || sent.arrived) return;
    sent.arrived = true;
    this.changed();
  }

  /** Sends a waiting retry now (the connection is back). */
  wake() {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.pump();
  }

  close() {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** @param {string} nonce */
  remember(nonce) {
    this.known.push(nonce);
    if (this.known.length > REMEMBERED) this.known.shift();
  }

  pump() {
    const head = this.queue[0];
    if (this.closed || this.busy || this.timer !== null || !head) return;
    this.busy = true;
    const body = { channel_id: this.channelId, content: head.text, nonce: head.nonce };
    this.post(body).then(
      (message) => this.settle(() => this.listener?.onSent(head, message)),
      (error) => this.failed(head, error),
    );
  }

  /** @param {Pending} lost */
  offerBack(lost) {
    this.unsent = [...this.unsent, { ...lost, retrying: false, arrived: false }];
  }

  /** The head's send ended: the next goes. @param {() => void} tell */
  settle(tell) {
    this.busy = false;
    this.attempt = 0;
    this.queue.shift();
    if (this.closed) return;
    tell();
    this.changed();
    this.pump();
  }

  /** @param {Pending} head @param {unknown} error */
  failed(head, error) {
    if (!retryable(error)) {
      const refusal = error instanceof ApiError ? error : new ApiError(0, null);
      const listener = this.listener;
      return this.settle(() => (listener ? listener.onRefused(head, refusal) : this.offerBack(head)));
    }
    if (this.clock() - head.since >= RETRY_FOR_MS) return this.settle(() => this.offerBack(head));
    this.busy = false;
    if (this.closed) return;
    head.retrying = true;
    this.changed();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, backoffDelay(this.attempt++, this.random));
  }
}
