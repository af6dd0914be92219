// Sending messages over REST (`POST /api/messages/`), one channel's at a time and in the order
// they were written. Each send carries a nonce: the server makes one message of the same nonce
// from the same person in the same channel within 10 minutes, so a send whose answer never came
// (no connection, a 5xx, a timeout) is sent again with the same nonce until it is answered —
// never doubled, never lost while the page is open; a 429 is sent again once its `Retry-After`
// has passed. A refusal (any other 4xx) ends that send with its words; a send still unanswered
// RETRY_FOR_MS after its first attempt (inside the server's window) is given up. Both are
// offered back to the person ("Not sent — Retry / Put back / Discard").
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
 * @property {number|null} tried when it was first sent (ms), null before
 * @property {boolean} retrying whether a send of it failed and it waits to go again
 * @property {boolean} arrived whether its message came back over the socket already
 * @property {{id: number, username: string}|null} [replyTo] the message it answers
 * @property {import("./attachments.js").Attachment[]} [attachments] its images, uploaded already
 */

/** @typedef {(body: {channel_id: number, content: string, nonce: string, reply_to?: number, attachments?: number[]}) => Promise<any>} Post */

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
  return error instanceof ApiError && (error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500);
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

  /**
   * Writes a message: shown as pending at once, sent in its turn.
   * @param {string} text @param {{id: number, username: string}|null} [replyTo]
   * @param {import("./attachments.js").Attachment[]} [attachments]
   */
  send(text, replyTo = null, attachments = []) {
    const nonce = crypto.randomUUID();
    this.queue.push({ nonce, text, tried: null, retrying: false, arrived: false, replyTo, attachments });
    this.remember(nonce);
    this.changed();
    this.pump();
  }

  /**
   * A message offered back, sent again: with its nonce while the server would still know it
   * (so a first send that was stored after all is not doubled), as a new send after that.
   * @param {Pending} lost
   */
  retry(lost) {
    this.discard(lost);
    if (lost.tried !== null && this.clock() - lost.tried < RETRY_FOR_MS) {
      this.queue.push({ ...lost, retrying: false, arrived: false });
      this.changed();
      this.pump();
    } else {
      this.send(lost.text, lost.replyTo, lost.attachments);
    }
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
    if (head.tried === null) head.tried = this.clock();
    /** @type {Parameters<Post>[0]} */
    const body = { channel_id: this.channelId, content: head.text, nonce: head.nonce };
    if (head.replyTo) body.reply_to = head.replyTo.id;
    if (head.attachments?.length) body.attachments = head.attachments.map((a) => a.id);
    this.post(body).then(
      (message) => this.settle(() => this.listener?.onSent(head, message)),
      (error) => this.failed(head, error),
    );
  }

  /** A send that ended without an answer; one whose message came back over the socket was stored. @param {Pending} lost */
  offerBack(lost) {
    if (lost.arrived) return;
    this.unsent = [...this.unsent, { ...lost, retrying: false }];
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
      return this.settle(() => {
        this.offerBack(head);
        this.listener?.onRefused(head, refusal);
      });
    }
    if (this.clock() - (head.tried ?? this.clock()) >= RETRY_FOR_MS) return this.settle(() => this.offerBack(head));
    this.busy = false;
    if (this.closed) return;
    head.retrying = true;
    this.changed();
    const wait = error instanceof ApiError && error.status === 429 ? (error.retryAfter ?? 1) * 1000 : 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, Math.max(wait, backoffDelay(this.attempt++, this.random)));
  }
}
