import { test } from "node:test";
import assert from "node:assert/strict";
import { shouldSendTyping, typingNow, typingLabel, SEND_EVERY_MS, SHOWN_MS } from "../app/chat/typing.js";

test("typing goes out at most every few seconds", () => {
  assert.equal(shouldSendTyping(0, 10_000), true);
  assert.equal(shouldSendTyping(10_000, 10_000 + SEND_EVERY_MS - 1), false);
  assert.equal(shouldSendTyping(10_000, 10_000 + SEND_EVERY_MS), true);
});

test("people are shown typing for a few seconds after their frame, never oneself", () => {
  const seen = new Map([[1, 1000], [2, 1000 + SHOWN_MS], [3, 5000]]);
  assert.deepEqual(typingNow(seen, 1000 + SHOWN_MS, 3), [2]);
});

test("the sentence", () => {
  assert.equal(typingLabel([]), "");
  assert.equal(typingLabel(["Ann"]), "Ann is typing…");
  assert.equal(typingLabel(["Ann", "Bob"]), "Ann and Bob are typing…");
  assert.equal(typingLabel(["Ann", "Bob", "Cy"]), "Ann, Bob and Cy are typing…");
  assert.equal(typingLabel(["Ann", "Bob", "Cy", "Di"]), "Several people are typing…");
});
