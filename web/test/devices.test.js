import { test } from "node:test";
import assert from "node:assert/strict";
import { deviceName, timeAgo } from "../app/lib/devices.js";

test("a device is named by its browser and system", () => {
  const cases = [
    ["Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iPhone"],
    ["Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari on macOS"],
    ["curl/8.5.0", "curl"],
    ["python-requests/2.32", "python-requests"],
    ["", "Unknown device"],
    ["   ", "Unknown device"],
  ];
  for (const [agent, name] of cases) assert.equal(deviceName(agent), name, agent);
});

test("times are said relative to now", () => {
  const now = Date.UTC(2026, 11, 7, 12);
  assert.equal(timeAgo(now - 10_000, now, "en"), "just now");
  assert.equal(timeAgo(now + 5_000, now, "en"), "just now");
  assert.equal(timeAgo(now - 5 * 60_000, now, "en"), "5 minutes ago");
  assert.equal(timeAgo(now - 3 * 3600_000, now, "en"), "3 hours ago");
  assert.equal(timeAgo(now - 24 * 3600_000, now, "en"), "yesterday");
  assert.equal(timeAgo(now - 14 * 24 * 3600_000, now, "en"), "2 weeks ago");
});
