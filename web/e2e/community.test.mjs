// Servers in the browser, with two or three people each in a browser context of their own: create
// a server with an icon, find it in Explore and join; a private server joined through an invite
// link, the invite revoked; channels made, renamed and deleted; kick, ban, unban, handing the
// server over, leaving; a phone-sized Explore. axe and the page's own problems are checked on the
// way, and the screenshots `explore`, `explore-phone` and `server-settings` are saved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Server, person, axeViolations, screenshot, pngFile, apiAs, setup, loggedIn } from "./harness.mjs";


const fixture = setup();


/**
 * A server made through the API, its id and first channel.
 * @param {string} owner @param {{name: string, category?: number, is_private?: boolean, description?: string}} fields
 */
async function serverOf(owner, fields) {
  const api = await apiAs(fixture.server, owner);
  return api("POST", "/api/servers/", { category: 1, ...fields });
}

/** @param {import("playwright-core").Page} page */
async function openServerMenu(page) {
  await page.getByRole("button", { name: /server menu/ }).click();
}

test("an owner creates a server with an icon; another person finds it in Explore by category and joins", async () => {
  fixture.server.user("olga");
  fixture.server.user("max");
  const owner = await loggedIn(fixture, "olga", "/");
  await owner.page.getByRole("button", { name: "Create a server" }).click();
  const dialog = owner.page.getByRole("dialog", { name: "Create a server" });
  await dialog.getByLabel("Server name").fill("Book club");
  await dialog.getByLabel("Category").selectOption({ label: "Music" });
  await dialog.getByLabel("Description").fill("We read, then we talk.");
  await dialog.getByLabel("Icon").setInputFiles(pngFile([220, 40, 60]));
  await dialog.getByRole("img", { name: "Icon: preview" }).waitFor();
  assert.deepEqual(await axeViolations(owner.page), []);
  await dialog.getByRole("button", { name: "Create server" }).click();
  await owner.page.waitForURL(/\/servers\/\d+\/channels\/\d+$/);
  const rail = owner.page.getByRole("navigation", { name: "Servers" }).getByRole("link", { name: "Book club" });
  await rail.waitFor();
  assert.match((await rail.locator("img").getAttribute("src")) ?? "", /\/media\/(?!defaults\/).+\.(png|jpe?g)$/);

  await serverOf("olga", { name: "Chess corner", category: 2, description: "Openings and endgames" });
  const member = await loggedIn(fixture, "max", "/explore");
  await member.page.getByRole("button", { name: "Music" }).click();
  const card = member.page.getByRole("article", { name: "Book club" });
  await card.getByText("1 member").waitFor();
  await card.getByText("We read, then we talk.").waitFor();
  // The filtered list may come after the whole one: Chess corner goes once it is in.
  await member.page.getByRole("article", { name: "Chess corner" }).waitFor({ state: "detached" });
  await member.page.getByRole("button", { name: "All" }).click();
  await member.page.getByRole("heading", { name: "Gaming" }).waitFor();
  await member.page.getByRole("article", { name: "Chess corner" }).waitFor();
  assert.deepEqual(await axeViolations(member.page), []);
  await screenshot(member.page, "explore");

  await card.getByRole("button", { name: "Join Book club" }).click();
  await member.page.waitForURL(/\/servers\/\d+\/channels\/\d+$/);
  await member.page.getByRole("navigation", { name: "Servers" }).getByRole("link", { name: "Book club" }).waitFor();
  await member.page.goto(`${fixture.server.url}/explore`);
  await member.page.getByRole("article", { name: "Book club" }).getByRole("link", { name: "Open" }).waitFor();

  assert.deepEqual(owner.problems, []);
  assert.deepEqual(member.problems, []);
  await owner.context.close();
  await member.context.close();
});

test("Explore finds servers by a part of their name (GET /api/servers/?search=)", async () => {
  fixture.server.user("seeker");
  await serverOf("seeker", { name: "Knitting circle" });
  await serverOf("seeker", { name: "Rock climbing" });
  const { page, context, problems } = await loggedIn(fixture, "seeker", "/explore");
  await page.getByRole("article", { name: "Rock climbing" }).waitFor();
  await page.getByLabel("Search servers by name").fill("KNIT");
  await page.getByRole("article", { name: "Rock climbing" }).waitFor({ state: "detached" });
  await page.getByRole("article", { name: "Knitting circle" }).waitFor();
  await page.getByLabel("Search servers by name").fill("no such server");
  await page.getByText("No public server's name contains “no such server”.").waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test("a private server is joined through an invite link, and a revoked invite stops working", async () => {
  fixture.server.user("priya");
  fixture.server.user("guest");
  fixture.server.user("latecomer");
  const owner = await loggedIn(fixture, "priya", "/");
  await owner.page.getByRole("button", { name: "Create a server" }).click();
  const dialog = owner.page.getByRole("dialog", { name: "Create a server" });
  await dialog.getByLabel("Server name").fill("Secret garden");
  await dialog.getByLabel("Private server").check();
  await dialog.getByRole("button", { name: "Create server" }).click();
  await owner.page.waitForURL(/\/servers\/\d+\/channels\/\d+$/);
  const serverPath = new URL(owner.page.url()).pathname.replace(/\/channels\/\d+$/, "");

  // The menu works from the keyboard.
  await owner.page.getByRole("button", { name: /server menu/ }).focus();
  await owner.page.keyboard.press("Enter");
  await owner.page.getByRole("menuitem", { name: "Invite people" }).waitFor();
  assert.equal(await owner.page.evaluate(() => document.activeElement?.textContent), "Invite people");
  await owner.page.keyboard.press("ArrowDown");
  assert.equal(await owner.page.evaluate(() => document.activeElement?.textContent), "Server settings");
  await owner.page.keyboard.press("Escape");
  await owner.page.getByRole("menu").waitFor({ state: "detached" });
  assert.match((await owner.page.evaluate(() => document.activeElement?.getAttribute("aria-label"))) ?? "", /server menu/);

  await openServerMenu(owner.page);
  await owner.page.getByRole("menuitem", { name: "Invite people" }).click();
  const invite = owner.page.getByRole("dialog", { name: /Invite people/ });
  await invite.getByLabel("How many people may use it").selectOption({ label: "5 uses" });
  await invite.getByRole("button", { name: "Create invite link" }).click();
  const link = await invite.getByLabel("Invite link").inputValue();
  assert.match(link, new RegExp(`^${fixture.server.url}/invite/[A-Za-z0-9]{10}$`));
  await invite.getByText(/0 of 5 uses · expires/).waitFor();
  await invite.getByRole("button", { name: "Done" }).click();

  // An outsider following the server's address learns it is private.
  const guest = await loggedIn(fixture, "guest", "/");
  await guest.page.goto(`${fixture.server.url}${serverPath}`);
  await guest.page.getByText("This server is private: you need an invite link").waitFor();
  await guest.page.goto(link);
  await guest.page.getByRole("heading", { name: "Secret garden" }).waitFor();
  await guest.page.getByText("1 member").waitFor();
  assert.deepEqual(await axeViolations(guest.page), []);
  await guest.page.getByRole("button", { name: "Accept invite" }).click();
  await guest.page.waitForURL(new RegExp(`${serverPath}/channels/\\d+$`));

  // The owner revokes it in the settings; it no longer works for anyone.
  await owner.page.goto(`${fixture.server.url}${serverPath}/settings`);
  await owner.page.getByRole("tab", { name: "Invites" }).click();
  const code = link.split("/").pop();
  await owner.page.getByText("1 of 5 uses").waitFor();
  await owner.page.getByRole("button", { name: `Revoke the invite ${code}` }).click();
  await owner.page.getByText("No invite links.").waitFor();

  const late = await loggedIn(fixture, "latecomer", "/");
  await late.page.goto(link);
  await late.page.getByRole("heading", { name: "This invite does not work" }).waitFor();
  assert.deepEqual(await axeViolations(late.page), []);

  for (const who of [owner, guest, late]) {
    assert.deepEqual(who.problems, []);
    await who.context.close();
  }
});

test("the owner creates, renames and deletes channels; a member sees them after a reload", async () => {
  fixture.server.user("carla");
  fixture.server.user("ben");
  const made = await serverOf("carla", { name: "Workshop" });
  await (await apiAs(fixture.server, "ben"))("POST", `/api/servers/${made.id}/add_member/`);
  const owner = await loggedIn(fixture, "carla", `/servers/${made.id}/channels/${made.channel_server[0].id}`);
  await openServerMenu(owner.page);
  await owner.page.getByRole("menuitem", { name: "Create channel" }).click();
  const create = owner.page.getByRole("dialog", { name: "Create a channel" });
  await create.getByLabel("Channel name").fill("Tools");
  await create.getByLabel("Description").fill("Saws and drills");
  await create.getByRole("button", { name: "Create channel" }).click();
  await owner.page.waitForURL(/\/channels\/\d+$/);
  await owner.page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: "tools" }).waitFor();

  const member = await loggedIn(fixture, "ben", `/servers/${made.id}`);
  const channels = member.page.getByRole("navigation", { name: "Channels" });
  await channels.getByRole("link", { name: "tools" }).waitFor();

  await owner.page.goto(`${fixture.server.url}/servers/${made.id}/settings`);
  await owner.page.getByRole("tab", { name: "Channels" }).click();
  await owner.page.getByRole("button", { name: "Edit #tools" }).click();
  const edit = owner.page.getByRole("dialog", { name: "Edit #tools" });
  await edit.getByLabel("Channel name").fill("");
  await edit.getByRole("button", { name: "Save" }).click();
  await edit.getByText("This field may not be blank.").waitFor();
  await edit.getByLabel("Channel name").fill("Woodwork");
  await edit.getByRole("button", { name: "Save" }).click();
  await owner.page.getByText("# woodwork").waitFor();
  assert.deepEqual(await axeViolations(owner.page), []);
  await screenshot(owner.page, "server-settings");

  await member.page.reload();
  await channels.getByRole("link", { name: "woodwork" }).waitFor();
  assert.equal(await channels.getByRole("link", { name: "tools" }).count(), 0);

  await owner.page.getByRole("button", { name: "Delete #woodwork" }).click();
  await owner.page.getByRole("dialog", { name: "Delete #woodwork?" }).getByRole("button", { name: "Delete channel" }).click();
  await owner.page.getByText("# woodwork").waitFor({ state: "detached" });
  await member.page.reload();
  await channels.getByRole("link", { name: "general" }).waitFor();
  assert.equal(await channels.getByRole("link", { name: "woodwork" }).count(), 0);

  assert.deepEqual(owner.problems, []);
  assert.deepEqual(member.problems, []);
  await owner.context.close();
  await member.context.close();
});

test("only the owner manages a server; a member sees why, and leaves it", async () => {
  fixture.server.user("uma");
  fixture.server.user("vic");
  const made = await serverOf("uma", { name: "Reading room" });
  await (await apiAs(fixture.server, "vic"))("POST", `/api/servers/${made.id}/add_member/`);
  const member = await loggedIn(fixture, "vic", `/servers/${made.id}/settings`);
  await member.page.getByText("Only the owner of Reading room (@uma) can change its settings.").waitFor();
  await member.page.goto(`${fixture.server.url}/servers/${made.id}`);
  await openServerMenu(member.page);
  assert.equal(await member.page.getByRole("menuitem", { name: "Server settings" }).count(), 0);
  await member.page.getByRole("menuitem", { name: "Leave server" }).click();
  await member.page.getByRole("dialog", { name: "Leave Reading room?" }).getByRole("button", { name: "Leave server" }).click();
  await member.page.getByText("You are not in any server yet").waitFor();

  // The owner is told to hand the server over first.
  const owner = await loggedIn(fixture, "uma", `/servers/${made.id}`);
  await openServerMenu(owner.page);
  await owner.page.getByRole("menuitem", { name: "Leave server" }).click();
  await owner.page.getByRole("dialog", { name: "You own this server" }).getByText(/Hand the server over/).waitFor();
  await owner.page.keyboard.press("Escape");
  await owner.page.getByRole("dialog").waitFor({ state: "detached" });
  assert.deepEqual(member.problems, []);
  assert.deepEqual(owner.problems, []);
  await member.context.close();
  await owner.context.close();
});

test("kick, ban (a banned person cannot join again), unban, and handing the server over (GET members/)", async () => {
  fixture.server.user("wendy");
  fixture.server.user("xavier");
  fixture.server.user("yusuf");
  const made = await serverOf("wendy", { name: "Garage band" });
  for (const login of ["xavier", "yusuf"]) await (await apiAs(fixture.server, login))("POST", `/api/servers/${made.id}/add_member/`);
  const owner = await loggedIn(fixture, "wendy", `/servers/${made.id}/settings`);
  await owner.page.getByRole("tab", { name: "Members" }).click();
  await owner.page.getByRole("heading", { name: "Members (3)" }).waitFor();

  await owner.page.getByRole("button", { name: "Kick: xavier (@xavier)" }).click();
  await owner.page.getByRole("dialog", { name: "Kick xavier?" }).getByRole("button", { name: "Kick" }).click();
  await owner.page.getByRole("heading", { name: "Members (2)" }).waitFor();

  await owner.page.getByRole("button", { name: "Ban: yusuf (@yusuf)" }).click();
  await owner.page.getByRole("dialog", { name: "Ban yusuf?" }).getByRole("button", { name: "Ban" }).click();
  await owner.page.getByRole("heading", { name: "Members (1)" }).waitFor();

  const banned = await loggedIn(fixture, "yusuf", `/servers/${made.id}`);
  await banned.page.getByRole("button", { name: "Join Garage band" }).click();
  await banned.page.getByRole("alert").filter({ hasText: "You are banned from this server." }).waitFor();

  await owner.page.getByRole("tab", { name: "Bans" }).click();
  await owner.page.getByRole("button", { name: "Unban yusuf" }).click();
  await owner.page.getByText("Nobody is banned from Garage band.").waitFor();
  await banned.page.getByRole("button", { name: "Join Garage band" }).click();
  await banned.page.waitForURL(/\/channels\/\d+$/);

  await owner.page.getByRole("tab", { name: "Members" }).click();
  await owner.page.getByRole("button", { name: "Make owner: yusuf (@yusuf)" }).click();
  await owner.page.getByRole("dialog", { name: "Make yusuf the owner?" }).getByRole("button", { name: "Make owner" }).click();
  await owner.page.waitForURL(/\/channels\/\d+$/);
  await openServerMenu(owner.page);
  assert.equal(await owner.page.getByRole("menuitem", { name: "Server settings" }).count(), 0);
  await owner.page.getByRole("menuitem", { name: "Leave server" }).click();
  await owner.page.getByRole("dialog", { name: "Leave Garage band?" }).getByRole("button", { name: "Leave server" }).click();
  await owner.page.getByText("You are not in any server yet").waitFor();

  await banned.page.reload();
  await openServerMenu(banned.page);
  await banned.page.getByRole("menuitem", { name: "Server settings" }).waitFor();
  assert.deepEqual(owner.problems, []);
  assert.deepEqual(banned.problems, []);
  await owner.context.close();
  await banned.context.close();
});

test("in the dark, the owner edits the server and deletes it, typing its name to confirm", async () => {
  fixture.server.user("zoe");
  const made = await serverOf("zoe", { name: "Old name" });
  const { page, context, problems } = await loggedIn(fixture, "zoe", `/servers/${made.id}/settings`, { dark: true });
  assert.deepEqual(await axeViolations(page), []);
  await page.getByLabel("Server name").fill("New name");
  await page.getByLabel("Banner").setInputFiles(pngFile([30, 120, 200], 64));
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("heading", { name: "New name: settings" }).waitFor();
  await page.getByRole("navigation", { name: "Servers" }).getByRole("link", { name: "New name" }).waitFor();

  await page.getByRole("tab", { name: "Delete server" }).click();
  await page.getByRole("button", { name: "Delete New name…" }).click();
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "server-delete-dark");
  const confirm = page.getByRole("dialog", { name: "Delete New name?" });
  assert.equal(await confirm.getByRole("button", { name: "Delete server" }).isDisabled(), true);
  await confirm.getByLabel("Type New name to confirm").fill("New name");
  await confirm.getByRole("button", { name: "Delete server" }).click();
  await page.getByText("You are not in any server yet").waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test("on a phone: Explore and a server preview fit the screen", async () => {
  fixture.server.user("phoebe");
  const made = await serverOf("phoebe", { name: "Pocket server", description: "Seen on a small screen" });
  fixture.server.user("tiny");
  const { page, context, problems } = await loggedIn(fixture, "tiny", "/explore", { phone: true });
  await page.getByRole("article", { name: "Pocket server" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), true);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "explore-phone");
  await page.goto(`${fixture.server.url}/servers/${made.id}`);
  await page.getByRole("button", { name: "Join Pocket server" }).waitFor();
  await page.getByRole("button", { name: "Open the server list" }).click();
  await page.getByRole("navigation", { name: "Servers" }).getByRole("button", { name: "Create a server" }).click();
  await page.getByRole("dialog", { name: "Create a server" }).getByLabel("Server name").waitFor();
  assert.deepEqual(await axeViolations(page), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test("Explore shows 100 servers at a time and the next ones on request (Link: rel=next)", async () => {
  fixture.server.user("pager");
  const api = await apiAs(fixture.server, "pager");
  for (let n = 0; n <= 100; n++) {
    await api("POST", "/api/servers/", { category: 1, name: `Paged ${String(n).padStart(3, "0")}` });
  }
  const { page, context, problems } = await loggedIn(fixture, "pager", "/explore");
  await page.getByLabel("Search servers by name").fill("paged");
  const cards = page.getByRole("article", { name: /^Paged / });
  await page.getByRole("article", { name: "Paged 099" }).waitFor();
  assert.equal(await cards.count(), 100);
  await page.getByRole("button", { name: "Show more servers" }).click();
  await page.getByRole("article", { name: "Paged 100" }).waitFor();
  assert.equal(await cards.count(), 101);
  assert.equal(await page.getByRole("button", { name: "Show more servers" }).count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});
