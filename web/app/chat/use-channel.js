// One open channel's live state for the chat pane: its timeline (history pages and live frames),
// the socket's status (mirrored into the store for the sidebar), catching up after each
// (re)connection, who is typing, and sending (over REST, through the channel's outbox: shown at
// once, retried until answered) with the words of any refusal. The pane's components render
// what this hook holds and call what it returns.
import { useEffect, useRef, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { ApiError } from "../api/errors.js";
import { ChannelFeed, FEED_ENDINGS } from "../realtime/channel-feed.js";
import {
  apply, around, emptyTimeline, newestId, oldestId, replay, withDelete, withLatest, withNewer, withOlder, withPatch,
  withReaction, withRefreshed, withUpdate,
} from "./timeline.js";
import { MAX_PAGE, PAGE, catchUp, pagePath, reread } from "./history.js";
import { outboxFor } from "./outbox.js";
import { TypingState } from "./typing-line.js";

/** @typedef {import("./timeline.js").Timeline} Timeline */
/** @typedef {import("./timeline.js").Message} Message */
/** @typedef {import("./timeline.js").Change} Change */
/** @typedef {import("./outbox.js").Pending} Pending */
/** @typedef {import("../realtime/gateway.js").GatewayStatus} SocketStatus */

/** Messages read on each side of one jumped to. */
const AROUND = 25;

/** A send unanswered this long is abandoned and sent again (with its nonce: never doubled). */
const SEND_TIMEOUT_MS = 15_000;

/** What ends the pane for good, in words. */
const ENDINGS = FEED_ENDINGS;

/**
 * The words for an error frame of the socket (`{"code", "detail", "retry_after_ms"?}`).
 * @param {{code?: string, detail?: string, retry_after_ms?: number}} data
 */
export function frameError(data) {
  if (data.code === "rate_limited") {
    const seconds = Math.max(1, Math.ceil((data.retry_after_ms ?? 1000) / 1000));
    return `You are sending messages too fast. Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
  }
  if (data.code === "unavailable") return "The server could not store your message. Try again.";
  return data.detail || "The server refused your message.";
}

/**
 * @param {any} server null for a direct message @param {any} channel
 * @param {{current: boolean}} stuck whether the list is scrolled to its bottom (the list keeps it)
 */
export function useChannel(server, channel, stuck) {
  const { api, store, actions } = useServices();
  const me = store.state.me;
  const [timeline, setTimeline] = useState(emptyTimeline);
  const current = useRef(timeline);
  const [status, setStatus] = useState(/** @type {SocketStatus} */ ({ state: "connecting" }));
  const [loading, setLoading] = useState(/** @type {"latest"|"older"|"newer"|null} */ (null));
  const [historyError, setHistoryError] = useState(/** @type {{text: string, retry: () => void}|null} */ (null));
  const [ended, setEnded] = useState(/** @type {string|null} */ (null));
  const [sendError, setSendError] = useState(/** @type {string|null} */ (null));
  // The channel's outbox outlives the pane: switching channels and back loses nothing sent.
  const [outbox] = useState(() =>
    outboxFor(channel.id, (body) => api.request("POST", "/api/messages/", { json: body, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) })),
  );
  const [waiting, setWaiting] = useState(() => outbox.pending());
  const [unsent, setUnsent] = useState(() => outbox.unsent);
  const [announcement, setAnnouncement] = useState({ text: "", n: 0 });
  const [typing] = useState(() => new TypingState());
  const [unseen, setUnseen] = useState(0);
  /** Raised by every change to a message of the channel: the pins panel reads them again. */
  const [changes, setChanges] = useState(0);
  /** The message to bring into view (a quote's original, a pin, a search hit); `n` counts jumps. */
  const [focus, setFocus] = useState(/** @type {{id: number, n: number}|null} */ (null));
  const socket = useRef(/** @type {ChannelFeed|null} */ (null));
  /** History requests run one after another. */
  const queue = useRef(Promise.resolve());
  /** History jobs queued or running. */
  const busy = useRef(0);
  /** The socket's changes since the running history job began (null: none running). */
  const recorded = useRef(/** @type {Change[]|null} */ (null));
  const alive = useRef(true);

  /** @param {(t: Timeline) => Timeline} change */
  const update = (change) => {
    if (!alive.current) return;
    current.current = change(current.current);
    setTimeline(current.current);
  };
  /**
   * A page of the running history job: the socket's changes since the job began are applied
   * again after it, so a page read before them does not undo them.
   * @param {(t: Timeline) => Timeline} change
   */
  const land = (change) => update((t) => replay(change(t), recorded.current ?? []));
  /** @param {{before?: number, after?: number, limit?: number}} [query] @returns {Promise<Message[]>} */
  const page = async (query) => {
    // A closed pane's queued jobs stop at their next request.
    if (!alive.current) throw new Error("the pane is closed");
    return api.get(pagePath(channel.id, query));
  };

  /**
   * Runs a history job after the previous ones; its failure is shown where the history is, with
   * a way to try again. 403 / 404 mean the channel cannot be read at all.
   * @param {"latest"|"older"|"newer"} kind @param {() => Promise<void>} job
   */
  const run = (kind, job) => {
    busy.current++;
    setLoading(kind);
    queue.current = queue.current.then(async () => {
      recorded.current = [];
      try {
        await job();
        if (alive.current) setHistoryError(null);
      } catch (e) {
        if (!alive.current) return;
        if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
          setEnded(e.status === 404 ? FEED_ENDINGS[4404] : "You cannot read this channel: you are not a member of its server.");
          socket.current?.close();
        } else {
          setHistoryError({ text: e instanceof Error ? e.message : String(e), retry: () => run(kind, job) });
        }
      } finally {
        recorded.current = null;
        busy.current--;
        if (alive.current && busy.current === 0) setLoading(null);
      }
    });
  };

  const loadLatest = async () => {
    const latest = await page({ limit: PAGE });
    land((t) => withLatest(t, latest, PAGE));
  };

  /**
   * After each (re)connection. At present: the held range is read again (edits and deletes
   * made meanwhile replace what is held), then everything newer.
   */
  const sync = () =>
    run("newer", async () => {
      const t = current.current;
      const oldest = oldestId(t);
      const newest = newestId(t);
      /** @param {number} after @param {number} limit */
      const fetchAfter = (after, limit) => page({ after, limit });
      if (!t.loaded || oldest === null || newest === null) return loadLatest();
      // The held range again: edits and deletes made meanwhile replace what is held.
      const from = oldest - 1;
      const { fetched, next } = await reread(fetchAfter, from, newest);
      if (t.atPresent) {
        land((x) => withRefreshed(x, fetched, from, newest));
        if (next !== null) await catchUp(fetchAfter, next, (p) => land((x) => withNewer(x, p, MAX_PAGE)));
      } else {
        // Scrolled back: nothing newer joins the view (it comes while scrolling down).
        land((x) => withRefreshed(x, fetched.filter((m) => m.id <= newest), from, newest));
      }
    });

  const loadOlder = () => {
    const t = current.current;
    const before = oldestId(t);
    if (busy.current > 0 || !t.hasOlder || before === null) return;
    run("older", async () => {
      const older = await page({ before, limit: PAGE });
      land((x) => withOlder(x, older, PAGE));
    });
  };

  const loadNewer = () => {
    const t = current.current;
    const after = newestId(t);
    if (busy.current > 0 || t.atPresent || after === null) return;
    run("newer", async () => {
      const newer = await page({ after, limit: PAGE });
      land((x) => withNewer(x, newer, PAGE));
    });
  };

  const jumpToPresent = () => {
    stuck.current = true;
    setUnseen(0);
    if (current.current.atPresent) update((t) => ({ ...t }));
    else run("latest", loadLatest);
  };

  /**
   * Brings a message into view: where it is held, or with the pages around it read in place of
   * what is held (scrolled back from the present, as after scrolling up).
   * @param {number} id
   */
  const jumpTo = (id) => {
    setFocus((last) => ({ id, n: (last?.n ?? 0) + 1 }));
    if (current.current.messages.some((m) => m.id === id)) return;
    stuck.current = false;
    run("latest", async () => {
      const before = await page({ before: id + 1, limit: AROUND });
      const after = await page({ after: id, limit: AROUND });
      land(() => around(before, after, AROUND));
    });
  };

  /** A change from the socket, recorded for the running history job. @param {Change} change */
  const change = (change) => {
    recorded.current?.push(change);
    update((t) => apply(t, change));
  };

  /** @param {any} frame */
  const onFrame = (frame) => {
    if (frame.message) {
      /** @type {Message} */
      const message = frame.message;
      const mine = message.user.id === me?.id;
      if (mine && outbox.isMine(frame.nonce)) outbox.arrived(frame.nonce);
      else {
        if (!stuck.current || !current.current.atPresent) setUnseen((n) => n + 1);
        // Numbered: the live region redraws its line for each, so the same words twice are
        // announced twice.
        setAnnouncement((last) => ({ text: `${message.user.username}: ${message.content}`, n: last.n + 1 }));
      }
      typing.sent(message.user.id);
      change({ kind: "new", message });
    } else if (frame.event === "message_update") {
      change({ kind: "update", message: frame.data });
      setChanges((n) => n + 1);
    } else if (frame.event === "message_delete") {
      change({ kind: "delete", id: frame.data.id });
      setChanges((n) => n + 1);
    } else if (frame.event === "reaction") {
      change({ kind: "react", change: frame.data });
    } else if (frame.event === "typing") {
      typing.typing(frame.data.user_id, Date.now());
    } else if (frame.event === "error") {
      setSendError(frameError(frame.data));
    }
  };

  /** @param {number} code */
  const end = (code) => {
    if (!code) return;
    setEnded(ENDINGS[code]);
    // Words that stay once the sidebar has dropped the server or the channel.
    if (code !== 4004) actions.notify(ENDINGS[code], "error");
  };

  useEffect(() => {
    alive.current = true;
    const unlisten = outbox.listen({
      onChange: () => {
        setWaiting(outbox.pending());
        setUnsent(outbox.unsent);
      },
      onSent: (_, message) => change({ kind: "new", message }),
      onRefused: (_, error) => setSendError(error.message),
    });
    run("latest", loadLatest);
    const s = new ChannelFeed(actions.live, {
      serverId: server?.id ?? null,
      channelId: channel.id,
      me: me?.id,
      onFrame,
      onStatus: (next) => {
        setStatus(next);
        if (next.state === "online") {
          // Identified anew: what happened meanwhile is read again.
          if (next.fresh) sync();
          outbox.wake();
        } else if (next.state === "ended") end(next.code ?? 0);
      },
    });
    socket.current = s;
    s.open();
    return () => {
      alive.current = false;
      unlisten();
      s.close();
    };
  }, []);

  /**
   * Sends a message, connected or not: it shows as pending at once and goes out (again) until
   * the server answers. False once the pane has ended (the composer keeps the text).
   * @param {string} text @param {{id: number, username: string}|null} [replyTo]
   * @param {import("./attachments.js").Attachment[]} [attachments]
   */
  const send = (text, replyTo = null, attachments = []) => {
    if (ended) return false;
    outbox.send(text, replyTo, attachments);
    setSendError(null);
    if (!current.current.atPresent) jumpToPresent();
    stuck.current = true;
    return true;
  };

  return {
    timeline,
    status,
    loading,
    historyError,
    ended,
    sendError,
    unsent,
    waiting,
    announcement,
    typing,
    unseen,
    focus,
    jumpTo,
    changes,
    loadOlder,
    loadNewer,
    jumpToPresent,
    send,
    /** Sends a message offered back again, as a new send. @param {Pending} lost */
    retryUnsent: (lost) => outbox.retry(lost),
    /** @param {Pending} lost */
    discardUnsent: (lost) => outbox.discard(lost),
    sendTyping: () => socket.current?.typing(),
    retryNow: () => socket.current?.retryNow(),
    clearUnseen: () => setUnseen(0),
    clearSendError: () => setSendError(null),
    /** @param {Message} message an edit's answer, shown before its frame arrives */
    edited: (message) => update((t) => withUpdate(t, message)),
    /** @param {number} id */
    deleted: (id) => update((t) => withDelete(t, id)),
    /** A pin or unpin, shown before its dispatch. @param {number} id @param {boolean} pinned */
    pinned: (id, pinned) => update((t) => withPatch(t, id, { pinned })),
    /**
     * The person's own reaction, shown at once (its dispatch then sets the exact count).
     * @param {number} id @param {string} emoji @param {boolean} add
     */
    reacted: (id, emoji, add) =>
      update((t) => withReaction(t, { message_id: id, user_id: me?.id ?? 0, emoji, add, mine: true })),
  };
}
