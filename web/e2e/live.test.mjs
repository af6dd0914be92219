// The web client on the gateway: unread badges and mention counts per channel and server with a
// "new messages" line, read states shared between a person's tabs, presence dots and a live
// member list, choosing a status, and a desktop notification for a mention in a hidden tab.
import { test } from "node:test";
import assert from "node:assert/strict";
import { apiAs, axeViolations, loggedIn, screenshot, setup } from "./harness.mjs";

/** The server, its channels and the people every test uses. */
const room = { id: 0, general: 0, random: 0, bob: 0, ann: 0 };

const fixture = setup(async ({ server }) => {
  for (const login of ["ann", "bob", "cat"]) server.user(login);
  const ann = await apiAs(server, "ann");
  const bob = await apiAs(server, "bob");
  const created = await ann("POST", "/api/servers/", { name: "Live test", category: 1 });
  const random = await ann("POST", "/api/channels/", { name: "random", server: created.id });
  await bob("POST", `/api/servers/${created.id}/add_member/`);
  room.id = created.id;
  room.general = created.channel_server[0].id;
  room.random = random.id;
  room.ann = (await ann("GET", "/api/account/me/")).id;
  room.bob = (await bob("GET", "/api/account/me/")).id;
});

/** @param {number} channel */
const channelPath = (channel) => `/servers/${room.id}/channels/${channel}`;

/** Someone looking at a channel, its history shown. @param {string} login @param {number} channel */
async function open(login, channel) {
  const who = await loggedIn(fixture, login, channelPath(channel));
  await who.page.locator(".history-edge").first().waitFor();
  return who;
}

/**
 * A person in the member list, with the status it shows.
 * @param {import("playwright-core").Locator} list @param {string} name @param {string} status
 */
const member = (list, name, status) => list.getByRole("button", { name: new RegExp(`^${name}\\W*${status}`) });

/** @param {import("playwright-core").Page} page @param {string} name */
const channelLink = (page, name) => page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: new RegExp(`^#?${name}`) });

test("unread channels and mentions show in the sidebar and the rail, then a 'new' line where reading starts", async () => {
  const bob = await open("bob", room.general);
  const ann = await apiAs(fixture.server, "ann");
  await ann("POST", "/api/messages/", { channel_id: room.random, content: "first unread" });
  await ann("POST", "/api/messages/", { channel_id: room.random, content: `hey <@${room.bob}>, look` });
  const random = channelLink(bob.page, "random");
  await random.and(bob.page.locator(".channel.unread")).waitFor();
  await random.getByText("1", { exact: true }).waitFor();
  assert.match((await random.textContent()) ?? "", /1 mention/);
  const rail = bob.page.getByRole("navigation", { name: "Servers" }).getByRole("link", { name: /^Live test/ });
  assert.match((await rail.getAttribute("aria-label")) ?? "", /unread messages, 1 mention/);
  await screenshot(bob.page, "live-unread-badges");

  await random.click();
  const divider = bob.page.getByRole("separator", { name: "New messages" });
  await divider.waitFor();
  // The line is just above the first unread message, and the mention stands out.
  const next = bob.page.locator(".new-divider + article");
  assert.match((await next.textContent()) ?? "", /first unread/);
  await bob.page.locator(".message.mentions-me").filter({ hasText: "look" }).waitFor();
  await screenshot(bob.page, "live-new-messages-line");
  // Read: the badges go, and stay gone after a reload (the server has the read state).
  await bob.page.waitForFunction(() => !document.querySelector(".mention-badge"));
  await bob.page.goto(`${fixture.server.url}${channelPath(room.general)}`);
  await channelLink(bob.page, "random").waitFor();
  assert.equal(await bob.page.locator(".channel.unread").count(), 0);
  assert.deepEqual(await axeViolations(bob.page), []);
  // Opened straight from its address (a reload, a link): the line is there too.
  await ann("POST", "/api/messages/", { channel_id: room.random, content: "while bob was elsewhere" });
  await channelLink(bob.page, "random").and(bob.page.locator(".channel.unread")).waitFor();
  await bob.page.goto(`${fixture.server.url}${channelPath(room.random)}`);
  await bob.page.getByRole("separator", { name: "New messages" }).waitFor();
  assert.match((await bob.page.locator(".new-divider + article").textContent()) ?? "", /while bob was elsewhere/);
  assert.deepEqual(bob.problems, []);
  await bob.context.close();
});

test("reading a channel in one tab clears it in the person's other tab", async () => {
  const first = await open("bob", room.general);
  const second = await first.context.newPage();
  await second.goto(`${fixture.server.url}${channelPath(room.general)}`);
  await second.locator(".history-edge").first().waitFor();
  const ann = await apiAs(fixture.server, "ann");
  await ann("POST", "/api/messages/", { channel_id: room.random, content: `again <@${room.bob}>` });
  for (const page of [first.page, second]) await channelLink(page, "random").getByText("1", { exact: true }).waitFor();
  await channelLink(second, "random").click();
  await second.getByText(`again`).first().waitFor();
  await first.page.waitForFunction(() => !document.querySelector(".mention-badge"));
  assert.equal(await first.page.locator(".channel.unread").count(), 0);
  await first.context.close();
});

test("presence: dots in the member list, a chosen status, offline once the last tab is gone", async () => {
  const bob = await open("bob", room.general);
  const members = bob.page.getByRole("complementary", { name: "Members" });
  await member(members, "bob", "Online").waitFor();
  await member(members, "ann", "Offline").waitFor();

  const ann = await open("ann", room.general);
  await member(members, "ann", "Online").waitFor();
  await ann.page.getByRole("button", { name: /^Your status: Online/ }).click();
  await ann.page.getByRole("menuitem", { name: "Do not disturb" }).click();
  await member(members, "ann", "Do not disturb").waitFor();
  await ann.page.getByRole("button", { name: /^Your status: Do not disturb/ }).waitFor();
  assert.equal(await members.locator("li").filter({ hasText: "ann" }).getAttribute("class"), null, "not shown as offline");
  // Her own list shows her choice too.
  await member(ann.page.getByRole("complementary", { name: "Members" }), "ann", "Do not disturb").waitFor();
  await screenshot(bob.page, "live-presence");
  // Invisible: offline to others, invisible to herself.
  await ann.page.getByRole("button", { name: /^Your status:/ }).click();
  await ann.page.getByRole("menuitem", { name: "Invisible" }).click();
  await member(members, "ann", "Offline").waitFor();
  await ann.page.getByRole("button", { name: "Your status: Invisible. Change it" }).waitFor();
  await ann.page.getByRole("button", { name: /^Your status:/ }).click();
  await ann.page.getByRole("menuitem", { name: "Online" }).click();
  await member(members, "ann", "Online").waitFor();

  // A newcomer appears in the list at once, and goes when they leave.
  const cat = await apiAs(fixture.server, "cat");
  await cat("POST", `/api/servers/${room.id}/add_member/`);
  await member(members, "cat", "Offline").waitFor();
  await cat("POST", `/api/servers/${room.id}/remove_member/`);
  await members.getByRole("button", { name: /^cat/ }).waitFor({ state: "detached" });

  // Ann closes her tab: offline for Bob after the server's grace (10 s).
  await ann.context.close();
  await member(members, "ann", "Offline").waitFor({ timeout: 30_000 });
  assert.deepEqual(bob.problems, []);
  await bob.context.close();
});

test("a mention while the tab is hidden shows a desktop notification", async () => {
  const bob = await open("bob", room.general);
  await bob.context.grantPermissions(["notifications"]);
  // What the page shows as notifications, recorded on their way to the browser's own.
  await bob.page.evaluate(() => {
    const Real = window.Notification;
    /** @type {any} */ (window).shown = [];
    const Recorded = function (/** @type {string} */ title, /** @type {any} */ options) {
      /** @type {any} */ (window).shown.push({ title, body: options?.body });
      return new Real(title, options);
    };
    Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
    /** @type {any} */ (window).Notification = Recorded;
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  const ann = await apiAs(fixture.server, "ann");
  await ann("POST", "/api/messages/", { channel_id: room.random, content: "no mention here" });
  await ann("POST", "/api/messages/", { channel_id: room.random, content: `ping <@${room.bob}>` });
  await bob.page.waitForFunction(() => /** @type {any} */ (window).shown.length > 0);
  const shown = await bob.page.evaluate(() => /** @type {any} */ (window).shown);
  // The mention reads as a name.
  assert.deepEqual(shown, [{ title: "ann in #random", body: "ping @bob" }]);
  await bob.context.close();
});
