import { test } from "node:test";
import assert from "node:assert/strict";
import { fitted } from "../app/chat/attachments.js";

test("an image is shown at its size, fitted in the box", () => {
  assert.deepEqual(fitted({ width: 200, height: 100 }), { width: 200, height: 100 });
  assert.deepEqual(fitted({ width: 1920, height: 1280 }), { width: 400, height: 267 });
  assert.deepEqual(fitted({ width: 600, height: 1800 }), { width: 100, height: 300 });
  assert.deepEqual(fitted({ width: 0, height: 0 }), { width: 1, height: 1 });
});
