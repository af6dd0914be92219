import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, describe } from "../app/api/errors.js";

test("field errors stay with their fields, the rest is the message", () => {
  const { message, fields } = describe(400, {
    username: ["A user with that username already exists."],
    password: ["This password is too short.", "This password is entirely numeric."],
    non_field_errors: ["Emails must match."],
  });
  assert.equal(message, "Emails must match.");
  assert.deepEqual(fields, {
    username: "A user with that username already exists.",
    password: "This password is too short. This password is entirely numeric.",
  });
});

test("detail and error bodies are the message; code is not shown", () => {
  assert.equal(describe(401, { detail: "Given token not valid.", code: "token_not_valid" }).message, "Given token not valid.");
  assert.deepEqual(describe(401, { detail: "x", code: "token_not_valid" }).fields, {});
  assert.equal(describe(400, { error: "Invalid or expired token." }).message, "Invalid or expired token.");
});

test("answers without a body still get words", () => {
  assert.match(describe(0, null).message, /cannot be reached/);
  assert.match(describe(403, null).message, /not allowed/);
  assert.match(describe(404, "").message, /does not exist/);
  assert.match(describe(502, null).message, /server had a problem/);
  assert.match(describe(400, { name: ["Too long."] }).message, /fields need another look/);
});

test("rate limits say how long to wait", () => {
  assert.equal(describe(429, { detail: "Request was throttled." }, 30).message, "Request was throttled. Try again in 30 seconds.");
  assert.equal(describe(429, null, 90).message, "Too many attempts. Try again in 2 minutes.");
});

test("ApiError carries status, body and fields", () => {
  const e = new ApiError(400, { name: ["This field may not be blank."] });
  assert.equal(e.status, 400);
  assert.deepEqual(e.fields, { name: "This field may not be blank." });
  assert.ok(e instanceof Error);
});
