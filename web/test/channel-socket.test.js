// The chat socket driven with a fake WebSocket and a fake clock; and the catch-up after it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChannelSocket } from "../app/realtime/channel-socket.js";
import { catchUp, nextAfter, pagePath, reread } from "../app/chat/history.js";

class FakeSocket {
  /** @type {FakeSocket[]} */
  static made = [];
  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    /** @type {string[]} */
    this.sent = [];
    /** @type {number|null} */
    this.closedWith = null;
    /** @type {any} */ this.onopen = null;
    /** @type {any} */ this.onmessage = null;
    /** @type {any} */ this.onclose = null;
    /** @type {any} */ this.onerror = null;
    FakeSocket.made.push(this);
  }
  /** @param {string} data */
  send(data) {
    this.sent.push(data);
  }
  /** @param {number} [code] */
  close(code) {
    this.closedWith = code ?? 1005;
  }
  accept() {
    this.readyState = 1;
    this.onopen?.();
  }
  /** @param {number} code */
  drop(code) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

/** A socket with fakes all round; `tick` runs the pending timers. */
function setUp() {
  FakeSocket.made = [];
  /** Pending timers by id. @type {Map<number, {run: () => void, ms: number}>} */
  const pending = new Map();
  let nextTimer = 1;
  /** @type {any[]} */
  const statuses = [];
  /** @type {any[]} */
  const frames = [];
  let tokens = 0;
  let online = true;
  const window = new EventTarget();
  const document = Object.assign(new EventTarget(), { visibilityState: "visible" });
  const socket = new ChannelSocket({
    serverId: 3,
    channelId: 7,
    token: async () => `t${++tokens}`,
    onFrame: (f) => frames.push(f),
    onStatus: (s) => statuses.push(s.code === undefined ? s.state : `${s.state} ${s.code}`),
    origin: "ws://chat.test",
    env: {
      WebSocket: /** @type {any} */ (FakeSocket),
      setTimeout: (run, ms) => {
        pending.set(nextTimer, { run, ms });
        return nextTimer++;
      },
      clearTimeout: (timer) => pending.delete(timer),
      random: () => 0.5,
      isOnline: () => online,
      window,
      document,
    },
  });
  const settle = () => new Promise((r) => setTimeout(r, 0));
  const tick = async () => {
    const due = [...pending.values()];
    pending.clear();
    for (const t of due) t.run();
    await settle();
    return due.map((t) => t.ms);
  };
  const timers = { get length() { return pending.size; }, run: () => tick() };
  return { socket, statuses, frames, timers, pending, window, document, settle, tick, setOnline: (/** @type {boolean} */ v) => (online = v) };
}

test("connects with a fresh token, passes frames on, sends typing", async () => {
  const { socket, statuses, frames, settle } = setUp();
  socket.open();
  await settle();
  const ws = FakeSocket.made[0];
  assert.equal(ws.url, "ws://chat.test/3/7?token=t1");
  assert.equal(socket.typing(), false, "nothing is sent before the socket is open");
  ws.accept();
  assert.deepEqual(statuses, ["connecting", "online"]);
  ws.onmessage({ data: '{"message":{"id":1}}' });
  ws.onmessage({ data: "not json" });
  assert.deepEqual(frames, [{ message: { id: 1 } }]);
  assert.equal(socket.typing(), true);
  assert.deepEqual(ws.sent.map((s) => JSON.parse(s)), [{ type: "typing" }]);
  socket.close();
  assert.equal(ws.closedWith, 1000);
});

test("an unexpected close retries with growing jittered waits and a new token each time", async () => {
  const { socket, statuses, tick, settle } = setUp();
  socket.open();
  await settle();
  FakeSocket.made[0].accept();
  FakeSocket.made[0].drop(1006);
  assert.deepEqual(statuses, ["connecting", "online", "connecting"]);
  assert.deepEqual(await tick(), [250]);
  FakeSocket.made[1].drop(1006);
  assert.deepEqual(await tick(), [500]);
  FakeSocket.made[2].drop(1001);
  assert.deepEqual(await tick(), [1000]);
  assert.equal(FakeSocket.made[3].url, "ws://chat.test/3/7?token=t4");
  FakeSocket.made[3].accept();
  assert.equal(statuses.at(-1), "online");
  FakeSocket.made[3].drop(1006);
  assert.deepEqual(await tick(), [250], "a successful connection starts the waits again");
  socket.close();
});

test("4403 and 4404 are final", async () => {
  for (const code of [4403, 4404]) {
    const { socket, statuses, timers, settle } = setUp();
    socket.open();
    await settle();
    FakeSocket.made[0].accept();
    FakeSocket.made[0].drop(code);
    assert.deepEqual(statuses, ["connecting", "online", `ended ${code}`]);
    assert.equal(timers.length, 0);
    assert.equal(socket.typing(), false);
  }
});

test("offline drops the socket; the network's return retries at once, as does showing the tab", async () => {
  const { socket, statuses, timers, window, document, settle, setOnline } = setUp();
  socket.open();
  await settle();
  FakeSocket.made[0].accept();
  setOnline(false);
  window.dispatchEvent(new Event("offline"));
  assert.equal(FakeSocket.made[0].closedWith, 1000, "an open socket is dead without a network");
  assert.equal(socket.connected, false);
  assert.equal(statuses.at(-1), "offline");
  assert.equal(timers.length, 1);
  setOnline(true);
  window.dispatchEvent(new Event("online"));
  await settle();
  assert.equal(timers.length, 0);
  assert.equal(FakeSocket.made.length, 2, "no wait for the timer");
  assert.equal(statuses.at(-1), "connecting");
  FakeSocket.made[1].drop(1006);
  document.dispatchEvent(new Event("visibilitychange"));
  await settle();
  assert.equal(FakeSocket.made.length, 3);
  socket.close();
  window.dispatchEvent(new Event("online"));
  await settle();
  assert.equal(FakeSocket.made.length, 3, "closed for good: events are no longer heard");
});

test("a token that cannot be had is retried; logged out ends it", async () => {
  const { socket, statuses, timers, settle } = setUp();
  let fail = true;
  socket.options.token = async () => {
    if (fail) throw new Error("no network");
    return null;
  };
  socket.open();
  await settle();
  assert.equal(timers.length, 1);
  fail = false;
  await timers.run();
  assert.deepEqual(statuses, ["connecting", "ended 0"]);
  assert.equal(FakeSocket.made.length, 0);
});

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

test("a handshake refused with 403 or 404 (seen as 1006) ends it once the API says so; 401 too", async () => {
  for (const answer of [403, 404, 401]) {
    const { socket, statuses, timers, settle } = setUp();
    /** @type {number[]} */
    const checks = [];
    socket.options.check = async () => (checks.push(answer), answer);
    socket.open();
    await settle();
    FakeSocket.made[0].drop(1006);
    await settle();
    assert.deepEqual(statuses, ["connecting", `ended ${answer}`]);
    assert.deepEqual(checks, [answer]);
    assert.equal(timers.length, 0, "no retry");
  }
});

test("a failed handshake the API does not explain (200, no answer) is retried; an open socket's drop asks nothing", async () => {
  const { socket, statuses, timers, settle, tick } = setUp();
  const answers = [200, 0];
  let checks = 0;
  socket.options.check = async () => {
    checks++;
    const answer = answers.shift();
    if (answer === 0) throw new Error("no network");
    return answer ?? 200;
  };
  socket.open();
  await settle();
  FakeSocket.made[0].drop(1006);
  await settle();
  assert.equal(timers.length, 1);
  await tick();
  FakeSocket.made[1].drop(1006);
  await settle();
  assert.equal(timers.length, 1);
  await tick();
  FakeSocket.made[2].accept();
  FakeSocket.made[2].drop(1006);
  await settle();
  assert.equal(checks, 2, "a socket that opened dropped: no check");
  assert.deepEqual(statuses, ["connecting", "online", "connecting"]);
  socket.close();
});

test("a check still running when the socket is closed ends nothing", async () => {
  const { socket, statuses, timers, settle } = setUp();
  /** @type {(n: number) => void} */
  let answer = () => {};
  socket.options.check = () => new Promise((resolve) => (answer = resolve));
  socket.open();
  await settle();
  FakeSocket.made[0].drop(1006);
  socket.close();
  answer(403);
  await settle();
  assert.deepEqual(statuses, ["connecting"]);
  assert.equal(timers.length, 0);
});

test("the network coming back while a refused handshake is checked connects at once", async () => {
  const { socket, timers, settle, window } = setUp();
  /** @type {(n: number) => void} */
  let answer = () => {};
  socket.options.check = () => new Promise((resolve) => (answer = resolve));
  socket.open();
  await settle();
  FakeSocket.made[0].drop(1006);
  await settle();
  window.dispatchEvent(new Event("online"));
  answer(200);
  await settle();
  assert.equal(timers.length, 0, "no wait");
  assert.equal(FakeSocket.made.length, 2, "a second attempt at once");
  socket.close();
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
