// The chat pane in the browser: two people chatting live (edits with ↑, deletes, typing), a long
// history scrolled back through with a bounded DOM and a message sent from there, reconnection
// after the server restarts with every message shown once (one sent while offline too), a send
// whose answer was lost retried with its nonce and shown once, edits and deletes made while offline,
// being kicked, a phone, accessibility in both themes, screenshots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { person, logIn, axeViolations, screenshot, apiAs, WAIT, setup, tokenOf } from "./harness.mjs";

/** The server and channels every test uses. @type {{id: number, general: number, history: number}} */
const room = { id: 0, general: 0, history: 0 };

const fixture = setup(async ({ server }) => {
  server.user("ann");
  server.user("bob");
  const ann = await apiAs(server, "ann");
  const created = await ann("POST", "/api/servers/", { name: "Chat test", category: 1 });
  const history = await ann("POST", "/api/channels/", { name: "history", server: created.id });
  await (await apiAs(server, "bob"))("POST", `/api/servers/${created.id}/add_member/`);
  Object.assign(room, { id: created.id, general: created.channel_server[0].id, history: history.id });
});

/** @param {number} channel */
const channelUrl = (channel) => `${fixture.server.url}/servers/${room.id}/channels/${channel}`;

/**
 * Someone logged in and looking at a channel.
 * @param {string} login @param {number} channel @param {{phone?: boolean, dark?: boolean}} [options]
 */
async function open(login, channel, options) {
  const who = await person(fixture.browser, channelUrl(channel), options);
  await logIn(who.page, login);
  await who.page.waitForURL(channelUrl(channel));
  await who.page.getByRole("textbox", { name: /^Message #/ }).waitFor();
  await who.page.locator(".history-edge").first().waitFor();
  return who;
}

/** @param {import("playwright-core").Page} page @param {string} text */
async function send(page, text) {
  const box = page.getByRole("textbox", { name: /^Message #/ });
  await box.fill(text);
  await box.press("Enter");
}

/** @param {import("playwright-core").Page} page @param {string} text */
const message = (page, text) => page.getByRole("log").getByRole("article").filter({ hasText: text });

/** The texts of the messages a page shows, in order. @param {import("playwright-core").Page} page */
const texts = (page) => page.locator(".message-content").allTextContents();

/**
 * Scrolls the log to the top page after page, until the channel's beginning: after each page the
 * DOM holds at most the window; at the start, the oldest messages in order, each once.
 * @param {import("playwright-core").Page} page
 */
async function scrollToStart(page) {
  const log = page.getByRole("log");
  const welcome = page.getByRole("heading", { name: "Welcome to #history" });
  const deadline = Date.now() + 4 * WAIT;
  while (!(await welcome.isVisible())) {
    assert.ok(Date.now() < deadline, "the beginning of the channel was never reached");
    const first = await page.getByRole("article").first().getAttribute("data-id");
    await log.evaluate((el) => (el.scrollTop = 0));
    // The next page is in once the first message changed (or the beginning shows).
    await page.waitForFunction(
      (before) => document.querySelector("article[data-id]")?.getAttribute("data-id") !== before || document.querySelector(".history-edge.start"),
      first,
    );
    const count = await page.getByRole("article").count();
    assert.ok(count <= 260, `the DOM held ${count} messages`);
  }
  await message(page, "seed 1").first().waitFor();
  assert.equal(await message(page, "seed 400").count(), 0, "the newest side was dropped");
  const shown = await texts(page);
  assert.deepEqual(shown.slice(0, 3), ["seed 1", "seed 2", "seed 3"]);
  assert.equal(new Set(shown).size, shown.length, "no message twice");
}

test("two people chat live: send, edit with ↑, delete, typing, day separator", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  await bob.page.getByRole("status").filter({ hasText: /reconnecting/ }).waitFor({ state: "detached" }).catch(() => {});

  await send(ann.page, "Hello Bob");
  await message(bob.page, "Hello Bob").waitFor();
  await send(bob.page, "Hi Ann!");
  await message(ann.page, "Hi Ann!").waitFor();
  await ann.page.getByRole("heading", { name: "Today" }).waitFor();
  // The log is not read out; others' new messages are, by a status line of their own.
  assert.equal(await ann.page.getByRole("log").getAttribute("aria-live"), "off");
  assert.equal(await ann.page.locator(".chat-main .visually-hidden[role=status]").textContent(), "bob: Hi Ann!");
  // Grouped messages keep their author and time readable.
  assert.match((await message(bob.page, "Hello Bob").getAttribute("aria-label")) ?? "", /^ann, /);

  // Typing, shown to the other person only.
  await ann.page.getByRole("textbox", { name: /^Message #/ }).pressSequentially("typing");
  await bob.page.getByText("ann is typing…").waitFor();
  assert.equal(await ann.page.locator(".typing-line").textContent(), "");
  await ann.page.getByRole("textbox", { name: /^Message #/ }).fill("");

  // ↑ in the empty composer edits Ann's last message; Enter saves; Bob sees it live.
  await ann.page.getByRole("textbox", { name: /^Message #/ }).press("ArrowUp");
  const editor = ann.page.getByRole("textbox", { name: "Edit message" });
  await editor.fill("Hello Bob, edited");
  await editor.press("Enter");
  await message(bob.page, "Hello Bob, edited").getByText("(edited)").waitFor();
  // Escape cancels an edit.
  await ann.page.getByRole("textbox", { name: /^Message #/ }).press("ArrowUp");
  await ann.page.getByRole("textbox", { name: "Edit message" }).fill("never saved");
  await ann.page.getByRole("textbox", { name: "Edit message" }).press("Escape");
  await message(ann.page, "Hello Bob, edited").waitFor();
  assert.equal(await ann.page.getByText("never saved").count(), 0);
  // Only one's own messages have the actions.
  await message(bob.page, "Hello Bob").hover();
  assert.equal(await message(bob.page, "Hello Bob").getByRole("button", { name: "Delete message" }).count(), 0);

  // Delete with a confirmation; it vanishes on the other side.
  await send(ann.page, "A mistake");
  await message(bob.page, "A mistake").waitFor();
  await message(ann.page, "A mistake").hover();
  await message(ann.page, "A mistake").getByRole("button", { name: "Delete message" }).click();
  await ann.page.getByRole("dialog", { name: "Delete this message?" }).getByRole("button", { name: "Delete" }).click();
  await message(bob.page, "A mistake").waitFor({ state: "detached" });
  await message(ann.page, "A mistake").waitFor({ state: "detached" });

  // Too long: said next to the composer, nothing sent, nothing lost.
  await ann.page.getByRole("textbox", { name: /^Message #/ }).fill("x".repeat(4001));
  await ann.page.getByRole("textbox", { name: /^Message #/ }).press("Enter");
  await ann.page.getByRole("alert").filter({ hasText: "1 character too many (at most 4000)." }).waitFor();
  assert.equal((await ann.page.getByRole("textbox", { name: /^Message #/ }).inputValue()).length, 4001);
  await ann.page.getByRole("textbox", { name: /^Message #/ }).fill("");

  // A profile card from an author's name.
  await message(ann.page, "Hi Ann!").getByRole("button", { name: "bob: show profile" }).click();
  const card = ann.page.getByRole("dialog", { name: "bob" });
  await card.waitFor();
  await card.getByRole("button", { name: "Close" }).click();

  assert.deepEqual(await axeViolations(ann.page), []);
  await screenshot(ann.page, "chat-desktop");
  assert.deepEqual(ann.problems, []);
  assert.deepEqual(bob.problems, []);
  await ann.context.close();
  await bob.context.close();
});

test("the dark theme is accessible too", async () => {
  const ann = await open("ann", room.general, { dark: true });
  await message(ann.page, "Hi Ann!").waitFor();
  assert.deepEqual(await axeViolations(ann.page), []);
  await screenshot(ann.page, "chat-dark");
  assert.deepEqual(ann.problems, []);
  await ann.context.close();
});

test("400 messages: older pages load while scrolling up, the DOM stays bounded, jump to present returns", async () => {
  const ann = await open("ann", room.history);
  // Seed quickly over a socket of the page itself (rate limits are off in these tests).
  const token = await tokenOf(fixture.server, "ann");
  await ann.page.evaluate(
    async ({ url, count }) =>
      new Promise((resolve, reject) => {
        // One at a time, in order; one refused ("unavailable" under load) is sent again.
        const socket = new WebSocket(url);
        let sent = 1;
        const again = () => socket.send(JSON.stringify({ type: "message", message: `seed ${sent}` }));
        socket.onopen = again;
        socket.onmessage = (e) => {
          const frame = JSON.parse(e.data);
          if (frame.message && ++sent > count) {
            socket.close();
            return resolve(null);
          }
          again();
        };
        socket.onerror = () => reject(new Error("seeding socket failed"));
        setTimeout(() => reject(new Error(`only ${sent - 1} of ${count} seeded`)), 120_000);
      }),
    { url: `${fixture.server.url.replace("http", "ws")}/${room.id}/${room.history}?token=${token}`, count: 400 },
  );
  await ann.page.reload();
  await message(ann.page, "seed 400").waitFor();
  assert.ok((await ann.page.getByRole("article").count()) <= 60, "the first page only");

  const log = ann.page.getByRole("log");
  const atBottom = () => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40);

  await scrollToStart(ann.page);
  await ann.page.getByRole("button", { name: "Jump to present" }).click();
  await message(ann.page, "seed 400").waitFor();
  await ann.page.getByRole("button", { name: "Jump to present" }).waitFor({ state: "detached" });
  assert.ok(await atBottom(), "jumping to the present lands at the bottom");

  // Sending while scrolled back jumps to the present, and one's own message is there.
  await scrollToStart(ann.page);
  await send(ann.page, "sent from the past");
  await message(ann.page, "sent from the past").waitFor();
  await message(ann.page, "seed 400").waitFor();
  await ann.page.waitForFunction(() => {
    const el = /** @type {HTMLElement} */ (document.querySelector("[role=log]"));
    return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  });
  assert.equal(await message(ann.page, "sent from the past").count(), 1);
  assert.deepEqual(ann.problems, []);
  await ann.context.close();
});

test("after the server restarts both people see every message exactly once", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  await send(ann.page, "before the restart");
  await message(bob.page, "before the restart").waitFor();

  await fixture.server.stop();
  for (const p of [ann.page, bob.page]) await p.getByRole("status").filter({ hasText: /reconnecting|offline/i }).waitFor();
  assert.equal(await ann.page.evaluate(() => document.querySelector(".user-panel .offline")?.textContent), "reconnecting");
  // Ann's network goes away too: she is still reconnecting while Bob writes.
  await ann.context.setOffline(true);
  await ann.page.getByRole("status").filter({ hasText: "You are offline" }).waitFor();
  // Sent while offline: shown at once as not sent yet, and it goes out once she is back.
  await send(ann.page, "sent while offline");
  await ann.page.locator(".message.pending").filter({ hasText: "sent while offline" }).waitFor();
  assert.equal(await ann.page.getByRole("textbox", { name: /^Message #/ }).inputValue(), "");
  await screenshot(ann.page, "chat-sending-offline");
  await fixture.server.start();
  await bob.page.getByRole("button", { name: "Retry now" }).click().catch(() => {});
  await bob.page.locator(".connection-banner.hidden").waitFor({ state: "attached", timeout: 2 * WAIT });
  for (let i = 1; i <= 3; i++) await send(bob.page, `missed ${i}`);
  await message(bob.page, "missed 3").waitFor();

  await ann.context.setOffline(false);
  await ann.page.locator(".connection-banner.hidden").waitFor({ state: "attached" });
  await message(ann.page, "missed 3").waitFor();
  await message(bob.page, "sent while offline").waitFor();
  await ann.page.locator(".message.pending").waitFor({ state: "detached" });

  for (const p of [ann.page, bob.page]) {
    const shown = await texts(p);
    for (const text of ["before the restart", "missed 1", "missed 2", "missed 3", "sent while offline"]) {
      assert.equal(shown.filter((t) => t === text).length, 1, `${text} once`);
    }
    assert.equal(new Set(shown).size, shown.length, "no message twice");
  }
  assert.deepEqual(ann.problems.filter((p) => !/WebSocket/.test(p)), []);
  assert.deepEqual(bob.problems.filter((p) => !/WebSocket/.test(p)), []);
  await ann.context.close();
  await bob.context.close();
});

test("a send whose answer was lost goes again with its nonce and shows once", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  /** @type {string[]} */
  const nonces = [];
  // The first send reaches the server, which stores the message, but its answer never
  // comes back: the client must send it again, and the server must not store it twice.
  await ann.page.route(
    (url) => url.pathname === "/api/messages/",
    async (route) => {
      if (route.request().method() !== "POST") return route.fallback();
      nonces.push(route.request().postDataJSON().nonce);
      if (nonces.length > 1) return route.fallback();
      await route.fetch();
      await route.abort("connectionreset");
    },
  );
  await send(ann.page, "answer lost on the way");
  await message(bob.page, "answer lost on the way").waitFor();
  await message(ann.page, "answer lost on the way").waitFor();
  await ann.page.waitForFunction(() => document.querySelectorAll(".message.pending").length === 0);
  const deadline = Date.now() + WAIT;
  while (nonces.length < 2) {
    assert.ok(Date.now() < deadline, "the send was never retried");
    await ann.page.waitForTimeout(50);
  }
  assert.equal(new Set(nonces).size, 1, "the retry carries the same nonce");
  const asAnn = await apiAs(fixture.server, "ann");
  /** @type {{content: string}[]} */
  const stored = await asAnn("GET", `/api/messages/?channel_id=${room.general}&limit=100`);
  assert.equal(stored.filter((m) => m.content === "answer lost on the way").length, 1, "stored once");
  for (const p of [ann.page, bob.page]) {
    assert.equal((await texts(p)).filter((t) => t === "answer lost on the way").length, 1, "shown once");
  }
  assert.deepEqual(ann.problems, []);
  await ann.context.close();
  await bob.context.close();
});

test("on a phone: chat, the server drawer and the member list drawer", async () => {
  const bob = await open("bob", room.general, { phone: true });
  await send(bob.page, "from a phone");
  await message(bob.page, "from a phone").waitFor();
  await bob.page.getByRole("button", { name: "Member list" }).click();
  const panel = bob.page.getByRole("complementary", { name: "Members" });
  await panel.waitFor();
  await panel.locator(".member-name").filter({ hasText: /^ann$/ }).waitFor();
  await panel.locator(".member-name").filter({ hasText: /^bob$/ }).waitFor();
  assert.equal(await panel.getByRole("heading").textContent(), "Members — 2");
  await screenshot(bob.page, "chat-phone-members");
  await panel.getByRole("button", { name: "Close the member list" }).click();
  await bob.page.getByRole("button", { name: "Open the server list" }).click();
  await bob.page.getByRole("link", { name: "history" }).waitFor();
  await bob.page.locator(".drawer-scrim").click({ position: { x: 345, y: 400 } });
  await screenshot(bob.page, "chat-phone");
  assert.deepEqual(await axeViolations(bob.page), []);
  assert.deepEqual(bob.problems, []);
  await bob.context.close();
});

test("edits and deletes made while Ann was offline show once she is back", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  await send(bob.page, "to be edited");
  await send(bob.page, "to be deleted");
  await message(ann.page, "to be deleted").waitFor();
  const asBob = await apiAs(fixture.server, "bob");
  /** @type {{id: number, content: string}[]} */
  const latest = await asBob("GET", `/api/messages/?channel_id=${room.general}&limit=10`);
  const idOf = (/** @type {string} */ text) => latest.find((m) => m.content === text)?.id;

  await ann.context.setOffline(true);
  await ann.page.getByRole("status").filter({ hasText: "You are offline" }).waitFor();
  await asBob("PATCH", `/api/messages/${idOf("to be edited")}/`, { content: "edited while Ann was away" });
  await asBob("DELETE", `/api/messages/${idOf("to be deleted")}/`);
  await send(bob.page, "new while Ann was away");
  await message(bob.page, "new while Ann was away").waitFor();
  // Still away: none of it reached her live.
  assert.ok(await ann.page.getByRole("status").filter({ hasText: "You are offline" }).isVisible());
  assert.equal(await message(ann.page, "to be deleted").count(), 1);

  await ann.context.setOffline(false);
  await ann.page.locator(".connection-banner.hidden").waitFor({ state: "attached" });
  await message(ann.page, "new while Ann was away").waitFor();
  await message(ann.page, "edited while Ann was away").getByText("(edited)").waitFor();
  await message(ann.page, "to be deleted").waitFor({ state: "detached" });
  assert.equal(await message(ann.page, "to be edited").count(), 0);
  assert.deepEqual(ann.problems.filter((p) => !/WebSocket/.test(p)), []);
  await ann.context.close();
  await bob.context.close();
});

test("kicked while looking at the channel: the pane ends in words and the server leaves the rail", async () => {
  const asBob = await apiAs(fixture.server, "bob");
  const asAnn = await apiAs(fixture.server, "ann");
  const bobs = await asBob("POST", "/api/servers/", { name: "Bob's place", category: 1 });
  await asAnn("POST", `/api/servers/${bobs.id}/add_member/`);
  const place = `${fixture.server.url}/servers/${bobs.id}/channels/${bobs.channel_server[0].id}`;
  const ann = await person(fixture.browser, place);
  await logIn(ann.page, "ann");
  await ann.page.waitForURL(place);
  await ann.page.getByRole("textbox", { name: /^Message #/ }).waitFor();
  await ann.page.locator(".connection-banner.hidden").waitFor({ state: "attached" });
  await ann.page.getByRole("link", { name: "Bob's place" }).waitFor();

  const me = await asAnn("GET", "/api/account/me/");
  await asBob("POST", `/api/servers/${bobs.id}/kick/`, { account: me.id });
  await ann.page.getByText("You are no longer a member of this server").first().waitFor();
  await ann.page.getByRole("link", { name: "Bob's place" }).waitFor({ state: "detached" });
  assert.deepEqual(ann.problems.filter((p) => !/WebSocket/.test(p)), []);
  await ann.context.close();
});
