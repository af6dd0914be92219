import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRoute, channelPath, nextPath } from "../app/router.js";

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

test("after logging in, only the client's own screens are followed", () => {
  const origin = "https://chat.example";
  assert.equal(nextPath("?next=%2Fservers%2F3%2Fchannels%2F7", origin), "/servers/3/channels/7");
  assert.equal(nextPath("?next=/invite/Ab3", origin), "/invite/Ab3");
  assert.equal(nextPath("", origin), "/");
  for (const evil of ["//evil.example/x", "/\\evil.example", "https://evil.example/servers/1", "javascript:alert(1)", "/api/account/delete_me/", "/nowhere"]) {
    assert.equal(nextPath(`?next=${encodeURIComponent(evil)}`, origin), "/", evil);
  }
});
