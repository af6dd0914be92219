// Two nodes of one installation (Postgres and Redis) behind one address, as a load balancer
// would put them; the node a person's browser is on is killed (SIGKILL: no goodbye). The
// client reconnects through the same address, lands on the other node, resumes its gateway
// session there, and shows every message sent meanwhile exactly once.
// Run by `cargo test -p pingme --test e2e a_killed_node_in_the_browser -- --include-ignored`,
// which makes the database and sets PINGME_E2E_DATABASE_URL and PINGME_E2E_REDIS_URL.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { randomBytes } from "node:crypto";
import { Server, apiAs, launch, logIn, person } from "./harness.mjs";

/** A TCP proxy on a port of its own, to whichever node it is told. */
class Balancer {
  constructor() {
    /** @type {{host: string, port: number}|null} */
    this.target = null;
    this.server = net.createServer((client) => {
      const target = /** @type {{host: string, port: number}} */ (this.target);
      const upstream = net.connect(target.port, target.host);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.pipe(upstream);
      upstream.pipe(client);
      for (const side of [client, upstream]) {
        side.on("error", end);
        side.on("close", end);
      }
    });
  }

  /** @returns {Promise<string>} its address */
  async listen() {
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve(null)));
    const address = /** @type {net.AddressInfo} */ (this.server.address());
    return `http://127.0.0.1:${address.port}`;
  }

  /** @param {Server} node */
  to(node) {
    const url = new URL(node.url);
    this.target = { host: url.hostname, port: Number(url.port) };
  }
}

function required(/** @type {string} */ name) {
  const value = process.env[name];
  if (!value) throw new Error(`this test needs ${name}`);
  return value;
}

test("the node the client is on is killed: it resumes on the other, every message once", async () => {
  const balancer = new Balancer();
  const address = await balancer.listen();
  const env = {
    DATABASE_URL: required("PINGME_E2E_DATABASE_URL"),
    REDIS_URL: required("PINGME_E2E_REDIS_URL"),
    PINGME_REDIS_CHANNEL: `pingme-web-failover-${randomBytes(6).toString("hex")}`,
    PINGME_PUBLIC_URL: address,
  };
  const a = await new Server(env, { services: true }).start();
  const b = await new Server(env, { services: true }).start();
  const browser = await launch();
  after(async () => {
    await browser.close();
    await a.dispose();
    await b.dispose();
    balancer.server.close();
  });
  balancer.to(a);
  a.user("ann");
  a.user("bob");
  const bob = await apiAs(b, "bob");
  const created = await bob("POST", "/api/servers/", { name: "Failover", category: 1 });
  const channel = created.channel_server[0].id;
  await (await apiAs(a, "ann"))("POST", `/api/servers/${created.id}/add_member/`);

  const path = `/servers/${created.id}/channels/${channel}`;
  const ann = await person(browser, `${address}${path}`);
  /** @type {string[]} */
  const received = [];
  ann.page.on("websocket", (socket) => socket.on("framereceived", ({ payload }) => received.push(String(payload))));
  await logIn(ann.page, "ann");
  await ann.page.waitForURL(`${address}${path}`);
  const message = (/** @type {string} */ text) => ann.page.getByRole("log").getByRole("article").filter({ hasText: text });
  await bob("POST", "/api/messages/", { channel_id: channel, content: "before the kill" });
  await message("before the kill").waitFor();

  await a.kill();
  balancer.to(b);
  for (let i = 1; i <= 3; i++) await bob("POST", "/api/messages/", { channel_id: channel, content: `while away ${i}` });
  await message("while away 3").waitFor({ timeout: 30_000 });
  await bob("POST", "/api/messages/", { channel_id: channel, content: "after" });
  await message("after").waitFor();

  const shown = await ann.page.locator(".message-content").allTextContents();
  for (const text of ["before the kill", "while away 1", "while away 2", "while away 3", "after"]) {
    assert.equal(shown.filter((t) => t === text).length, 1, `${text} once`);
  }
  // Resumed, not identified again: the missed messages came through the gateway.
  assert.ok(received.some((f) => f.includes('"t":"resumed"')), "the session was resumed");
  assert.equal(received.filter((f) => f.includes('"t":"ready"')).length, 1, "one ready: never identified again");
  await ann.page.locator(".connection-banner.hidden").waitFor({ state: "attached" });
  assert.deepEqual(ann.problems.filter((p) => !/WebSocket/.test(p)), []);
  await ann.context.close();
});
