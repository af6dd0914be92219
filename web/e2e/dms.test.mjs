// Direct messages and blocks in the browser: "Message" on a profile card opens the conversation
// of the two; the other person finds it under Home, unread, and answers live; a block stops the
// blocked from writing, in words, until it is lifted; a group is left from its header; the
// accessibility checks of the new parts; screenshots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loggedIn, axeViolations, screenshot, apiAs, setup } from "./harness.mjs";

/** @type {{id: number, general: number, group: number}} */
const room = { id: 0, general: 0, group: 0 };

const fixture = setup(async ({ server }) => {
  for (const login of ["ann", "bob", "cat"]) server.user(login);
  const ann = await apiAs(server, "ann");
  const created = await ann("POST", "/api/servers/", { name: "Corner", category: 1 });
  for (const login of ["bob", "cat"]) await (await apiAs(server, login))("POST", `/api/servers/${created.id}/add_member/`);
  await ann("POST", "/api/messages/", { channel_id: created.channel_server[0].id, content: "Hello everyone" });
  const me = await ann("GET", "/api/account/me/");
  const cat = await apiAs(server, "cat");
  const bobId = (await (await apiAs(server, "bob"))("GET", "/api/account/me/")).id;
  const group = await cat("POST", "/api/dms/", { recipients: [me.id, bobId] });
  Object.assign(room, { id: created.id, general: created.channel_server[0].id, group: group.id });
});

const general = () => `/servers/${room.id}/channels/${room.general}`;

/** A message by its text. @param {import("playwright-core").Page} page @param {string} text */
const message = (page, text) =>
  page.getByRole("log").getByRole("article").filter({ has: page.locator(".message-content", { hasText: text }) });

/** @param {import("playwright-core").Page} page @param {string} text */
async function send(page, text) {
  const box = page.getByRole("textbox", { name: /^Message @/ });
  await box.fill(text);
  await box.press("Enter");
  await message(page, text).locator(".message-content").waitFor();
}

test("Message on a profile opens the conversation, the other finds it under Home and answers live", async () => {
  const bob = await loggedIn(fixture, "bob", general());
  const ann = await loggedIn(fixture, "ann", general());
  await message(bob.page, "Hello everyone").getByRole("button", { name: "ann: show profile" }).click();
  await bob.page.getByRole("dialog").getByRole("button", { name: "Message", exact: true }).click();
  await bob.page.waitForURL(/\/dms\/\d+$/);
  await bob.page.getByRole("heading", { name: "ann", exact: true, level: 1 }).waitFor();
  await send(bob.page, "Lunch today?");

  // Ann is on the server: Home says something is unread; the conversation is listed, bold.
  const home = ann.page.getByRole("link", { name: /^Home and direct messages, unread messages/ });
  await home.waitFor();
  await home.click();
  const listed = ann.page.getByRole("navigation", { name: "Places" }).getByRole("link", { name: /^bob\s*, unread messages$/ });
  await listed.click();
  await message(ann.page, "Lunch today?").waitFor();
  await send(ann.page, "Sure, at noon");
  await message(bob.page, "Sure, at noon").waitFor();
  await screenshot(bob.page, "chat-dm");
  assert.deepEqual(await axeViolations(bob.page), []);
  await ann.context.close();
  await bob.context.close();
});

test("a blocked person is told they cannot write until the block is lifted", async () => {
  const api = await apiAs(fixture.server, "bob");
  const annId = (await (await apiAs(fixture.server, "ann"))("GET", "/api/account/me/")).id;
  const dm = await api("POST", "/api/dms/", { recipients: [annId] });
  const bob = await loggedIn(fixture, "bob", `/dms/${dm.id}`);
  const ann = await loggedIn(fixture, "ann", `/dms/${dm.id}`);
  await send(ann.page, "Are you there?");
  await message(bob.page, "Are you there?").waitFor();
  // Ann's name heads her latest run of messages.
  await bob.page.getByRole("log").getByRole("button", { name: "ann: show profile" }).last().click();
  const card = bob.page.getByRole("dialog");
  await card.getByRole("button", { name: "Block" }).click();
  await card.getByText("You block ann: neither of you can message the other in a conversation of your own.").waitFor();
  assert.equal(await card.getByRole("button", { name: "Message", exact: true }).count(), 0);
  await card.getByRole("button", { name: "Close" }).click();

  const box = ann.page.getByRole("textbox", { name: /^Message @/ });
  await box.fill("Hello?");
  await box.press("Enter");
  await ann.page.getByText("You cannot message this person: one of you has blocked the other.").waitFor();
  assert.deepEqual(await axeViolations(ann.page), []);

  await message(bob.page, "Are you there?").waitFor();
  // Ann's name heads her latest run of messages.
  await bob.page.getByRole("log").getByRole("button", { name: "ann: show profile" }).last().click();
  await bob.page.getByRole("dialog").getByRole("button", { name: "Unblock" }).click();
  await bob.page.getByRole("dialog").getByRole("button", { name: "Message", exact: true }).waitFor();
  await ann.context.close();
  await bob.context.close();
});

test("a group shows its people's names and is left from its header", async () => {
  const cat = await loggedIn(fixture, "cat", `/dms/${room.group}`);
  await cat.page.getByRole("heading", { name: "ann, bob", exact: true, level: 1 }).waitFor();
  await cat.page.getByRole("button", { name: "Leave this group" }).click();
  await cat.page.getByRole("dialog").getByRole("button", { name: "Leave" }).click();
  await cat.page.waitForURL((url) => url.pathname === "/");
  const places = cat.page.getByRole("navigation", { name: "Places" });
  await places.getByText("Open someone's profile and choose Message to talk to them alone.").waitFor();
  assert.equal(await places.getByRole("link", { name: /ann, bob/ }).count(), 0);
  // The others see who is left.
  const ann = await loggedIn(fixture, "ann", `/dms/${room.group}`);
  await ann.page.getByRole("heading", { name: "bob", exact: true, level: 1 }).waitFor();
  await cat.context.close();
  await ann.context.close();
});
