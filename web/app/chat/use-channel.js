// One open channel's live state for the chat pane: its timeline (history pages and live frames),
// the socket's status (mirrored into the store for the sidebar), catching up after each
// (re)connection, who is typing, and sending with the words of any refusal. The pane's
// components render what this hook holds and call what it returns.
import { useEffect, useRef, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { ApiError } from "../api/errors.js";
import { ChannelSocket, FINAL_CLOSES } from "../realtime/channel-socket.js";
import {
  emptyTimeline, newestId, oldestId, withDelete, withLatest, withLive, withNewer, withOlder, withUpdate,
} from "./timeline.js";
import { MAX_PAGE, PAGE, catchUp, pagePath } from "./history.js";
import { SHOWN_MS } from "./typing.js";

/** @typedef {import("./timeline.js").Timeline} Timeline */
/** @typedef {import("./timeline.js").Message} Message */
/** @typedef {import("../realtime/channel-socket.js").SocketStatus} SocketStatus */

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
 * @param {any} server @param {any} channel
 * @param {{current: boolean}} stuck whether the list is scrolled to its bottom (the list keeps it)
 */
export function useChannel(server, channel, stuck) {
  const { api, store } = useServices();
  const me = store.state.me;
  const [timeline, setTimeline] = useState(emptyTimeline);
  const current = useRef(timeline);
  const [status, setStatus] = useState(/** @type {SocketStatus} */ ({ state: "connecting" }));
  const [loading, setLoading] = useState(/** @type {"latest"|"older"|"newer"|null} */ (null));
  const [historyError, setHistoryError] = useState(/** @type {{text: string, retry: () => void}|null} */ (null));
  const [ended, setEnded] = useState(/** @type {string|null} */ (null));
  const [sendError, setSendError] = useState(/** @type {string|null} */ (null));
  const [restored, setRestored] = useState(/** @type {{text: string}|null} */ (null));
  const [typing, setTyping] = useState(/** @type {Map<number, number>} */ (new Map()));
  const [unseen, setUnseen] = useState(0);
  const socket = useRef(/** @type {ChannelSocket|null} */ (null));
  /** Messages sent and not yet echoed, oldest first: an error frame gives the oldest back. */
  const pending = useRef(/** @type {{nonce: string, text: string}[]} */ ([]));
  /** History requests run one after another. */
  const queue = useRef(Promise.resolve());
  /** History jobs queued or running. */
  const busy = useRef(0);
  const alive = useRef(true);

  /** @param {(t: Timeline) => Timeline} change */
  const update = (change) => {
    if (!alive.current) return;
    current.current = change(current.current);
    setTimeline(current.current);
  };
  /** @param {{before?: number, after?: number, limit?: number}} [query] @returns {Promise<Message[]>} */
  const page = (query) => api.get(pagePath(channel.id, query));

  /**
   * Runs a history job after the previous ones; its failure is shown where the history is, with
   * a way to try again. 403 / 404 mean the channel cannot be read at all.
   * @param {"latest"|"older"|"newer"} kind @param {() => Promise<void>} job
   */
  const run = (kind, job) => {
    busy.current++;
    setLoading(kind);
    queue.current = queue.current.then(async () => {
      try {
        await job();
        if (alive.current) setHistoryError(null);
      } catch (e) {
        if (!alive.current) return;
        if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
          setEnded(e.status === 404 ? FINAL_CLOSES[4404] : "You cannot read this channel: you are not a member of its server.");
          socket.current?.close();
        } else {
          setHistoryError({ text: e instanceof Error ? e.message : String(e), retry: () => run(kind, job) });
        }
      } finally {
        busy.current--;
        if (alive.current && busy.current === 0) setLoading(null);
      }
    });
  };

  const loadLatest = async () => {
    const latest = await page({ limit: PAGE });
    update((t) => withLatest(t, latest, PAGE));
  };

  /** After each (re)connection: everything newer than the newest message held. */
  const sync = () =>
    run("newer", async () => {
      const t = current.current;
      const after = newestId(t);
      if (!t.loaded || after === null) return loadLatest();
      if (!t.atPresent) return; // scrolling down fetches the newer pages
      await catchUp((from, limit) => page({ after: from, limit }), after, (p) => update((x) => withNewer(x, p, MAX_PAGE)));
    });

  const loadOlder = () => {
    const t = current.current;
    const before = oldestId(t);
    if (busy.current > 0 || !t.hasOlder || before === null) return;
    run("older", async () => {
      const older = await page({ before, limit: PAGE });
      update((x) => withOlder(x, older, PAGE));
    });
  };

  const loadNewer = () => {
    const t = current.current;
    const after = newestId(t);
    if (busy.current > 0 || t.atPresent || after === null) return;
    run("newer", async () => {
      const newer = await page({ after, limit: PAGE });
      update((x) => withNewer(x, newer, PAGE));
    });
  };

  const jumpToPresent = () => {
    stuck.current = true;
    setUnseen(0);
    if (current.current.atPresent) update((t) => ({ ...t }));
    else run("latest", loadLatest);
  };

  /** @param {any} frame */
  const onFrame = (frame) => {
    if (frame.message) {
      /** @type {Message} */
      const message = frame.message;
      const mine = message.user.id === me?.id;
      if (mine) pending.current = pending.current.filter((p) => p.nonce !== frame.nonce);
      else if (!stuck.current || !current.current.atPresent) setUnseen((n) => n + 1);
      setTyping((seen) => {
        if (!seen.has(/** @type {number} */ (message.user.id))) return seen;
        const next = new Map(seen);
        next.delete(/** @type {number} */ (message.user.id));
        return next;
      });
      update((t) => withLive(t, message));
    } else if (frame.event === "message_update") {
      update((t) => withUpdate(t, frame.data));
    } else if (frame.event === "message_delete") {
      update((t) => withDelete(t, frame.data.id));
    } else if (frame.event === "typing") {
      setTyping((seen) => new Map(seen).set(frame.data.user_id, Date.now()));
    } else if (frame.event === "error") {
      setSendError(frameError(frame.data));
      const failed = pending.current.shift();
      if (failed) setRestored({ text: failed.text });
    }
  };

  useEffect(() => {
    alive.current = true;
    run("latest", loadLatest);
    const s = new ChannelSocket({
      serverId: server.id,
      channelId: channel.id,
      token: () => api.accessToken(),
      onFrame,
      onStatus: (next) => {
        setStatus(next);
        store.set({ connection: next.state === "ended" ? "online" : next.state });
        if (next.state === "online") sync();
        else if (next.state === "ended") {
          pending.current = [];
          if (next.code) setEnded(FINAL_CLOSES[next.code]);
        } else pending.current = [];
      },
    });
    socket.current = s;
    s.open();
    return () => {
      alive.current = false;
      s.close();
      store.set({ connection: "online" });
    };
  }, []);

  // Typing indicators fade SHOWN_MS after their last frame.
  useEffect(() => {
    if (typing.size === 0) return;
    const now = Date.now();
    const soonest = Math.min(...[...typing.values()].map((at) => at + SHOWN_MS - now));
    const timer = setTimeout(() => {
      const later = Date.now();
      setTyping((seen) => new Map([...seen].filter(([, at]) => later - at < SHOWN_MS)));
    }, Math.max(0, soonest));
    return () => clearTimeout(timer);
  }, [typing]);

  /**
   * Sends a message; false when not connected (the composer keeps the text).
   * @param {string} text
   */
  const send = (text) => {
    const s = socket.current;
    if (!s?.connected) return false;
    const nonce = crypto.randomUUID();
    if (!s.send(text, nonce)) return false;
    pending.current.push({ nonce, text });
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
    restored,
    typing,
    unseen,
    loadOlder,
    loadNewer,
    jumpToPresent,
    send,
    sendTyping: () => socket.current?.typing(),
    retryNow: () => socket.current?.retryNow(),
    clearUnseen: () => setUnseen(0),
    clearSendError: () => setSendError(null),
    /** @param {Message} message an edit's answer, shown before its frame arrives */
    edited: (message) => update((t) => withUpdate(t, message)),
    /** @param {number} id */
    deleted: (id) => update((t) => withDelete(t, id)),
  };
}
