// One open channel's live state for the chat pane: its timeline (history pages and live frames),
// the socket's status (mirrored into the store for the sidebar), catching up after each
// (re)connection, who is typing, and sending with the words of any refusal. The pane's
// components render what this hook holds and call what it returns.
import { useEffect, useRef, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { ApiError } from "../api/errors.js";
import { ChannelSocket, FINAL_ANSWERS, FINAL_CLOSES } from "../realtime/channel-socket.js";
import {
  apply, emptyTimeline, newestId, oldestId, replay, withDelete, withLatest, withNewer, withOlder, withRefreshed,
  withUpdate,
} from "./timeline.js";
import { MAX_PAGE, PAGE, catchUp, pagePath, reread } from "./history.js";
import { notArrived } from "./unsent.js";
import { TypingState } from "./typing-line.js";

/** @typedef {import("./timeline.js").Timeline} Timeline */
/** @typedef {import("./timeline.js").Message} Message */
/** @typedef {import("./timeline.js").Change} Change */
/** @typedef {import("./unsent.js").Sent} Sent */
/** @typedef {import("../realtime/channel-socket.js").SocketStatus} SocketStatus */

/** What ends the pane for good, in words, by close code or HTTP status. */
const ENDINGS = { ...FINAL_CLOSES, ...FINAL_ANSWERS };

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
  const { api, store, actions } = useServices();
  const me = store.state.me;
  const [timeline, setTimeline] = useState(emptyTimeline);
  const current = useRef(timeline);
  const [status, setStatus] = useState(/** @type {SocketStatus} */ ({ state: "connecting" }));
  const [loading, setLoading] = useState(/** @type {"latest"|"older"|"newer"|null} */ (null));
  const [historyError, setHistoryError] = useState(/** @type {{text: string, retry: () => void}|null} */ (null));
  const [ended, setEnded] = useState(/** @type {string|null} */ (null));
  const [sendError, setSendError] = useState(/** @type {string|null} */ (null));
  const [restored, setRestored] = useState(/** @type {{text: string}|null} */ (null));
  // Kept in the store by channel: switching channels and back loses nothing typed.
  const [unsent, setUnsent] = useState(/** @type {Sent[]} */ (store.state.unsent[channel.id] ?? []));
  const [announcement, setAnnouncement] = useState({ text: "", n: 0 });
  const [typing] = useState(() => new TypingState());
  const [unseen, setUnseen] = useState(0);
  const socket = useRef(/** @type {ChannelSocket|null} */ (null));
  /** Messages sent on this socket and not yet echoed, oldest first: an error frame gives the oldest back. */
  const pending = useRef(/** @type {Sent[]} */ ([]));
  /** Ids of my messages whose echo came back: they account for their own sends, no other. */
  const echoed = useRef(/** @type {Set<number>} */ (new Set()));
  /** Messages sent on a socket that dropped before their echo: checked after the catch-up. */
  const doubtful = useRef(/** @type {Sent[]} */ (store.state.doubtful[channel.id] ?? []));
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
          setEnded(e.status === 404 ? FINAL_CLOSES[4404] : "You cannot read this channel: you are not a member of its server.");
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
   * made meanwhile replace what is held), then everything newer. Then the messages sent on
   * the dropped socket that never arrived are offered back.
   */
  const sync = () =>
    run("newer", async () => {
      const t = current.current;
      const oldest = oldestId(t);
      const newest = newestId(t);
      // A copy: a send whose socket drops while this runs is checked by the next sync,
      // against history read after it was sent.
      const checking = [...doubtful.current];
      /** My messages read while catching up. @type {Message[]} */
      const mine = [];
      /** @param {Message[]} p */
      const keep = (p) => mine.push(...p.filter((m) => m.user.id === me?.id));
      /** @param {number} after @param {number} limit */
      const fetchAfter = (after, limit) => page({ after, limit });
      if (!t.loaded || oldest === null || newest === null) await loadLatest();
      else {
        // The held range again: edits and deletes made meanwhile replace what is held.
        const from = oldest - 1;
        const { fetched, next } = await reread(fetchAfter, from, newest);
        keep(fetched);
        if (t.atPresent) {
          land((x) => withRefreshed(x, fetched, from, newest));
          if (next !== null) await catchUp(fetchAfter, next, (p) => (keep(p), land((x) => withNewer(x, p, MAX_PAGE))));
        } else {
          // Scrolled back: nothing newer joins the view (it comes while scrolling down); my
          // messages are still looked for.
          const held = fetched.filter((m) => m.id <= newest);
          land((x) => withRefreshed(x, held, from, newest));
          if (checking.length > 0 && next !== null) await catchUp(fetchAfter, next, keep);
        }
      }
      confirmSent(checking, mine);
    });

  /**
   * Offers back the messages sent on a dropped socket that the catch-up did not find.
   * @param {Sent[]} checking @param {Message[]} read my messages the catch-up read
   */
  const confirmSent = (checking, read) => {
    if (checking.length === 0 || !alive.current || me?.id == null) return;
    doubtful.current = doubtful.current.filter((d) => !checking.includes(d));
    const lost = notArrived(checking, [...read, ...current.current.messages], me.id, echoed.current);
    if (lost.length > 0) setUnsent((u) => [...u, ...lost]);
  };

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
      if (mine && pending.current.some((p) => p.nonce === frame.nonce)) {
        pending.current = pending.current.filter((p) => p.nonce !== frame.nonce);
        echoed.current.add(message.id);
      }
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
    } else if (frame.event === "message_delete") {
      change({ kind: "delete", id: frame.data.id });
    } else if (frame.event === "typing") {
      typing.typing(frame.data.user_id, Date.now());
    } else if (frame.event === "error") {
      setSendError(frameError(frame.data));
      const failed = pending.current.shift();
      if (failed) setRestored({ text: failed.text });
    }
  };

  /** @param {number} code */
  const end = (code) => {
    pending.current = [];
    doubtful.current = [];
    if (!code) return;
    setEnded(ENDINGS[code]);
    // Words that stay once the sidebar has dropped the server or the channel.
    actions.notify(ENDINGS[code], "error");
    if (code !== 401) actions.reloadServers().catch(() => {});
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
        else if (next.state === "ended") end(next.code ?? 0);
        else {
          // Dropped: what was sent on it may or may not have been stored.
          doubtful.current.push(...pending.current);
          pending.current = [];
        }
      },
      check: () =>
        page({ limit: 1 }).then(
          () => 200,
          (e) => (e instanceof ApiError ? e.status : 0),
        ),
    });
    socket.current = s;
    s.open();
    return () => {
      alive.current = false;
      s.close();
      // What was sent without its echo is checked when this channel opens again.
      const waiting = [...doubtful.current, ...pending.current];
      store.set((st) => ({ connection: "online", doubtful: { ...st.doubtful, [channel.id]: waiting } }));
    };
  }, []);

  useEffect(() => {
    store.set((st) => ({ unsent: { ...st.unsent, [channel.id]: unsent } }));
  }, [unsent]);

  /**
   * Sends a message; false when not connected (the composer keeps the text).
   * @param {string} text
   */
  const send = (text) => {
    const s = socket.current;
    if (!s?.connected) return false;
    const nonce = crypto.randomUUID();
    if (!s.send(text, nonce)) return false;
    pending.current.push({ nonce, text, after: newestId(current.current) ?? 0 });
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
    unsent,
    announcement,
    typing,
    unseen,
    loadOlder,
    loadNewer,
    jumpToPresent,
    send,
    /** Sends a message that never arrived again; it stays offered while not connected. @param {Sent} lost */
    retryUnsent: (lost) => {
      if (send(lost.text)) setUnsent((u) => u.filter((x) => x !== lost));
    },
    /** @param {Sent} lost */
    discardUnsent: (lost) => setUnsent((u) => u.filter((x) => x !== lost)),
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
