// Replies, reactions and pins in the browser: a reply quotes its original and jumps to it
// (also one far back in the history, read around it); reactions from the picker and the chips,
// live for the other person; the owner pins, the pins panel lists them and jumps; the
// accessibility checks of the new parts; screenshots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { person, logIn, axeViolations, screenshot, apiAs, setup, pngFile } from "./harness.mjs";

/** @type {{id: number, general: number, history: number, old: number}} */
const room = { id: 0, general: 0, history: 0, old: 0 };

const fixture = setup(async ({ server }) => {
  server.user("ann");
  server.user("bob");
  const ann = await apiAs(server, "ann");
  const created = await ann("POST", "/api/servers/", { name: "Marks", category: 1 });
  const history = await ann("POST", "/api/channels/", { name: "history", server: created.id });
  await (await apiAs(server, "bob"))("POST", `/api/servers/${created.id}/add_member/`);
  // A long history, its first message far out of the first page.
  const first = await ann("POST", "/api/messages/", { channel_id: history.id, content: "the very first word" });
  for (let n = 1; n <= 120; n++) await ann("POST", "/api/messages/", { channel_id: history.id, content: `filler ${n}` });
  await ann("POST", "/api/messages/", { channel_id: history.id, content: "about that first word", reply_to: first.id });
  Object.assign(room, { id: created.id, general: created.channel_server[0].id, history: history.id, old: first.id });
});

/** @param {number} channel */
const channelUrl = (channel) => `${fixture.server.url}/servers/${room.id}/channels/${channel}`;

/** @param {string} login @param {number} channel */
async function open(login, channel) {
  const who = await person(fixture.browser, channelUrl(channel));
  await logIn(who.page, login);
  await who.page.waitForURL(channelUrl(channel));
  await who.page.getByRole("textbox", { name: /^Message #/ }).waitFor();
  await who.page.locator(".history-edge, article[data-id]").first().waitFor();
  return who;
}

/** A message by its own text (not a quote of it). @param {import("playwright-core").Page} page @param {string} text */
const message = (page, text) =>
  page.getByRole("log").getByRole("article").filter({ has: page.locator(".message-content", { hasText: text }) });

/** @param {import("playwright-core").Page} page @param {string} text */
async function send(page, text) {
  const box = page.getByRole("textbox", { name: /^Message #/ });
  await box.fill(text);
  await box.press("Enter");
  await message(page, text).locator(".message-content").waitFor();
  await page.locator("article.pending").waitFor({ state: "detached" });
}

/** Shows a message's actions (hover) and presses one. @param {import("playwright-core").Locator} item @param {string} name */
async function act(item, name) {
  await item.hover();
  await item.getByRole("button", { name, exact: true }).click();
}

test("a reply quotes its original, live for the other person, and says when the original is deleted", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  await send(ann.page, "Shall we meet at noon?");
  await message(bob.page, "Shall we meet at noon?").waitFor();
  await act(message(bob.page, "Shall we meet at noon?"), "Reply");
  const bar = bob.page.locator(".composer-reply");
  await bar.getByText("Replying to ann").waitFor();
  await send(bob.page, "Noon works for me");
  const reply = message(ann.page, "Noon works for me");
  await reply.getByRole("button", { name: /^Replying to ann Shall we meet at noon\?/ }).waitFor();
  assert.equal(await bar.count(), 0, "the reply bar closed once sent");
  // Escape cancels a reply.
  await act(message(bob.page, "Noon works for me"), "Reply");
  await bar.getByText("Replying to bob").waitFor();
  await bob.page.getByRole("textbox", { name: /^Message #/ }).press("Escape");
  await bar.waitFor({ state: "detached" });
  await screenshot(ann.page, "chat-reply");

  // The original deleted: the quote says so, live.
  const original = message(ann.page, "Shall we meet at noon?");
  await act(original, "Delete message");
  await ann.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await message(bob.page, "Noon works for me").getByText("Original message was deleted").waitFor();
  assert.deepEqual(await axeViolations(ann.page), []);
  await ann.context.close();
  await bob.context.close();
});

test("a quote of a message far back reads the history around it and lights it up", async () => {
  const bob = await open("bob", room.history);
  assert.equal(await message(bob.page, "the very first word").count(), 0, "not in the first page");
  await message(bob.page, "about that first word").getByRole("button", { name: /^Replying to ann/ }).click();
  const first = message(bob.page, "the very first word");
  await first.waitFor();
  await bob.page.waitForFunction(() => document.querySelector("article.flash") !== null);
  assert.ok(await first.isVisible(), "in view");
  await bob.page.getByRole("button", { name: "Jump to present" }).click();
  await message(bob.page, "about that first word").waitFor();
  await bob.context.close();
});

test("reactions from the picker and the chips, live for the other person", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  await send(ann.page, "React to this");
  const onBob = message(bob.page, "React to this");
  await act(onBob, "Add a reaction");
  const picker = bob.page.getByRole("dialog", { name: "Add a reaction" });
  await picker.getByRole("searchbox", { name: "Find an emoji" }).fill("party popper");
  await picker.getByRole("button", { name: "party popper" }).click();
  await picker.waitFor({ state: "detached" });
  await onBob.getByRole("button", { name: "🎉 1 reaction, including yours" }).waitFor();
  const onAnn = message(ann.page, "React to this");
  const chip = onAnn.getByRole("button", { name: "🎉 1 reaction" });
  await chip.waitFor();
  assert.equal(await chip.getAttribute("aria-pressed"), "false");
  await chip.click();
  await onAnn.getByRole("button", { name: "🎉 2 reactions, including yours" }).waitFor();
  await onBob.getByRole("button", { name: "🎉 2 reactions, including yours" }).waitFor();
  await screenshot(bob.page, "chat-reactions");
  // Recently used comes first in the picker; Escape closes it.
  await act(onAnn, "Add a reaction");
  const annPicker = ann.page.getByRole("dialog", { name: "Add a reaction" });
  await annPicker.getByRole("heading", { name: /Recently used|Popular/ }).waitFor();
  assert.deepEqual(await axeViolations(ann.page), []);
  await screenshot(ann.page, "chat-emoji-picker");
  await ann.page.keyboard.press("Escape");
  await annPicker.waitFor({ state: "detached" });
  // Taken back by a click on one's own chip.
  await onBob.getByRole("button", { name: "🎉 2 reactions, including yours" }).click();
  await onAnn.getByRole("button", { name: "🎉 1 reaction, including yours" }).waitFor();
  // A reload shows the same, each reader's own.
  await bob.page.reload();
  await message(bob.page, "React to this").getByRole("button", { name: "🎉 1 reaction" }).waitFor();
  await ann.context.close();
  await bob.context.close();
});

test("the owner pins; the pins panel lists them for everyone and jumps to them", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  await send(ann.page, "Rules: be kind");
  assert.equal(await message(bob.page, "Rules: be kind").getByRole("button", { name: "Pin message" }).count(), 0, "members do not pin");
  await act(message(ann.page, "Rules: be kind"), "Pin message");
  await message(bob.page, "Rules: be kind").getByText("Pinned").waitFor();
  await bob.page.getByRole("button", { name: "Pinned messages" }).click();
  const panel = bob.page.getByRole("complementary", { name: "Pinned messages" });
  await panel.getByRole("button", { name: /^ann Rules: be kind/ }).waitFor();
  assert.equal(await panel.getByRole("button", { name: "Unpin" }).count(), 0);
  // Live: pinned while the panel is open.
  await send(ann.page, "Also: no spam");
  await act(message(ann.page, "Also: no spam"), "Pin message");
  await panel.getByRole("button", { name: /^ann Also: no spam/ }).waitFor();
  assert.deepEqual(await axeViolations(bob.page), []);
  await screenshot(bob.page, "chat-pins");
  await panel.getByRole("button", { name: /^ann Rules: be kind/ }).click();
  await bob.page.waitForFunction(() => document.querySelector("article.flash") !== null);
  // The owner unpins from the panel.
  await ann.page.getByRole("button", { name: "Pinned messages" }).click();
  const annPanel = ann.page.getByRole("complementary", { name: "Pinned messages" });
  await annPanel.getByRole("button", { name: "Unpin" }).first().click();
  await panel.getByRole("listitem").nth(1).waitFor({ state: "detached" });
  await ann.context.close();
  await bob.context.close();
});

test("mentions: picked after @, shown as names, standing out for the one mentioned", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  const box = ann.page.getByRole("textbox", { name: /^Message #/ });
  await box.fill("");
  await box.pressSequentially("Lunch, @bo");
  const list = ann.page.getByRole("listbox", { name: "Members to mention" });
  await list.getByRole("option", { name: /bob/ }).waitFor();
  assert.deepEqual(await axeViolations(ann.page), []);
  await screenshot(ann.page, "chat-mention-picker");
  await box.press("Enter");
  await list.waitFor({ state: "detached" });
  assert.equal(await box.inputValue(), "Lunch, @bob ");
  await box.pressSequentially("at one?");
  await box.press("Enter");
  const onBob = message(bob.page, "Lunch, @bob at one?");
  await onBob.locator(".mention.me", { hasText: "@bob" }).waitFor();
  assert.match((await onBob.getAttribute("class")) ?? "", /mentions-me/);
  await message(ann.page, "Lunch, @bob at one?").locator(".mention", { hasText: "@bob" }).waitFor();
  await ann.context.close();
  await bob.context.close();
});

test("images: attached by the picker or dropped, sent, shown in boxes of their size", async () => {
  const ann = await open("ann", room.general);
  const bob = await open("bob", room.general);
  await ann.page.locator('input[type="file"]').setInputFiles(pngFile([200, 40, 40], 64));
  const drafts = ann.page.getByRole("list", { name: "Images to send" });
  await drafts.getByRole("listitem").waitFor();
  await ann.page.locator(".draft-image.ready").waitFor();
  // One more, dropped on the chat.
  await ann.page.evaluate(async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 80;
    canvas.height = 40;
    const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    context.fillStyle = "#2a7";
    context.fillRect(0, 0, 80, 40);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const data = new DataTransfer();
    data.items.add(new File([/** @type {Blob} */ (blob)], "dropped.png", { type: "image/png" }));
    document.querySelector(".chat-main")?.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await ann.page.locator(".draft-image.ready").nth(1).waitFor();
  assert.equal(await ann.page.locator(".draft-image").count(), 2);
  assert.deepEqual(await axeViolations(ann.page), []);
  const box = ann.page.getByRole("textbox", { name: /^Message #/ });
  await box.fill("Two pictures");
  await box.press("Enter");
  await drafts.waitFor({ state: "detached" });
  const onBob = message(bob.page, "Two pictures");
  const images = onBob.locator(".message-images img");
  await images.nth(1).waitFor();
  assert.deepEqual(
    [await images.nth(0).getAttribute("width"), await images.nth(1).getAttribute("width"), await images.nth(1).getAttribute("height")],
    ["64", "80", "40"],
  );
  await bob.page.waitForFunction(() => [...document.querySelectorAll(".message-images img")].every((i) => /** @type {HTMLImageElement} */ (i).complete && /** @type {HTMLImageElement} */ (i).naturalWidth > 0));
  await screenshot(bob.page, "chat-images");
  // Taken off before sending: nothing goes.
  await ann.page.locator('input[type="file"]').setInputFiles(pngFile([10, 10, 200], 32));
  await ann.page.locator(".draft-image.ready").waitFor();
  await ann.page.getByRole("button", { name: /^Remove / }).click();
  await drafts.waitFor({ state: "detached" });
  await ann.context.close();
  await bob.context.close();
});

test("on a phone: a message's actions and reactions fit", async () => {
  const bob = await person(fixture.browser, channelUrl(room.general), { phone: true });
  await logIn(bob.page, "bob");
  await bob.page.waitForURL(channelUrl(room.general));
  const item = message(bob.page, "React to this");
  await item.click();
  await item.getByRole("button", { name: "Add a reaction", exact: true }).waitFor();
  await item.getByRole("button", { name: "Add a reaction", exact: true }).click();
  const picker = bob.page.getByRole("dialog", { name: "Add a reaction" });
  await picker.waitFor();
  const box = await picker.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the picker fits the screen: ${JSON.stringify(box)}`);
  await screenshot(bob.page, "chat-phone-picker");
  await bob.context.close();
});
