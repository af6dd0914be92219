// Which messages sent on a dropped socket never arrived.
import { test } from "node:test";
import assert from "node:assert/strict";
import { notArrived } from "../app/chat/unsent.js";

/** @param {number} id @param {number} user @param {string} content */
const stored = (id, user, content) => ({ id, user: { id: user }, content });
/** @param {string} nonce @param {string} text @param {number} after */
const sent = (nonce, text, after) => ({ nonce, text, after });

test("a sent message found among the messages read after reconnecting arrived", () => {
  const messages = [stored(9, 1, "hi"), stored(11, 2, "hello"), stored(12, 1, "hello")];
  assert.deepEqual(notArrived([sent("a", "hello", 10)], messages, 1), []);
});

test("same text by someone else, or older than what was held at sending, does not count", () => {
  const messages = [stored(9, 1, "hello"), stored(11, 2, "hello")];
  assert.deepEqual(notArrived([sent("a", "hello", 10)], messages, 1), [sent("a", "hello", 10)]);
});

test("each stored message accounts for one sent message: the same text twice needs two", () => {
  const twice = [sent("a", "ok", 5), sent("b", "ok", 5)];
  assert.deepEqual(notArrived(twice, [stored(6, 1, "ok")], 1), [sent("b", "ok", 5)]);
  assert.deepEqual(notArrived(twice, [stored(6, 1, "ok"), stored(8, 1, "ok")], 1), []);
});

test("nothing read: all of them are offered back, in order", () => {
  const lost = [sent("a", "one", 0), sent("b", "two", 0)];
  assert.deepEqual(notArrived(lost, [], 1), lost);
});

test("a message whose echo came back does not stand for a lost one with the same text", () => {
  // "ok" sent twice; the first echoed (id 11), the socket dropped before the second's echo.
  const sent = [{ nonce: "b", text: "ok", after: 10 }];
  const history = [{ id: 11, user: { id: 1 }, content: "ok" }];
  assert.deepEqual(notArrived(sent, history, 1, new Set([11])), sent);
  assert.deepEqual(notArrived(sent, [...history, { id: 12, user: { id: 1 }, content: "ok" }], 1, new Set([11])), []);
});
