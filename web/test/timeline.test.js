import { test } from "node:test";
import assert from "node:assert/strict";
import {
  emptyTimeline, merge, withLatest, withOlder, withNewer, withLive, withUpdate, withDelete, withRefreshed,
  apply, replay, newestId, oldestId, isEdited, lastOwn, dayLabel, rows, GROUP_MS,
} from "../app/chat/timeline.js";

/** @typedef {import("../app/chat/timeline.js").Message} Message */

/**
 * A message; `at` is a local Date (times in these tests are local, as the list shows them).
 * @param {number} id @param {{user?: number, at?: Date, text?: string, updated?: Date}} [o]
 * @returns {Message}
 */
function msg(id, o = {}) {
  const created = (o.at ?? new Date(2026, 10, 26, 10, 0, id)).toISOString();
  return {
    id,
    user: { id: o.user ?? 1, username: `user ${o.user ?? 1}`, image_url: null },
    content: o.text ?? `message ${id}`,
    timestamp_created: created,
    timestamp_updated: o.updated ? o.updated.toISOString() : created,
  };
}
/** @param {number} from @param {number} to inclusive */
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));
/** @param {import("../app/chat/timeline.js").Timeline} t */
const ids = (t) => t.messages.map((m) => m.id);

test("merge keeps one ascending copy of each id", () => {
  const merged = merge([msg(1), msg(3), msg(5)], [msg(4), msg(3), msg(2)]);
  assert.deepEqual(merged.map((m) => m.id), [1, 2, 3, 4, 5]);
});

test("merge keeps the later edit and the richer author", () => {
  const rest = { ...msg(1), user: { id: 1, username: "Ann", image_url: null, owner: "ann", content: "bio" } };
  const edited = { ...msg(1, { text: "new", updated: new Date(2027, 0, 1) }), user: { id: 1, username: "Ann B", image_url: null } };
  const [one] = merge([rest], [edited]);
  assert.equal(one.content, "new");
  assert.equal(one.user.owner, "ann");
  assert.equal(one.user.username, "Ann B");
  // An older version arriving late changes nothing.
  assert.equal(merge([edited], [rest])[0].content, "new");
});

test("the latest page joins the live messages that came before it", () => {
  let t = withLive(emptyTimeline(), msg(51));
  t = withLatest(t, range(2, 51), 50);
  assert.deepEqual(ids(t), range(2, 51).map((m) => m.id));
  assert.equal(t.loaded, true);
  assert.equal(t.atPresent, true);
  assert.equal(t.hasOlder, true, "a full page: older ones may remain");
  assert.equal(withLatest(emptyTimeline(), range(1, 10), 50).hasOlder, false);
});

test("older pages are prepended; past the window the newest side is dropped and the present left", () => {
  let t = withLatest(emptyTimeline(), range(951, 1000), 50);
  for (let before = 951; before > 751; before -= 50) t = withOlder(t, range(before - 50, before - 1), 50, 120);
  assert.equal(t.messages.length, 120);
  assert.equal(oldestId(t), 751);
  assert.equal(newestId(t), 870);
  assert.equal(t.atPresent, false);
  assert.equal(t.hasOlder, true);
  t = withOlder(t, [], 50, 120);
  assert.equal(t.hasOlder, false, "an empty page: the beginning of the channel");
});

test("live messages are held only at present", () => {
  let t = withLatest(emptyTimeline(), range(1, 5), 50);
  t = withLive(t, msg(6));
  assert.equal(newestId(t), 6);
  const back = { ...t, atPresent: false };
  assert.equal(withLive(back, msg(7)), back);
});

test("live messages past the window drop the oldest side", () => {
  let t = withLatest(emptyTimeline(), range(1, 10), 50, 10);
  t = withLive(t, msg(11), 10);
  assert.deepEqual([oldestId(t), newestId(t), t.messages.length], [2, 11, 10]);
  assert.equal(t.hasOlder, true);
});

test("newer pages reach the present when one is short, and trim the oldest side", () => {
  let t = { ...withLatest(emptyTimeline(), range(1, 50), 50), atPresent: false };
  t = withNewer(t, range(51, 150), 100, 120);
  assert.equal(t.atPresent, false, "a full page: more may follow");
  assert.deepEqual([oldestId(t), newestId(t)], [31, 150]);
  t = withNewer(t, range(151, 160), 100, 120);
  assert.equal(t.atPresent, true);
  assert.equal(t.hasOlder, true);
});

test("jump to present replaces a window that had scrolled back", () => {
  const back = { ...withLatest(emptyTimeline(), range(1, 50), 50), atPresent: false };
  const t = withLatest(back, range(951, 1000), 50);
  assert.deepEqual([oldestId(t), newestId(t), t.atPresent, t.hasOlder], [951, 1000, true, true]);
});

test("updates and deletes apply to held messages and ignore the others", () => {
  const t = withLatest(emptyTimeline(), range(1, 3), 50);
  const edited = withUpdate(t, msg(2, { text: "changed", updated: new Date(2027, 0, 1) }));
  assert.equal(edited.messages[1].content, "changed");
  assert.equal(isEdited(edited.messages[1]), true);
  assert.equal(isEdited(edited.messages[0]), false);
  assert.equal(withUpdate(t, msg(99, { updated: new Date(2027, 0, 1) })), t);
  assert.deepEqual(ids(withDelete(t, 2)), [1, 3]);
  assert.equal(withDelete(t, 99), t);
});

test("lastOwn finds the newest message of an author", () => {
  const list = [msg(1, { user: 1 }), msg(2, { user: 2 }), msg(3, { user: 1 }), msg(4, { user: 2 })];
  assert.equal(lastOwn(list, 1)?.id, 3);
  assert.equal(lastOwn(list, 3), null);
});

test("day labels: today, yesterday, a date, a date with its year", () => {
  const now = new Date(2026, 10, 26, 9, 0);
  assert.equal(dayLabel(new Date(2026, 10, 26, 0, 1), now, "en-GB"), "Today");
  assert.equal(dayLabel(new Date(2026, 10, 25, 23, 59), now, "en-GB"), "Yesterday");
  // (The punctuation between the parts depends on the ICU version.)
  assert.match(dayLabel(new Date(2026, 10, 1, 12), now, "en-GB"), /^Sunday,? 1 November$/);
  assert.match(dayLabel(new Date(2025, 10, 1, 12), now, "en-GB"), /^Saturday,? 1 November 2025$/);
  // Across a month boundary.
  assert.equal(dayLabel(new Date(2026, 10, 30), new Date(2026, 11, 1, 8), "en-GB"), "Yesterday");
});

test("rows: a separator per day, consecutive messages of one author grouped within a few minutes", () => {
  const now = new Date(2026, 10, 26, 18, 0);
  const list = [
    msg(1, { user: 1, at: new Date(2026, 10, 25, 23, 58) }),
    msg(2, { user: 1, at: new Date(2026, 10, 26, 0, 1) }), // same author, but another day
    msg(3, { user: 1, at: new Date(2026, 10, 26, 0, 3) }),
    msg(4, { user: 2, at: new Date(2026, 10, 26, 0, 4) }),
    msg(5, { user: 2, at: new Date(2026, 10, 26, 0, 4 + GROUP_MS / 60000) }), // too late
    msg(6, { user: 2, at: new Date(2026, 10, 26, 0, 10), updated: new Date(2026, 10, 26, 1, 0) }),
  ];
  const shown = rows(list, now, "en-GB").map((r) => (r.kind === "day" ? r.label : `${r.message.id}${r.grouped ? "g" : ""}${r.edited ? "e" : ""}`));
  assert.deepEqual(shown, ["Yesterday", "1", "Today", "2", "3g", "4", "5", "6ge"]);
});

test("messages of deleted accounts are never grouped", () => {
  const gone = (/** @type {number} */ id) => ({ ...msg(id), user: { id: null, username: "Deleted User", image_url: null } });
  const shown = rows([gone(1), gone(2)], new Date(2026, 10, 26, 12), "en-GB").filter((r) => r.kind === "message");
  assert.deepEqual(shown.map((r) => r.kind === "message" && r.grouped), [false, false]);
});

test("jump to present: what the socket brought while the latest page was loading is not lost", () => {
  // Scrolled back to 1..50 of a channel whose newest is 300.
  let t = { ...emptyTimeline(), loaded: true, atPresent: false, messages: range(1, 50) };
  /** @type {import("../app/chat/timeline.js").Change[]} */
  const recorded = [];
  // While the latest page is fetched: my own echo (301) and then Bob's (302), an edit of 299 and
  // a delete of 298. Live frames alone are dropped, the window not being at present.
  const live = [
    { kind: /** @type {const} */ ("new"), message: msg(301, { user: 2 }) },
    { kind: /** @type {const} */ ("new"), message: msg(302) },
    { kind: /** @type {const} */ ("update"), message: msg(299, { text: "edited", updated: new Date(2027, 0, 1) }) },
    { kind: /** @type {const} */ ("delete"), id: 298 },
  ];
  for (const change of live) {
    recorded.push(change);
    t = apply(t, change);
  }
  assert.deepEqual(ids(t), range(1, 50).map((m) => m.id), "nothing live lands outside the present");
  // The page was read when 300 was the newest, before any of them.
  const page = range(251, 300);
  t = replay(withLatest(t, page, 50), recorded);
  assert.equal(t.atPresent, true);
  assert.deepEqual(ids(t).slice(-5), [297, 299, 300, 301, 302]);
  assert.equal(t.messages.find((m) => m.id === 299)?.content, "edited");
  // Replaying twice changes nothing; a "new" message older than the window is not let in.
  assert.deepEqual(replay(t, recorded), t);
  assert.deepEqual(ids(replay(t, [{ kind: "new", message: msg(10) }])), ids(t));
});

test("after a reconnection the re-read held range replaces it: deletes and edits made meanwhile show", () => {
  const held = { ...emptyTimeline(), loaded: true, hasOlder: true, messages: range(11, 20) };
  // While away: 13 and 20 deleted, 15 edited, 21 and 22 new. A live 23 came during the reading.
  const withLate = withLive(held, msg(23));
  const fetched = [...range(11, 22)].filter((m) => m.id !== 13 && m.id !== 20).map((m) => (m.id === 15 ? msg(15, { text: "fixed", updated: new Date(2027, 0, 1) }) : m));
  const t = withRefreshed(withLate, fetched, 10, 20);
  assert.deepEqual(ids(t), [11, 12, 14, 15, 16, 17, 18, 19, 21, 22, 23]);
  assert.equal(t.messages.find((m) => m.id === 15)?.content, "fixed");
  assert.equal(t.hasOlder, true);
  // The newest held message deleted and nothing new: the answer ends before it, still covered.
  assert.deepEqual(ids(withRefreshed(held, range(11, 19), 10, 20)), range(11, 19).map((m) => m.id));
  // Older messages than the range are kept; the window still holds.
  const big = { ...held, messages: range(1, 20) };
  assert.deepEqual(ids(withRefreshed(big, range(11, 20).filter((m) => m.id !== 12), 10, 20, 15)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20].slice(-15));
});
