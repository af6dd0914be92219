// Searching messages in the browser: the search panel finds words in this server, then
// everywhere (a direct message too), then one person's, with a total; a result far back in another channel opens
// that channel at it, read around it and lit up; the accessibility checks; a screenshot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loggedIn, axeViolations, screenshot, apiAs, setup } from "./harness.mjs";

/** @type {{id: number, general: number, archive: number, old: number}} */
const room = { id: 0, general: 0, archive: 0, old: 0 };

const fixture = setup(async ({ server }) => {
  for (const login of ["ann", "bob"]) server.user(login);
  const ann = await apiAs(server, "ann");
  const bob = await apiAs(server, "bob");
  const created = await ann("POST", "/api/servers/", { name: "Harbour", category: 1 });
  const archive = await ann("POST", "/api/channels/", { name: "archive", server: created.id });
  await bob("POST", `/api/servers/${created.id}/add_member/`);
  const general = created.channel_server[0].id;
  // The one to find, far back in #archive, out of its first page.
  const old = await ann("POST", "/api/messages/", { channel_id: archive.id, content: "The lighthouse keeper left a map" });
  for (let n = 1; n <= 80; n++) await ann("POST", "/api/messages/", { channel_id: archive.id, content: `tide table ${n}` });
  await bob("POST", "/api/messages/", { channel_id: general, content: "Anyone seen the lighthouse today?" });
  const me = await bob("GET", "/api/account/me/");
  const dm = await ann("POST", "/api/dms/", { recipients: [me.id] });
  await ann("POST", "/api/messages/", { channel_id: dm.id, content: "Meet me at the lighthouse" });
  Object.assign(room, { id: created.id, general, archive: archive.id, old: old.id });
});

test("the search panel finds words here and everywhere and opens a result far back in its place", async () => {
  const ann = await loggedIn(fixture, "ann", `/servers/${room.id}/channels/${room.general}`);
  const page = ann.page;
  await page.getByRole("button", { name: "Search messages" }).click();
  const panel = page.getByRole("complementary", { name: "Search messages" });
  await panel.getByRole("searchbox", { name: "Words to find" }).fill("Lighthouse");
  await panel.getByRole("button", { name: "Search", exact: true }).click();
  await panel.getByText("2 results for “Lighthouse”").waitFor();
  await panel.getByRole("combobox", { name: "Where" }).selectOption("all");
  await panel.getByRole("button", { name: "Search", exact: true }).click();
  await panel.getByText("3 results for “Lighthouse”").waitFor();
  const results = panel.getByRole("listitem");
  assert.deepEqual(
    (await results.allInnerTexts()).map((t) => t.split("\n").at(-1)),
    ["Meet me at the lighthouse", "Anyone seen the lighthouse today?", "The lighthouse keeper left a map"],
    "newest first",
  );
  await screenshot(page, "chat-search");
  // Only Bob's.
  await panel.getByRole("combobox", { name: "From" }).selectOption({ label: "From bob" });
  await panel.getByRole("button", { name: "Search", exact: true }).click();
  await panel.getByText("1 result for “Lighthouse”").waitFor();
  await panel.getByRole("combobox", { name: "From" }).selectOption({ label: "From anyone" });
  await panel.getByRole("button", { name: "Search", exact: true }).click();
  await panel.getByText("3 results for “Lighthouse”").waitFor();
  assert.deepEqual(await axeViolations(page), []);

  // The oldest, in #archive, far back: that channel opens at it.
  await results.filter({ hasText: "keeper" }).getByRole("button").click();
  await page.waitForURL((url) => url.pathname === `/servers/${room.id}/channels/${room.archive}`);
  await page.locator(`article[data-id="${room.old}"]`).waitFor();
  await page.waitForFunction((id) => document.querySelector(`article[data-id="${id}"].flash`) !== null, room.old);
  await ann.context.close();
});
