// What the gateway's frames do to the shared state: ready, new messages (unread and mentions),
// reads, presences, and server and channel changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyDispatch, dmName, dmsUnread, fromReady, serverUnread, withRead } from "../app/realtime/state.js";

/** The state ready gives, as the live state's type. @returns {any} */
const start = () => /** @type {any} */ (fromReady(READY));

/** @type {any} */
const READY = {
  user: { id: 1, username: "ann" },
  servers: [
    {
      id: 10,
      name: "Hall",
      channel_server: [
        { id: 100, name: "general", server: 10, last_message_id: 7, read_state: { last_read_id: 5, unread_count: 2, mention_count: 1 } },
        { id: 101, name: "random", server: 10, last_message_id: 0, read_state: { last_read_id: 0, unread_count: 0, mention_count: 0 } },
      ],
    },
  ],
  dms: [],
  presences: [
    { user_id: 1, status: "invisible" },
    { user_id: 2, status: "dnd" },
  ],
};

test("ready gives the person, plain channels, read states and presences", () => {
  const state = fromReady(READY);
  assert.equal(state.me.id, 1);
  assert.deepEqual(Object.keys(state.servers[0].channel_server[0]).sort(), ["id", "name", "server"]);
  assert.deepEqual(state.readStates[100], { last_message_id: 7, last_read_id: 5, unread_count: 2, mention_count: 1 });
  assert.deepEqual(state.presences, { 1: "invisible", 2: "dnd" });
  assert.deepEqual(serverUnread(state.servers[0], state.readStates), { unread: 2, mentions: 1 });
});

test("others' new messages are unread, mentions count, and what ready counted is not counted again", () => {
  let state = start();
  const message = (/** @type {number} */ id, /** @type {number} */ author, /** @type {number[]} */ mentions = []) => ({
    id, channel_id: 100, user: { id: author }, mentions,
  });
  state = { ...state, ...applyDispatch(state, "message_create", message(7, 2)) };
  assert.equal(state.readStates[100].unread_count, 2, "message 7 was in ready's count");
  state = { ...state, ...applyDispatch(state, "message_create", message(8, 2, [1])) };
  assert.deepEqual(state.readStates[100], { last_message_id: 8, last_read_id: 5, unread_count: 3, mention_count: 2 });
  state = { ...state, ...applyDispatch(state, "message_create", message(9, 1)) };
  assert.equal(state.readStates[100].unread_count, 3, "one's own message is not unread");
  assert.equal(state.readStates[100].last_message_id, 9);
  state = { ...state, readStates: withRead(state.readStates, 100, 9) };
  assert.deepEqual(state.readStates[100], { last_message_id: 9, last_read_id: 9, unread_count: 0, mention_count: 0 });
  assert.equal(withRead(state.readStates, 100, 8), state.readStates, "reading back changes nothing");
  const update = { channel_id: 101, last_message_id: 3, last_read_id: 3, unread_count: 0, mention_count: 0 };
  state = { ...state, ...applyDispatch(state, "read_state_update", update) };
  assert.equal(state.readStates[101].last_read_id, 3);
});

test("presences come and go; server and channel changes keep the rest", () => {
  let state = start();
  state = { ...state, ...applyDispatch(state, "presence_update", { user_id: 3, status: "online" }) };
  state = { ...state, ...applyDispatch(state, "presence_update", { user_id: 2, status: "offline" }) };
  assert.deepEqual(state.presences, { 1: "invisible", 3: "online" });
  state = { ...state, ...applyDispatch(state, "server_update", { id: 10, name: "Great hall", channel_server: [] }) };
  assert.equal(state.servers[0].name, "Great hall");
  assert.equal(state.servers[0].channel_server.length, 2, "a server_update keeps the channels");
  state = { ...state, ...applyDispatch(state, "channel_create", { id: 102, name: "news", server: 10 }) };
  state = { ...state, ...applyDispatch(state, "channel_update", { id: 100, name: "lobby", server: 10 }) };
  state = { ...state, ...applyDispatch(state, "channel_delete", { id: 101, server_id: 10 }) };
  assert.deepEqual(state.servers[0].channel_server.map((/** @type {any} */ c) => c.name), ["lobby", "news"]);
  state = { ...state, ...applyDispatch(state, "account_update", { id: 1, username: "Ann B" }) };
  assert.equal(state.me.username, "Ann B");
  assert.equal(applyDispatch(state, "account_update", { id: 2, username: "Bob" }), null);
  assert.equal(applyDispatch(state, "member_remove", { server_id: 10, user_id: 2 }), null);
  state = { ...state, ...applyDispatch(state, "member_remove", { server_id: 10, user_id: 1 }) };
  assert.deepEqual(state.servers, []);
});

test("direct messages come with ready, their read states with them, and dispatches keep them current", () => {
  const bob = { id: 2, username: "bob" };
  const cat = { id: 3, username: "cat" };
  const ready = {
    ...READY,
    dms: [{ id: 200, type: "dm", group: false, recipients: [bob], last_message_id: 9, read_state: { last_read_id: 8, unread_count: 1, mention_count: 1 } }],
  };
  /** @type {any} */
  let state = fromReady(ready);
  assert.deepEqual(state.dms, [{ id: 200, type: "dm", group: false, recipients: [bob] }]);
  assert.deepEqual(dmsUnread(state.dms, state.readStates), { unread: 1, mentions: 1 });
  assert.equal(dmName(state.dms[0]), "bob");

  const group = { id: 150, type: "dm", group: true, recipients: [bob, cat] };
  state = { ...state, ...applyDispatch(state, "dm_create", group) };
  assert.deepEqual(state.dms.map((/** @type {any} */ d) => d.id), [150, 200], "by id");
  assert.equal(dmName(state.dms[0]), "bob, cat");
  state = { ...state, ...applyDispatch(state, "message_create", { id: 12, channel_id: 150, user: bob, mentions: [1] }) };
  assert.deepEqual(dmsUnread(state.dms, state.readStates), { unread: 2, mentions: 2 });
  // Cat left: Ann is told who is left; Ann left: it goes.
  state = { ...state, ...applyDispatch(state, "dm_update", { ...group, recipients: [bob] }) };
  assert.equal(dmName(state.dms[0]), "bob");
  state = { ...state, ...applyDispatch(state, "channel_delete", { id: 150, server_id: null }) };
  assert.deepEqual(state.dms.map((/** @type {any} */ d) => d.id), [200]);
  assert.equal(state.servers[0].channel_server.length, 2, "no server's channel went");
  assert.equal(dmName({ id: 1, type: "dm", group: false, recipients: [] }), "Deleted User");
});

test("a mention by someone the person blocks counts for nothing, as the server counts", () => {
  /** @type {any} */
  let state = { ...start(), blocked: [2] };
  state = { ...state, ...applyDispatch(state, "message_create", { id: 20, channel_id: 101, user: { id: 2 }, mentions: [1] }) };
  assert.deepEqual(
    { unread: state.readStates[101].unread_count, mentions: state.readStates[101].mention_count },
    { unread: 1, mentions: 0 },
  );
});
