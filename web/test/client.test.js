import { test } from "node:test";
import assert from "node:assert/strict";
import { Api, nextLink } from "../app/api/client.js";
import { ApiError } from "../app/api/errors.js";
import { Session } from "../app/api/session.js";
import { jwt, memory } from "./support.js";

const NOW = 1_000_000;

/**
 * A fetch that answers from a list of handlers, recording each request.
 * @param {(path: string, init: any) => {status: number, body?: any, headers?: Record<string,string>}} answer
 */
function fakeFetch(answer) {
  /** @type {{path: string, init: any}[]} */
  const calls = [];
  /** @type {any} */
  const fetcher = async (/** @type {string} */ path, /** @type {any} */ init) => {
    calls.push({ path, init });
    const { status, body, headers = {} } = answer(path, init);
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers });
  };
  return { fetcher, calls };
}

test("an expiring access token is refreshed before the request", async () => {
  const session = new Session(memory());
  session.set({ access: jwt({ exp: NOW + 10 }), refresh: "r1" });
  const renewed = jwt({ exp: NOW + 86400 });
  const { fetcher, calls } = fakeFetch((path) =>
    path === "/api/token/refresh/" ? { status: 200, body: { access: renewed } } : { status: 200, body: { ok: true } },
  );
  const api = new Api(session, fetcher, () => NOW);
  assert.deepEqual(await api.get("/api/account/me/"), { ok: true });
  assert.deepEqual(calls.map((c) => c.path), ["/api/token/refresh/", "/api/account/me/"]);
  assert.equal(calls[1].init.headers.Authorization, `Bearer ${renewed}`);
  assert.deepEqual(session.tokens, { access: renewed, refresh: "r1" });
});

test("a 401 is retried once with a refreshed token", async () => {
  const session = new Session(memory());
  const stale = jwt({ exp: NOW + 3600 });
  const renewed = jwt({ exp: NOW + 86400 });
  session.set({ access: stale, refresh: "r1" });
  const { fetcher, calls } = fakeFetch((path, init) => {
    if (path === "/api/token/refresh/") return { status: 200, body: { access: renewed } };
    return init.headers.Authorization === `Bearer ${stale}` ? { status: 401, body: { detail: "revoked", code: "token_not_valid" } } : { status: 200, body: [] };
  });
  const api = new Api(session, fetcher, () => NOW);
  assert.deepEqual(await api.get("/api/servers/"), []);
  assert.equal(calls.length, 3);
});

test("a refused refresh token ends the session", async () => {
  const session = new Session(memory());
  session.set({ access: jwt({ exp: NOW - 1 }), refresh: "old" });
  const { fetcher } = fakeFetch(() => ({ status: 401, body: { detail: "Token is invalid", code: "token_not_valid" } }));
  const api = new Api(session, fetcher, () => NOW);
  await assert.rejects(api.get("/api/account/me/"), (e) => e instanceof ApiError && e.status === 401);
  assert.equal(session.tokens, null);
});

test("two requests at once share one refresh", async () => {
  const session = new Session(memory());
  session.set({ access: jwt({ exp: NOW }), refresh: "r" });
  const { fetcher, calls } = fakeFetch((path) =>
    path === "/api/token/refresh/" ? { status: 200, body: { access: jwt({ exp: NOW + 999 }) } } : { status: 200, body: 1 },
  );
  const api = new Api(session, fetcher, () => NOW);
  await Promise.all([api.get("/a"), api.get("/b")]);
  assert.equal(calls.filter((c) => c.path === "/api/token/refresh/").length, 1);
});

/** A lock manager as the browser's Web Locks: one holder of a name at a time, in order. */
function fakeLocks() {
  /** @type {Map<string, Promise<any>>} */
  const held = new Map();
  return {
    /** @param {string} name @param {() => Promise<any>} run */
    request(name, run) {
      const turn = (held.get(name) ?? Promise.resolve()).then(run, run);
      held.set(name, turn.catch(() => null));
      return turn;
    },
  };
}

/**
 * Two tabs (one storage, two Apis) against a server whose refresh tokens are good for one use,
 * the one just replaced refused as such.
 * @param {ReturnType<typeof fakeLocks>|undefined} locks
 */
async function twoTabsRefreshing(locks) {
  const storage = memory();
  const [one, two] = [new Session(storage), new Session(storage)];
  one.set({ access: jwt({ exp: NOW }), refresh: "r1" });
  const renewed = jwt({ exp: NOW + 999 });
  let current = "r1";
  const { fetcher, calls } = fakeFetch((path, init) => {
    if (path !== "/api/token/refresh/") return { status: 200, body: 1 };
    const presented = JSON.parse(init.body).refresh;
    if (presented === current) {
      current = "r2";
      return { status: 200, body: { access: renewed, refresh: "r2" } };
    }
    return { status: 401, body: { detail: "Token was replaced by a newer one", code: "token_not_valid" } };
  });
  const tabs = [new Api(one, fetcher, () => NOW, locks), new Api(two, fetcher, () => NOW, locks)];
  await Promise.all(tabs.map((api) => api.get("/a")));
  assert.deepEqual(two.tokens, { access: renewed, refresh: "r2" });
  assert.ok(calls.filter((c) => c.path === "/a").every((c) => c.init.headers.Authorization === `Bearer ${renewed}`));
  return calls.filter((c) => c.path === "/api/token/refresh/").length;
}

test("two tabs refresh one after the other, the second with what the first got", async () => {
  assert.equal(await twoTabsRefreshing(fakeLocks()), 1);
});

test("without Web Locks, the tab whose refresh lost the race takes the winner's tokens", async () => {
  assert.equal(await twoTabsRefreshing(undefined), 2);
});

test("a refresh answered after the person logged out does not log them back in", async () => {
  const session = new Session(memory());
  session.set({ access: jwt({ exp: NOW }), refresh: "r1" });
  /** @type {(value?: any) => void} */
  let answer = () => {};
  const fetcher = /** @type {any} */ (async (/** @type {string} */ path) => {
    if (path === "/api/token/refresh/") {
      await new Promise((resolve) => (answer = resolve));
      return new Response(JSON.stringify({ access: jwt({ exp: NOW + 999 }), refresh: "r2" }), { status: 200 });
    }
    return new Response("{}", { status: 200 });
  });
  const api = new Api(session, fetcher, () => NOW);
  const pending = api.accessToken();
  await new Promise((resolve) => setImmediate(resolve));
  api.forget();
  answer();
  assert.equal(await pending, null);
  assert.equal(session.tokens, null);
});

test("logging out tells the server, and forgets the tokens even when it cannot be told", async () => {
  const session = new Session(memory());
  session.set({ access: "a", refresh: "r" });
  /** @type {any} */
  let storedWhenTold = "unset";
  const { fetcher, calls } = fakeFetch(() => {
    storedWhenTold = session.tokens;
    return { status: 200, body: {} };
  });
  await new Api(session, fetcher, () => NOW).logout();
  assert.deepEqual(calls.map((c) => [c.path, c.init.body]), [["/api/token/blacklist/", JSON.stringify({ refresh: "r" })]]);
  // Forgotten before the server closes the session's socket, which is then no surprise.
  assert.equal(storedWhenTold, null);
  assert.equal(session.tokens, null);

  session.set({ access: "a", refresh: "r" });
  const down = new Api(session, /** @type {any} */ (async () => { throw new TypeError("Failed to fetch"); }), () => NOW);
  await down.logout();
  assert.equal(session.tokens, null);
});

test("errors carry the API's words and Retry-After; no answer is status 0", async () => {
  const session = new Session(memory());
  const { fetcher } = fakeFetch(() => ({ status: 429, body: { detail: "Slow down." }, headers: { "Retry-After": "7" } }));
  const api = new Api(session, fetcher, () => NOW);
  await assert.rejects(api.post("/api/token/", {}), (e) => e instanceof ApiError && e.retryAfter === 7 && e.message === "Slow down. Try again in 7 seconds.");
  const down = new Api(session, /** @type {any} */ (async () => { throw new TypeError("Failed to fetch"); }), () => NOW);
  await assert.rejects(down.get("/x"), (e) => e instanceof ApiError && e.status === 0);
});

test("logging in keeps the tokens; JSON bodies are sent as JSON", async () => {
  const session = new Session(memory());
  const { fetcher, calls } = fakeFetch(() => ({ status: 200, body: { access: "a", refresh: "r" } }));
  const api = new Api(session, fetcher, () => NOW);
  await api.login("ann", "pw");
  assert.deepEqual(session.tokens, { access: "a", refresh: "r" });
  assert.equal(calls[0].init.headers["Content-Type"], "application/json");
  assert.equal(calls[0].init.body, JSON.stringify({ username: "ann", password: "pw" }));
  assert.equal(calls[0].init.headers.Authorization, undefined);
});

test("a listing is read page after page, following Link", async () => {
  const session = new Session(memory());
  session.set({ access: jwt({ exp: NOW + 3600 }), refresh: "r" });
  const { fetcher, calls } = fakeFetch((path) =>
    path === "/api/account/my_servers/"
      ? { status: 200, body: [{ id: 1 }, { id: 2 }], headers: { Link: '</api/account/my_servers/?after=2>; rel="next"' } }
      : { status: 200, body: [{ id: 3 }] },
  );
  const api = new Api(session, fetcher, () => NOW);
  assert.deepEqual(await api.all("/api/account/my_servers/"), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  assert.deepEqual(calls.map((c) => c.path), ["/api/account/my_servers/", "/api/account/my_servers/?after=2"]);
});

test("only a next link to this server is followed", () => {
  assert.equal(nextLink('</api/servers/?after=9>; rel="next"'), "/api/servers/?after=9");
  assert.equal(nextLink('</a>; rel="prev", </b>; rel=next'), "/b");
  assert.equal(nextLink('<https://elsewhere.example/x>; rel="next"'), null);
  assert.equal(nextLink("<//elsewhere.example/x>; rel=\"next\""), null);
  assert.equal(nextLink("</\\elsewhere.example/x>; rel=\"next\""), null);
  assert.equal(nextLink("</\t/elsewhere.example/x>; rel=\"next\""), null);
  assert.equal(nextLink("</api/servers/?search=a+b&after=3>; rel=\"next\""), "/api/servers/?search=a+b&after=3");
  assert.equal(nextLink(null), null);
});

test("a listing whose next link leads back to a page already read ends there", async () => {
  const session = new Session(memory());
  session.set({ access: jwt({ exp: NOW + 3600 }), refresh: "r" });
  const { fetcher, calls } = fakeFetch((path) =>
    path.endsWith("?after=1")
      ? { status: 200, body: [{ id: 2 }], headers: { Link: '</api/x/>; rel="next"' } }
      : { status: 200, body: [{ id: 1 }], headers: { Link: '</api/x/?after=1>; rel="next"' } },
  );
  const api = new Api(session, fetcher, () => NOW);
  assert.deepEqual(await api.all("/api/x/"), [{ id: 1 }, { id: 2 }]);
  assert.equal(calls.length, 2);
});
