// What the search panel asks the server and how it says the total.
import { test } from "node:test";
import assert from "node:assert/strict";
import { searchPath, totalWords } from "../app/chat/search.js";

test("a search asks for its words where the person chose, 25 at a time, from where the last page ended", () => {
  const here = { channelId: 7, serverId: 3 };
  assert.equal(searchPath("lighthouse map", "channel", here), "/api/search/messages/?q=lighthouse+map&limit=25&channel_id=7");
  assert.equal(searchPath("a&b", "server", here), "/api/search/messages/?q=a%26b&limit=25&server_id=3");
  assert.equal(searchPath("x", "all", here, 99), "/api/search/messages/?q=x&limit=25&before=99");
  assert.equal(searchPath("x", "all", here, null, 4), "/api/search/messages/?q=x&limit=25&author_id=4");
  // In a direct message there is no server to search.
  assert.equal(searchPath("x", "server", { channelId: 7, serverId: null }), "/api/search/messages/?q=x&limit=25");
});

test("the total reads as words, and past what the server counts as 10,000+", () => {
  assert.equal(totalWords(1), "1 result");
  assert.equal(totalWords(2500), "2,500 results");
  assert.equal(totalWords(10_000), "10,000+ results");
});
