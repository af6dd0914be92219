// What the chat pane holds of a channel, as pure functions (no DOM, no API): one ascending,
// de-duplicated list of messages built from history pages and live frames, edits and deletes
// applied to it, a bounded window of it (scrolling back drops the newest side, catching up drops
// the oldest), and the rows it is shown as (day separators, messages grouped by author).

/**
 * The author of a message. Socket frames carry id, username (the display name) and image_url;
 * REST answers the whole Account object (owner is the login name, content the bio).
 * A deleted account has id null.
 * @typedef {object} Author
 * @property {number|null} id
 * @property {string} username
 * @property {string|null} image_url
 * @property {string|null} [owner]
 * @property {string|null} [location]
 * @property {string} [content]
 */

/**
 * @typedef {object} Message
 * @property {number} id
 * @property {Author} user
 * @property {string} content
 * @property {string} timestamp_created RFC 3339, UTC, microseconds
 * @property {string} timestamp_updated
 * @property {number} [channel_id]
 * @property {number[]} [mentions] the accounts `<@id>` names in the content
 * @property {Quote|null} [reply_to] what it answers, while the original exists
 * @property {number|null} [reply_to_id] the id of what it answers, also once deleted
 * @property {Reaction[]} [reactions] left out of the gateway's message dispatches
 * @property {boolean} [pinned]
 * @property {import("./attachments.js").Attachment[]} [attachments]
 */

/**
 * The start of the message a reply answers.
 * @typedef {{id: number, user: {id: number|null, username: string, image_url: string|null}, content: string}} Quote
 */

/** @typedef {{emoji: string, count: number, me: boolean}} Reaction */

/**
 * A reaction given or taken back (`reaction_add` / `reaction_remove`, whose `count` is the
 * emoji's count after it; the person's own shown before the server answers has none).
 * @typedef {{message_id: number, user_id: number, emoji: string, add: boolean, mine: boolean, count?: number}} ReactionChange
 */

/**
 * @typedef {object} Timeline
 * @property {Message[]} messages ascending by id, each id once
 * @property {boolean} loaded a page of history has arrived
 * @property {boolean} hasOlder messages older than the first held may exist
 * @property {boolean} atPresent the last held message is the channel's newest (live ones are appended)
 */

/**
 * A row of the message list.
 * @typedef {{kind: "day", key: string, label: string}
 *   | {kind: "message", key: string, message: Message, grouped: boolean, edited: boolean}} Row
 */

/** Messages held at most; beyond it the side away from where the person is reading is dropped. */
export const WINDOW = 250;
/** The characters of the original a reply quotes (the server's excerpt). */
export const EXCERPT = 100;
/** Consecutive messages of one author closer than this share one header. */
export const GROUP_MS = 5 * 60 * 1000;

/** @returns {Timeline} */
export function emptyTimeline() {
  return { messages: [], loaded: false, hasOlder: false, atPresent: true };
}

/**
 * The later version of one message (edits may arrive out of order); on a tie (a pin) the two
 * are combined, so a REST answer's Account is not lost to a socket frame's short one.
 * @param {Message} held @param {Message} incoming
 * @returns {Message}
 */
function later(held, incoming) {
  if (incoming.timestamp_updated < held.timestamp_updated) return held;
  // A dispatch's message has no reactions: the held ones stay.
  const kept = incoming.reactions || !held.reactions ? {} : { reactions: held.reactions };
  if (incoming.timestamp_updated > held.timestamp_updated) return { ...incoming, ...kept, user: { ...held.user, ...incoming.user } };
  return { ...held, ...incoming, ...kept, user: { ...held.user, ...incoming.user } };
}

/**
 * Two ascending lists as one, ascending and each id once.
 * @param {Message[]} a @param {Message[]} b
 * @returns {Message[]}
 */
export function merge(a, b) {
  /** @type {Map<number, Message>} */
  const byId = new Map();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) {
    const held = byId.get(m.id);
    byId.set(m.id, held ? later(held, m) : m);
  }
  return [...byId.values()].sort((x, y) => x.id - y.id);
}

/**
 * The latest page (`GET ?channel_id=&limit=`). At present it joins what live frames brought
 * meanwhile; after scrolling back it replaces the window ("jump to present").
 * @param {Timeline} t @param {Message[]} page @param {number} limit the page size asked for
 * @param {number} [max]
 * @returns {Timeline}
 */
export function withLatest(t, page, limit, max = WINDOW) {
  const full = page.length >= limit;
  if (!t.atPresent || !t.loaded) {
    const messages = t.atPresent ? merge(t.messages, page) : [...page];
    return keepNewest({ messages, loaded: true, hasOlder: full, atPresent: true }, max);
  }
  return keepNewest({ ...t, messages: merge(t.messages, page), hasOlder: t.hasOlder || full }, max);
}

/**
 * A page older than the first held (`before=`); the newest side is dropped beyond `max`.
 * @param {Timeline} t @param {Message[]} page @param {number} limit @param {number} [max]
 * @returns {Timeline}
 */
export function withOlder(t, page, limit, max = WINDOW) {
  const messages = merge(page, t.messages);
  const next = { ...t, messages, hasOlder: page.length >= limit };
  if (messages.length <= max) return next;
  return { ...next, messages: messages.slice(0, max), atPresent: false };
}

/**
 * A page newer than the last held (`after=`: catching up after a reconnection, or scrolling
 * down after having scrolled back); the oldest side is dropped beyond `max`.
 * @param {Timeline} t @param {Message[]} page @param {number} limit @param {number} [max]
 * @returns {Timeline}
 */
export function withNewer(t, page, limit, max = WINDOW) {
  const next = { ...t, messages: merge(t.messages, page), atPresent: t.atPresent || page.length < limit };
  return keepNewest(next, max);
}

/**
 * A new message from the socket. Held only at present: after scrolling back, the window does
 * not reach the present, and the message is fetched with the newer pages.
 * @param {Timeline} t @param {Message} message @param {number} [max]
 * @returns {Timeline}
 */
export function withLive(t, message, max = WINDOW) {
  if (!t.atPresent) return t;
  return keepNewest({ ...t, messages: merge(t.messages, [message]) }, max);
}

/**
 * An edit (`message_update`); a message not held is ignored.
 * @param {Timeline} t @param {Message} message
 * @returns {Timeline}
 */
export function withUpdate(t, message) {
  const at = t.messages.findIndex((m) => m.id === message.id);
  const quoting = (/** @type {Message} */ m) => m.reply_to?.id === message.id;
  if (at < 0 && !t.messages.some(quoting)) return t;
  const updated = at < 0 ? null : later(t.messages[at], message);
  if (updated === t.messages[at] && !t.messages.some(quoting)) return t;
  // Replies quote the original as it is now, as the server would (its first EXCERPT characters).
  const excerpt = excerptOf((updated ?? message).content);
  const messages = t.messages.map((m, i) => {
    if (i === at && updated) return updated;
    if (quoting(m) && m.reply_to) return { ...m, reply_to: { ...m.reply_to, content: excerpt } };
    return m;
  });
  return { ...t, messages };
}

/**
 * The start of a text a reply quotes: EXCERPT characters, without a mention cut in two at the
 * end (the server's rule).
 * @param {string} content
 */
export function excerptOf(content) {
  const chars = [...content];
  if (chars.length < EXCERPT) return content;
  const start = chars.slice(0, EXCERPT).join("");
  return start.replace(/\s*<@\d*$/, "");
}

/**
 * Some fields of a held message changed (a pin shown before its dispatch).
 * @param {Timeline} t @param {number} id @param {Partial<Message>} patch
 * @returns {Timeline}
 */
export function withPatch(t, id, patch) {
  const at = t.messages.findIndex((m) => m.id === id);
  if (at < 0) return t;
  const messages = [...t.messages];
  messages[at] = { ...messages[at], ...patch };
  return { ...t, messages };
}

/**
 * A deletion (`message_delete`): the message goes, and replies to it lose their quote (they
 * keep `reply_to_id`: "original message deleted"). A message not held is ignored.
 * @param {Timeline} t @param {number} id
 * @returns {Timeline}
 */
export function withDelete(t, id) {
  if (!t.messages.some((m) => m.id === id || m.reply_to?.id === id)) return t;
  const messages = t.messages
    .filter((m) => m.id !== id)
    .map((m) => (m.reply_to?.id === id ? { ...m, reply_to: null } : m));
  return { ...t, messages };
}

/**
 * The reactions after one is given or taken back. A dispatch's count is set as it is, so
 * applying one twice (a history job's replay) changes nothing more; `me` follows the person's
 * own. The person's own shown before the answer (no count) moves the count by one, once.
 * A chip at zero goes.
 * @param {Reaction[]} held @param {ReactionChange} change
 * @returns {Reaction[]}
 */
export function react(held, change) {
  const at = held.findIndex((r) => r.emoji === change.emoji);
  const was = at < 0 ? { emoji: change.emoji, count: 0, me: false } : held[at];
  const me = change.mine ? change.add : was.me;
  let count = change.count;
  if (count === undefined) {
    if (change.mine && was.me === change.add) return held;
    count = was.count + (change.add ? 1 : -1);
  }
  if (count === was.count && me === was.me) return held;
  if (count <= 0) return held.filter((_, i) => i !== at);
  const next = { emoji: change.emoji, count, me };
  return at < 0 ? [...held, next] : held.map((x, i) => (i === at ? next : x));
}

/**
 * A reaction on a held message; one not held is ignored.
 * @param {Timeline} t @param {ReactionChange} change
 * @returns {Timeline}
 */
export function withReaction(t, change) {
  const at = t.messages.findIndex((m) => m.id === change.message_id);
  if (at < 0) return t;
  const message = t.messages[at];
  const reactions = react(message.reactions ?? [], change);
  if (reactions === message.reactions) return t;
  const messages = [...t.messages];
  messages[at] = { ...message, reactions };
  return { ...t, messages };
}

/**
 * The pages around one message (a jump to it): `before` ends with it, `after` follows it. The
 * window is replaced; it reaches the present when `after` was not full.
 * @param {Message[]} before @param {Message[]} after @param {number} limit each page's size asked for
 * @returns {Timeline}
 */
export function around(before, after, limit) {
  return {
    messages: merge(before, after),
    loaded: true,
    hasOlder: before.length >= limit,
    atPresent: after.length < limit,
  };
}

/**
 * The held range re-read after a reconnection (`after=<from>` pages, ascending, up to at least
 * `upTo`, the newest id held when the reading began): inside (from, covered] the answer replaces
 * what is held, so a message missing from it was deleted and a changed one is updated; what is
 * outside (older, or live messages newer than the answer) stays.
 * @param {Timeline} t @param {Message[]} fetched @param {number} from @param {number} upTo
 * @param {number} [max]
 * @returns {Timeline}
 */
export function withRefreshed(t, fetched, from, upTo, max = WINDOW) {
  const covered = Math.max(upTo, fetched.at(-1)?.id ?? from);
  const kept = t.messages.filter((m) => m.id <= from || m.id > covered);
  return keepNewest({ ...t, messages: merge(kept, fetched) }, max);
}

/**
 * What a socket frame changes, as the timeline sees it.
 * @typedef {{kind: "new", message: Message} | {kind: "update", message: Message} | {kind: "delete", id: number}
 *   | {kind: "react", change: ReactionChange}} Change
 */

/**
 * One change from the socket.
 * @param {Timeline} t @param {Change} change
 * @returns {Timeline}
 */
export function apply(t, change) {
  if (change.kind === "update") return withUpdate(t, change.message);
  if (change.kind === "delete") return withDelete(t, change.id);
  if (change.kind === "react") return withReaction(t, change.change);
  return withLive(t, change.message);
}

/**
 * The changes that arrived while a page was being fetched, applied again once it is in: a page
 * read before them would otherwise undo them (a deleted message back, an edit lost, a new
 * message missing after "jump to present"). Applying a change twice is harmless (reactions carry
 * their count); a new message older than the first held, while older ones exist, is left out (it
 * would leave a gap).
 * @param {Timeline} t @param {Change[]} changes
 * @returns {Timeline}
 */
export function replay(t, changes) {
  return changes.reduce((x, change) => {
    const first = oldestId(x);
    if (change.kind === "new" && x.hasOlder && first !== null && change.message.id < first) return x;
    return apply(x, change);
  }, t);
}

/** @param {Timeline} t @param {number} max @returns {Timeline} */
function keepNewest(t, max) {
  if (t.messages.length <= max) return t;
  return { ...t, messages: t.messages.slice(-max), hasOlder: true };
}

/** The id of the newest message held, or null. @param {Timeline} t */
export function newestId(t) {
  return t.messages.at(-1)?.id ?? null;
}

/** The id of the oldest message held, or null. @param {Timeline} t */
export function oldestId(t) {
  return t.messages[0]?.id ?? null;
}

/** Whether a message was changed after it was sent. @param {Message} m */
export function isEdited(m) {
  return m.timestamp_updated !== m.timestamp_created;
}

/**
 * The newest held message of this author (what ↑ in an empty composer edits).
 * @param {Message[]} messages @param {number} userId
 * @returns {Message|null}
 */
export function lastOwn(messages, userId) {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].user.id === userId) return messages[i];
  return null;
}

/** @param {Date} d */
function dayKey(d) {
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/**
 * A day's name as a separator shows it: "Today", "Yesterday", or the date (local time).
 * @param {Date} day @param {Date} now @param {string} [locale]
 */
export function dayLabel(day, now, locale) {
  if (dayKey(day) === dayKey(now)) return "Today";
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (dayKey(day) === dayKey(yesterday)) return "Yesterday";
  /** @type {Intl.DateTimeFormatOptions} */
  const options = { weekday: "long", day: "numeric", month: "long" };
  if (day.getFullYear() !== now.getFullYear()) options.year = "numeric";
  return day.toLocaleDateString(locale, options);
}

/**
 * The rows the list shows: a separator before each day's first message, and each message marked
 * `grouped` when it continues the previous one's author within GROUP_MS (no header repeated).
 * @param {Message[]} messages @param {Date} now @param {string} [locale]
 * @returns {Row[]}
 */
export function rows(messages, now, locale) {
  /** @type {Row[]} */
  const out = [];
  /** @type {Message|null} */
  let previous = null;
  let previousDay = "";
  for (const message of messages) {
    const created = new Date(message.timestamp_created);
    const day = dayKey(created);
    if (day !== previousDay) {
      out.push({ kind: "day", key: `day-${day}`, label: dayLabel(created, now, locale) });
      previous = null;
      previousDay = day;
    }
    const grouped =
      previous !== null &&
      message.user.id !== null &&
      previous.user.id === message.user.id &&
      created.getTime() - new Date(previous.timestamp_created).getTime() < GROUP_MS;
    out.push({ kind: "message", key: `m-${message.id}`, message, grouped, edited: isEdited(message) });
    previous = message;
  }
  return out;
}
