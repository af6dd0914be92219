import { test } from "node:test";
import assert from "node:assert/strict";
import { around, apply, excerptOf, react, replay, withDelete, withReaction, withUpdate } from "../app/chat/timeline.js";
import { matching } from "../app/chat/emoji-picker.js";
import { ChannelFeed } from "../app/realtime/channel-feed.js";

/** @param {number} id @param {object} [extra] @returns {import("../app/chat/timeline.js").Message} */
function msg(id, extra = {}) {
  const at = new Date(2026, 11, 7, 10, 0, id).toISOString();
  return { id, user: { id: 1, username: "ann", image_url: null }, content: `m${id}`, timestamp_created: at, timestamp_updated: at, ...extra };
}
/** @param {import("../app/chat/timeline.js").Message[]} messages */
const timeline = (messages) => ({ messages, loaded: true, hasOlder: false, atPresent: true });
/** @param {Partial<import("../app/chat/timeline.js").ReactionChange>} o */
const change = (o) => ({ message_id: 1, user_id: 2, emoji: "👍", add: true, mine: false, ...o });

test("a dispatch sets the count; one's own shown early moves it by one, once", () => {
  let r = react([], change({ count: 1 }));
  assert.deepEqual(r, [{ emoji: "👍", count: 1, me: false }]);
  assert.equal(react(r, change({ count: 1 })), r, "the same dispatch twice changes nothing");
  // Mine, shown before the answer: +1 and me; its dispatch then sets the exact count.
  r = react(r, change({ user_id: 1, mine: true }));
  assert.deepEqual(r, [{ emoji: "👍", count: 2, me: true }]);
  assert.equal(react(r, change({ user_id: 1, mine: true })), r, "shown once");
  r = react(r, change({ user_id: 1, mine: true, count: 2 }));
  assert.deepEqual(r, [{ emoji: "👍", count: 2, me: true }]);
  r = react(r, change({ emoji: "❤️", count: 1 }));
  assert.deepEqual(r.map((x) => x.emoji), ["👍", "❤️"]);
  r = react(r, change({ add: false, mine: true, count: 1 }));
  assert.deepEqual(r[0], { emoji: "👍", count: 1, me: false });
  assert.equal(react(r, change({ add: false, mine: true })), r, "taking back what one has not given changes nothing");
  r = react(r, change({ add: false, count: 0 }));
  assert.deepEqual(r, [{ emoji: "❤️", count: 1, me: false }], "a chip at zero goes");
});

test("a reaction reaches the message it is on, and a replay applies it once", () => {
  const t = timeline([msg(1), msg(2)]);
  const reacted = apply(t, { kind: "react", change: change({ message_id: 2, count: 1 }) });
  assert.deepEqual(reacted.messages[1].reactions, [{ emoji: "👍", count: 1, me: false }]);
  assert.equal(withReaction(t, change({ message_id: 9, count: 1 })), t, "a message not held");
  const replayed = replay(reacted, [{ kind: "react", change: change({ message_id: 2, count: 1 }) }]);
  assert.equal(replayed.messages[1].reactions?.[0].count, 1, "not counted twice");
});

test("an edit of an original updates the quotes of its replies", () => {
  const quote = { id: 1, user: { id: 1, username: "ann", image_url: null }, content: "old" };
  const t = timeline([msg(1), msg(2, { reply_to: quote, reply_to_id: 1 })]);
  const later = new Date(2027, 0, 1).toISOString();
  const edited = withUpdate(t, { ...msg(1), content: "x".repeat(150), timestamp_updated: later });
  assert.equal(edited.messages[1].reply_to?.content, "x".repeat(100));
  assert.equal(excerptOf(`${"y".repeat(95)} <@123456>`), "y".repeat(95), "a mention cut in two is left out");
  assert.equal(excerptOf("short <@12"), "short <@12");
});

test("an edit or a pin from a dispatch keeps the reactions held", () => {
  const held = msg(1, { reactions: [{ emoji: "👍", count: 3, me: true }] });
  const later = new Date(2027, 0, 1).toISOString();
  const edited = withUpdate(timeline([held]), { ...msg(1), content: "new", timestamp_updated: later });
  assert.equal(edited.messages[0].content, "new");
  assert.deepEqual(edited.messages[0].reactions, held.reactions);
  const pinned = withUpdate(timeline([held]), { ...msg(1), pinned: true });
  assert.equal(pinned.messages[0].pinned, true);
  assert.deepEqual(pinned.messages[0].reactions, held.reactions);
});

test("deleting an original leaves its replies saying so", () => {
  const quote = { id: 1, user: { id: 1, username: "ann", image_url: null }, content: "m1" };
  const t = timeline([msg(1), msg(2, { reply_to: quote, reply_to_id: 1 })]);
  const after = withDelete(t, 1);
  assert.deepEqual(after.messages.map((m) => m.id), [2]);
  assert.equal(after.messages[0].reply_to, null);
  assert.equal(after.messages[0].reply_to_id, 1);
  const gone = withDelete(timeline([msg(3, { reply_to: quote, reply_to_id: 1 })]), 1);
  assert.equal(gone.messages[0].reply_to, null, "an original not held still ends its quotes");
});

test("a jump holds the pages around the message, at present only when the newer page was short", () => {
  const before = [msg(8), msg(9), msg(10)];
  const t = around(before, [msg(11), msg(12)], 3);
  assert.deepEqual(t.messages.map((m) => m.id), [8, 9, 10, 11, 12]);
  assert.deepEqual([t.hasOlder, t.atPresent], [true, true]);
  const far = around(before, [msg(11), msg(12), msg(13)], 3);
  assert.equal(far.atPresent, false);
});

test("an emoji search matches every word of the name", () => {
  const all = [
    { emoji: "👍", name: "thumbs up", group: "People & Body" },
    { emoji: "👎", name: "thumbs down", group: "People & Body" },
    { emoji: "🆙", name: "up! button", group: "Symbols" },
    { emoji: "🇫🇷", name: "flag: France", group: "Flags" },
  ];
  assert.deepEqual(matching(all, "france").map((e) => e.emoji), ["🇫🇷"], "names with capitals too");
  assert.deepEqual(matching(all, "UP").map((e) => e.emoji), ["👍", "🆙"]);
  assert.deepEqual(matching(all, "thumbs  up").map((e) => e.emoji), ["👍"]);
  assert.equal(matching(all, " ").length, 4);
});

test("the channel's feed passes on reactions there, marking one's own", () => {
  /** @type {any[]} */
  const frames = [];
  /** @type {(event: string, data: any) => void} */
  let listener = () => {};
  const live = {
    listen: (/** @type {any} */ f) => ((listener = f), () => {}),
    watch: () => () => {},
    status: { state: "online" },
  };
  const feed = new ChannelFeed(/** @type {any} */ (live), {
    serverId: 1, channelId: 5, me: 7, onFrame: (f) => frames.push(f), onStatus: () => {},
  });
  feed.open();
  const d = { message_id: 3, channel_id: 5, server_id: 1, user_id: 7, emoji: "👍" };
  listener("reaction_add", d);
  listener("reaction_remove", { ...d, user_id: 8 });
  listener("reaction_add", { ...d, channel_id: 6 });
  assert.deepEqual(frames.map((f) => [f.event, f.data.add, f.data.mine]), [["reaction", true, true], ["reaction", false, false]]);
});
