import { test } from "node:test";
import assert from "node:assert/strict";
import { Session, expiry, fresh } from "../app/api/session.js";
import { memory, jwt } from "./support.js";

test("the expiry of a token is read from its claims", () => {
  assert.equal(expiry(jwt({ exp: 1234 })), 1234);
  assert.equal(expiry("garbage"), 0);
  assert.equal(expiry(jwt({ sub: 1 })), 0);
});

test("a token is fresh until a minute before it expires", () => {
  const token = jwt({ exp: 1000 });
  assert.ok(fresh(token, 900));
  assert.ok(!fresh(token, 941));
  assert.ok(!fresh(token, 1000));
});

test("tokens are kept, shared and forgotten", () => {
  const session = new Session(memory());
  /** @type {any[]} */
  const seen = [];
  session.subscribe((t) => seen.push(t));
  assert.equal(session.tokens, null);
  session.set({ access: "a", refresh: "r" });
  assert.deepEqual(session.tokens, { access: "a", refresh: "r" });
  session.set(null);
  assert.equal(session.tokens, null);
  assert.deepEqual(seen, [{ access: "a", refresh: "r" }, null]);
});

test("a damaged saved session counts as logged out", () => {
  const storage = memory();
  storage.setItem("pingme.session", "{not json");
  assert.equal(new Session(storage).tokens, null);
  storage.setItem("pingme.session", JSON.stringify({ access: 1 }));
  assert.equal(new Session(storage).tokens, null);
});
