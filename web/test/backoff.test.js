import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, BASE_MS, CAP_MS } from "../app/realtime/backoff.js";

test("the ceiling doubles from half a second and stops at thirty", () => {
  const ceiling = (/** @type {number} */ n) => backoffDelay(n, () => 0.999999) + 1;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(ceiling), [500, 1000, 2000, 4000, 8000, 16000, 30000]);
  assert.equal(ceiling(1000), CAP_MS, "no overflow after many attempts");
  assert.equal(BASE_MS, 500);
});

test("full jitter: anywhere from zero to the ceiling", () => {
  assert.equal(backoffDelay(3, () => 0), 0);
  assert.equal(backoffDelay(3, () => 0.5), 2000);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(4);
    assert.ok(d >= 0 && d < 8000, `${d}`);
  }
});

test("other limits", () => {
  assert.equal(backoffDelay(2, () => 0.5, { base: 100, cap: 300 }), 150);
  assert.equal(backoffDelay(-1, () => 0.5), 250, "a negative attempt counts as the first");
});
