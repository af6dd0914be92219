// The chat pane's catch-up after a reconnection: history addresses, and reading pages after
// the newest held message until the present.
import { test } from "node:test";
import assert from "node:assert/strict";
import { catchUp, nextAfter, pagePath, reread } from "../app/chat/history.js";

test("history addresses always carry a limit", () => {
  assert.equal(pagePath(7), "/api/messages/?channel_id=7&limit=50");
  assert.equal(pagePath(7, { before: 40 }), "/api/messages/?channel_id=7&limit=50&before=40");
  assert.equal(pagePath(7, { after: 40, limit: 100 }), "/api/messages/?channel_id=7&limit=100&after=40");
});

test("the next catch-up request starts after the last message of a full page", () => {
  assert.equal(nextAfter(10, [{ id: 11 }, { id: 12 }], 2), 12);
  assert.equal(nextAfter(10, [{ id: 11 }], 2), null, "a short page reached the present");
  assert.equal(nextAfter(10, [], 2), null);
});

test("catching up fetches full pages until a short one, each message once", async () => {
  const channel = Array.from({ length: 250 }, (_, i) => ({ id: i + 1 }));
  /** @type {number[]} */
  const asked = [];
  /** @type {number[]} */
  const got = [];
  await catchUp(
    async (after, limit) => {
      asked.push(after);
      return channel.filter((m) => m.id > after).slice(0, limit);
    },
    20,
    (page) => got.push(...page.map((m) => m.id)),
    100,
  );
  assert.deepEqual(asked, [20, 120, 220]);
  assert.deepEqual(got, channel.slice(20).map((m) => m.id));
});

test("re-reading the held range stops once it reaches the newest held, or the present", async () => {
  const channel = Array.from({ length: 250 }, (_, i) => ({ id: i + 1 }));
  /** @type {number[]} */
  const asked = [];
  /** @param {number} after @param {number} limit */
  const fetchPage = async (after, limit) => (asked.push(after), channel.filter((m) => m.id > after).slice(0, limit));
  const far = await reread(fetchPage, 10, 150, 100);
  assert.deepEqual(asked, [10, 110]);
  assert.deepEqual([far.fetched.length, far.next], [200, 210]);
  asked.length = 0;
  const near = await reread(fetchPage, 200, 240, 100);
  assert.deepEqual(asked, [200]);
  assert.deepEqual([near.fetched.length, near.next], [50, null]);
});
