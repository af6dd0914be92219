import { test } from "node:test";
import assert from "node:assert/strict";
import { Actions } from "../app/actions.js";
import { Api } from "../app/api/client.js";
import { Session } from "../app/api/session.js";
import { Store, initialState } from "../app/store.js";
import { jwt, memory } from "./support.js";

const NOW = 1_000_000;

test("the first load puts every page of one's servers in the sidebar", async () => {
  const session = new Session(memory());
  session.set({ access: jwt({ exp: NOW + 3600 }), refresh: "r" });
  const mine = Array.from({ length: 130 }, (_, n) => ({ id: n + 1 }));
  /** @type {any} */
  const fetcher = async (/** @type {string} */ path) => {
    const page = (/** @type {any} */ body, /** @type {Record<string,string>} */ headers = {}) =>
      new Response(JSON.stringify(body), { status: 200, headers });
    if (path === "/api/account/my_servers/") {
      return page(mine.slice(0, 100), { Link: '</api/account/my_servers/?after=100>; rel="next"' });
    }
    if (path === "/api/account/my_servers/?after=100") return page(mine.slice(100));
    return page(path === "/api/account/me/" ? { id: 7 } : []);
  };
  const store = new Store(initialState());
  await new Actions(new Api(session, fetcher, () => NOW), store).start();
  assert.deepEqual(store.state.servers, mine);
});
