import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRoute, channelPath } from "../app/router.js";

test("addresses become screens", () => {
  assert.deepEqual(parseRoute("/"), { name: "home" });
  assert.deepEqual(parseRoute("/login"), { name: "login" });
  assert.deepEqual(parseRoute("/servers/3"), { name: "server", serverId: 3, channelId: null });
  assert.deepEqual(parseRoute("/servers/3/channels/7"), { name: "server", serverId: 3, channelId: 7 });
  assert.deepEqual(parseRoute("/servers/3/channels/7/"), { name: "server", serverId: 3, channelId: 7 });
  assert.deepEqual(parseRoute("/servers/3/settings"), { name: "server-settings", serverId: 3 });
  assert.deepEqual(parseRoute("/app/reset/MTI/abc-def"), { name: "reset", uid: "MTI", token: "abc-def" });
  assert.deepEqual(parseRoute("/invite/Ab3dE5gH9k"), { name: "invite", code: "Ab3dE5gH9k" });
  assert.deepEqual(parseRoute("/dms/12"), { name: "dm", channelId: 12 });
});

test("anything else is not found, ids must be numbers", () => {
  for (const path of ["/servers/x", "/servers/0", "/servers/3/channels/", "/servers/3/channels/x", "/nope", "/app/reset/1", "/login/x"]) {
    assert.deepEqual(parseRoute(path), { name: "not-found" }, path);
  }
});

test("channel addresses", () => {
  assert.equal(channelPath(3, 7), "/servers/3/channels/7");
  assert.equal(channelPath(3), "/servers/3");
});
