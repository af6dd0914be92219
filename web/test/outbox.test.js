import { test } from "node:test";
import assert from "node:assert/strict";
import { Outbox, RETRY_FOR_MS, closeOutboxes, outboxFor, retryable } from "../app/chat/outbox.js";
import { ApiError } from "../app/api/errors.js";

/** Lets every pending promise callback and zero-delay timer run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/**
 * An outbox whose every POST waits for the test to answer it.
 * @param {{clock?: () => number}} [options]
 */
function harness(options = {}) {
  /** @type {{body: any, resolve: (m: any) => void, reject: (e: any) => void}[]} */
  const posts = [];
  /** @type {string[]} */
  const log = [];
  /** @param {any} body */
  const post = (body) => new Promise((resolve, reject) => posts.push({ body, resolve, reject }));
  const outbox = new Outbox(7, post, { random: () => 0, ...options });
  const unlisten = outbox.listen({
    onChange: () => {},
    onSent: (sent, message) => log.push(`sent ${sent.text} as ${message.id}`),
    onRefused: (sent, error) => log.push(`refused ${sent.text}: ${error.status}`),
  });
  return { outbox, posts, log, unlisten };
}

test("messages go one at a time, in the order written, each with its own nonce", async () => {
  const { outbox, posts, log } = harness();
  outbox.send("one");
  outbox.send("two");
  assert.equal(posts.length, 1, "the second waits for the first");
  assert.deepEqual(outbox.pending().map((p) => p.text), ["one", "two"]);
  const first = posts[0].body;
  assert.equal(first.channel_id, 7);
  assert.equal(first.content, "one");
  posts[0].resolve({ id: 1 });
  await settle();
  assert.equal(posts.length, 2);
  assert.equal(posts[1].body.content, "two");
  assert.notEqual(posts[1].body.nonce, first.nonce);
  posts[1].resolve({ id: 2 });
  await settle();
  assert.deepEqual(log, ["sent one as 1", "sent two as 2"]);
  assert.deepEqual(outbox.pending(), []);
  assert.ok(outbox.isMine(first.nonce) && !outbox.isMine("other") && !outbox.isMine(undefined));
});

test("a send without an answer goes again with the same nonce; a refusal ends it", async () => {
  const { outbox, posts, log } = harness();
  outbox.send("hello");
  outbox.send("not allowed");
  posts[0].reject(new ApiError(0, null));
  await settle();
  assert.equal(outbox.pending()[0].retrying, true);
  posts[1].reject(new ApiError(503, { detail: "down" }));
  await settle();
  assert.equal(posts.length, 3);
  assert.equal(new Set(posts.map((p) => p.body.nonce)).size, 1, "one nonce for every attempt");
  posts[2].resolve({ id: 5 });
  await settle();
  posts[3].reject(new ApiError(403, { detail: "no" }));
  await settle();
  assert.deepEqual(log, ["sent hello as 5", "refused not allowed: 403"]);
  assert.equal(posts.length, 4, "a refusal is not retried");
  assert.deepEqual(outbox.pending(), []);
  assert.deepEqual(outbox.unsent.map((u) => u.text), ["not allowed"], "offered back");
});

test("too many sends: sent again once Retry-After has passed, with the same nonce", async () => {
  const { outbox, posts, log } = harness();
  outbox.send("burst");
  posts[0].reject(new ApiError(429, { detail: "slow down" }, 0.01));
  await settle();
  assert.equal(posts.length, 1, "not before Retry-After");
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(posts[1].body.nonce, posts[0].body.nonce);
  posts[1].resolve({ id: 9 });
  await settle();
  assert.deepEqual(log, ["sent burst as 9"]);
});

test("a send still unanswered long after its first attempt is given up and offered back", async () => {
  let now = 1_000;
  const { outbox, posts, log } = harness({ clock: () => now });
  outbox.send("lost");
  outbox.send("next");
  now += RETRY_FOR_MS;
  posts[0].reject(new ApiError(0, null));
  await settle();
  assert.deepEqual(outbox.unsent.map((u) => u.text), ["lost"]);
  // The next one had waited all along: its own time starts with its first attempt.
  assert.equal(posts[1].body.content, "next", "the next one goes");
  posts[1].reject(new ApiError(0, null));
  await settle();
  assert.equal(posts[2].body.content, "next", "and is retried, not given up");
  posts[2].resolve({ id: 3 });
  await settle();
  outbox.retry(outbox.unsent[0]);
  assert.deepEqual(outbox.unsent, []);
  assert.equal(posts[3].body.content, "lost");
  assert.notEqual(posts[3].body.nonce, posts[0].body.nonce, "a new send, long after the first");
  posts[3].resolve({ id: 4 });
  await settle();
  assert.deepEqual(log, ["sent next as 3", "sent lost as 4"]);
});

test("a refused send retried soon keeps its nonce; one already back over the socket is not offered back", async () => {
  const { outbox, posts } = harness();
  outbox.send("again");
  posts[0].reject(new ApiError(400, { content: ["too long"] }));
  await settle();
  outbox.retry(outbox.unsent[0]);
  assert.equal(posts[1].body.nonce, posts[0].body.nonce);
  outbox.arrived(posts[1].body.nonce);
  posts[1].reject(new ApiError(403, null));
  await settle();
  assert.deepEqual(outbox.unsent, []);
});

test("with no pane open, sends go on and a refusal waits to be offered back", async () => {
  const { outbox, posts, log, unlisten } = harness();
  outbox.send("while away");
  unlisten();
  posts[0].reject(new ApiError(403, { detail: "no" }));
  await settle();
  assert.deepEqual(log, []);
  assert.deepEqual(outbox.unsent.map((u) => u.text), ["while away"]);
  outbox.discard(outbox.unsent[0]);
  assert.deepEqual(outbox.unsent, []);
});

test("one outbox per channel until logging out", () => {
  const post = () => new Promise(() => {});
  const first = outboxFor(1, post);
  assert.equal(outboxFor(1, post), first);
  assert.notEqual(outboxFor(2, post), first);
  closeOutboxes();
  assert.ok(first.closed);
  assert.notEqual(outboxFor(1, post), first);
  closeOutboxes();
});

test("a message back over the socket is no longer pending, and nothing runs after close", async () => {
  const { outbox, posts, log } = harness();
  outbox.send("echoed");
  outbox.arrived(posts[0].body.nonce);
  assert.deepEqual(outbox.pending(), []);
  outbox.send("after close");
  outbox.close();
  posts[0].reject(new ApiError(0, null));
  await settle();
  assert.equal(posts.length, 1);
  assert.deepEqual(log, []);
});

test("only failures that may not have reached the server are retried", () => {
  for (const status of [0, 408, 429, 500, 502, 503]) assert.ok(retryable(new ApiError(status, null)), `${status}`);
  for (const status of [400, 401, 403, 404, 413]) assert.ok(!retryable(new ApiError(status, null)), `${status}`);
  assert.ok(!retryable(new TypeError("a bug")));
});

test("a reply carries what it answers on every attempt, and when offered back again", async () => {
  const { outbox, posts } = harness();
  outbox.send("yes", { id: 41, username: "Ann" });
  outbox.send("plain");
  assert.equal(posts[0].body.reply_to, 41);
  posts[0].reject(new ApiError(400, { reply_to: ["Not a message of this channel."] }));
  await settle();
  assert.equal(posts[1].body.content, "plain");
  assert.ok(!("reply_to" in posts[1].body), "no reply_to on a message that answers nothing");
  const [lost] = outbox.unsent;
  assert.deepEqual(lost.replyTo, { id: 41, username: "Ann" });
});

test("a message's images go as their ids, also when it is sent again", async () => {
  const { outbox, posts } = harness();
  const image = { id: 5, url: "/media/attachments/1/a.webp", width: 10, height: 10, content_type: "image/webp" };
  outbox.send("", null, [image]);
  assert.deepEqual(posts[0].body.attachments, [5]);
  assert.equal(posts[0].body.content, "");
});
