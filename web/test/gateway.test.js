// The user gateway driven with a fake WebSocket and a fake clock: identify, resume after drops,
// invalid sessions, gaps, heartbeats, the network going and coming back, and the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GatewaySocket } from "../app/realtime/gateway.js";

class FakeSocket {
  /** @type {FakeSocket[]} */
  static made = [];
  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    /** @type {any[]} */
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
    this.sent.push(JSON.parse(data));
  }
  /** @param {number} [code] */
  close(code) {
    this.closedWith = code ?? 1005;
  }
  /** @param {any} frame */
  frame(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  hello() {
    this.frame({ op: "hello", d: { heartbeat_interval_ms: 30000 } });
  }
  /** @param {string} t @param {number} s @param {any} [d] */
  dispatch(t, s, d = {}) {
    this.frame({ op: "dispatch", t, s, d });
  }
  /** @param {number} code */
  drop(code) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

/** A gateway with fakes all round; `tick` runs the pending timers. */
function setUp() {
  FakeSocket.made = [];
  /** Pending timers by id. @type {Map<number, {run: () => void, ms: number}>} */
  const pending = new Map();
  let nextTimer = 1;
  /** @type {string[]} */
  const statuses = [];
  /** @type {any[]} */
  const seen = [];
  let tokens = 0;
  let online = true;
  let loggedIn = true;
  /** @type {string|null} */
  let chosen = null;
  const window = new EventTarget();
  const document = Object.assign(new EventTarget(), { visibilityState: "visible" });
  const gateway = new GatewaySocket({
    token: async () => (loggedIn ? `t${++tokens}` : null),
    onReady: (d) => seen.push(["ready", d.session_id]),
    onDispatch: (t, d) => seen.push([t, d]),
    status: () => chosen,
    onStatus: (s) => statuses.push([s.state, s.fresh === undefined ? null : s.fresh ? "fresh" : "resumed", s.code].filter((x) => x != null).join(" ")),
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
  /** Runs the timers due; their delays. */
  const tick = async () => {
    const due = [...pending.values()];
    pending.clear();
    for (const t of due) t.run();
    await settle();
    return due.map((t) => t.ms);
  };
  const last = () => /** @type {FakeSocket} */ (FakeSocket.made.at(-1));
  /** Opens and identifies: the socket, past `ready` (s 1) of session "S". */
  const identified = async () => {
    gateway.open();
    await settle();
    last().hello();
    last().dispatch("ready", 1, { session_id: "S" });
    return last();
  };
  return {
    gateway, statuses, seen, pending, window, document, settle, tick, last, identified,
    setOnline: (/** @type {boolean} */ v) => (online = v),
    logOut: () => (loggedIn = false),
    choose: (/** @type {string} */ status) => (chosen = status),
  };
}

test("identifies after hello with a fresh token, passes dispatches on in order, sends ops", async () => {
  const { gateway, statuses, seen, settle, last } = setUp();
  gateway.open();
  await settle();
  const ws = last();
  assert.equal(ws.url, "ws://chat.test/api/gateway/");
  assert.equal(gateway.send("typing", { channel_id: 1 }), false, "nothing before identifying");
  ws.hello();
  assert.deepEqual(ws.sent, [{ op: "identify", d: { token: "t1" } }]);
  ws.dispatch("ready", 1, { session_id: "S" });
  ws.dispatch("message_create", 2, { id: 10 });
  ws.onmessage({ data: "not json" });
  assert.deepEqual(seen, [["ready", "S"], ["message_create", { id: 10 }]]);
  assert.deepEqual(statuses, ["connecting", "online fresh"]);
  assert.equal(gateway.send("typing", { channel_id: 1 }), true);
  assert.deepEqual(ws.sent.at(-1), { op: "typing", d: { channel_id: 1 } });
  gateway.close();
  assert.equal(ws.closedWith, 1000);
});

test("a drop resumes from the last number seen, with growing jittered waits and a new token", async () => {
  const { statuses, seen, tick, last, identified } = setUp();
  const ws = await identified();
  ws.dispatch("message_create", 2, { id: 10 });
  ws.drop(1006);
  assert.deepEqual(await tick(), [250]);
  last().drop(1006);
  assert.deepEqual(await tick(), [500]);
  const again = last();
  again.hello();
  assert.deepEqual(again.sent, [{ op: "resume", d: { token: "t3", session_id: "S", seq: 2 } }]);
  again.dispatch("message_create", 3, { id: 11 });
  again.dispatch("resumed", 3);
  again.dispatch("message_create", 4, { id: 12 });
  assert.deepEqual(seen.map(([t, d]) => (t === "ready" ? t : d.id)), ["ready", 10, 11, 12]);
  assert.deepEqual(statuses, ["connecting", "online fresh", "connecting", "online resumed"]);
  // Waits start again from the shortest after a success.
  again.drop(1001);
  assert.deepEqual(await tick(), [250]);
});

test("invalid_session identifies on the same socket, with the chosen status; the next ready is fresh", async () => {
  const { statuses, seen, tick, last, identified, choose } = setUp();
  (await identified()).drop(1006);
  await tick();
  const ws = last();
  ws.hello();
  choose("dnd");
  ws.frame({ op: "invalid_session", d: { resumable: false } });
  assert.deepEqual(ws.sent.map((f) => f.op), ["resume", "identify"]);
  assert.deepEqual(ws.sent[1].d, { token: "t2", status: "dnd" });
  await tick();
  assert.deepEqual(
    ws.sent.at(-1),
    { op: "heartbeat", d: { seq: 0 } },
    "a heartbeat before the new ready says no number of the old session"
  );
  ws.dispatch("ready", 1, { session_id: "T" });
  assert.deepEqual(seen.at(-1), ["ready", "T"]);
  assert.deepEqual(statuses.at(-1), "online fresh");
});

test("a skipped number drops the socket and identifies anew; closes that end the session do too", async () => {
  const { tick, last, identified, seen } = setUp();
  const ws = await identified();
  ws.dispatch("message_create", 3, { id: 10 });
  assert.equal(ws.closedWith, 1000);
  assert.deepEqual(seen, [["ready", "S"]], "the dispatch after the gap is not passed on");
  await tick();
  last().hello();
  assert.equal(last().sent[0].op, "identify");
  last().dispatch("ready", 1, { session_id: "U" });
  last().drop(4008);
  await tick();
  last().hello();
  assert.equal(last().sent[0].op, "identify", "too slow a reader: the session is over");
});

test("a heartbeat every interval; one unanswered by the next drops the socket and resumes", async () => {
  const { tick, last, identified } = setUp();
  const ws = await identified();
  assert.deepEqual(await tick(), [30000]);
  assert.deepEqual(ws.sent.at(-1), { op: "heartbeat", d: { seq: 1 } });
  ws.frame({ op: "heartbeat_ack", d: null });
  await tick();
  assert.equal(ws.closedWith, null, "answered: still open");
  await tick();
  assert.equal(ws.closedWith, 1000, "unanswered: dropped");
  await tick();
  last().hello();
  assert.equal(last().sent[0].op, "resume");
});

test("4004 ends it; so does logging out; offline drops and the network's return retries at once", async () => {
  const first = setUp();
  (await first.identified()).drop(4004);
  assert.deepEqual(first.statuses.at(-1), "ended 4004");
  assert.equal(first.pending.size, 0, "no retry");

  const second = setUp();
  const ws = await second.identified();
  second.setOnline(false);
  second.window.dispatchEvent(new Event("offline"));
  assert.equal(ws.closedWith, 1000);
  assert.deepEqual(second.statuses.at(-1), "offline");
  second.setOnline(true);
  second.window.dispatchEvent(new Event("online"));
  await second.settle();
  assert.equal(FakeSocket.made.length, 2, "reconnected at once");
  second.logOut();
  second.last().drop(1006);
  await second.tick();
  assert.deepEqual(second.statuses.at(-1), "ended 0");
});

test("an error before identifying (too many identifies) retries when the server says; after, errors are passed on", async () => {
  const { gateway, tick, last, settle } = setUp();
  /** @type {any[]} */
  const errors = [];
  gateway.options.onError = (e) => errors.push(e.code);
  gateway.open();
  await settle();
  const ws = last();
  ws.hello();
  ws.frame({ op: "error", d: { code: "rate_limited", retry_after_ms: 6000 } });
  assert.equal(ws.closedWith, 1000);
  assert.deepEqual(await tick(), [6000], "no sooner than the server asked");
  last().hello();
  last().dispatch("ready", 1, { session_id: "S" });
  last().frame({ op: "error", d: { code: "rate_limited" } });
  assert.deepEqual(errors, ["rate_limited"]);
});
