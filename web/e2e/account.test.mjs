// A person's own account and staff administration in the browser: editing the profile with an
// avatar, the sessions where one is logged in (logging out everywhere else), deleting the account,
// and (staff) categories and deactivating / reactivating accounts. The screenshots
// `account-settings`, `account-sessions` and `admin` are saved; axe and the page's problems checked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { person, logIn, axeViolations, screenshot, pngFile, apiAs, PASSWORD, setup, loggedIn } from "./harness.mjs";


const fixture = setup();


test("a person edits their profile, avatar included, and the API's errors sit under their fields", async () => {
  fixture.server.user("amelie");
  const { page, context, problems } = await loggedIn(fixture, "amelie", "/settings");
  await page.getByLabel("Display name").fill("   ");
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.getByText("This field may not be blank.").waitFor();
  assert.equal(await page.getByLabel("Display name").getAttribute("aria-invalid"), "true");

  await page.getByLabel("Display name").fill("Amélie P.");
  await page.getByLabel("About you").fill("Plays the cello.");
  await page.getByLabel("Location").fill("Lyon");
  await page.getByLabel("Avatar").setInputFiles(pngFile([40, 160, 90]));
  await page.getByRole("img", { name: "Avatar: preview" }).waitFor();
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.getByText("Profile saved.").waitFor();
  const panel = page.locator(".user-panel");
  await panel.getByText("Amélie P.").waitFor();
  assert.match((await panel.locator("img").getAttribute("src")) ?? "", /\/media\/avatars\//);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "account-settings");

  await page.reload();
  assert.equal(await page.getByLabel("Display name").inputValue(), "Amélie P.");
  assert.equal(await page.getByLabel("About you").inputValue(), "Plays the cello.");
  assert.equal(await page.getByLabel("Location").inputValue(), "Lyon");
  assert.deepEqual(problems, []);
  await context.close();
});

test("on a phone, in the dark: the account settings fit the screen", async () => {
  fixture.server.user("pocket");
  const { page, context, problems } = await loggedIn(fixture, "pocket", "/settings", { phone: true, dark: true });
  await page.getByLabel("Display name").waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), true);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "account-settings-phone");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a person deletes their account after typing its login name, and is logged out", async () => {
  fixture.server.user("leaving");
  const { page, context, problems } = await loggedIn(fixture, "leaving", "/settings");
  await page.getByRole("button", { name: "Delete my account…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete your account?" });
  await dialog.getByLabel("Type leaving to confirm").fill("leavin");
  assert.equal(await dialog.getByRole("button", { name: "Delete my account" }).isDisabled(), true);
  await dialog.getByLabel("Type leaving to confirm").fill("leaving");
  await dialog.getByRole("button", { name: "Delete my account" }).click();
  await page.waitForURL(/\/login/);
  await logIn(page, "leaving");
  await page.getByRole("alert").filter({ hasText: "No active account found with the given credentials" }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test("a person sees where they are logged in and logs out everywhere else: the other browser is logged out at once", async () => {
  fixture.server.user("nomad");
  const android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
  const phone = await loggedIn(fixture, "nomad", "/settings", { phone: true, userAgent: android });
  const laptop = await loggedIn(fixture, "nomad", "/settings");
  const rows = laptop.page.locator(".session-row");
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  // The newest first: the laptop's own login, marked as this device.
  assert.match((await rows.nth(0).textContent()) ?? "", /Chrome on Linux\s*This device.*Active now · 127\.0\.0\.1 · logged in/s);
  assert.match((await rows.nth(1).textContent()) ?? "", /Chrome on Android.*Last active just now · 127\.0\.0\.1/s);
  assert.equal(await laptop.page.getByText("This device").count(), 1);
  assert.deepEqual(await axeViolations(laptop.page), []);
  await laptop.page.locator("#sessions-title").evaluate((e) => e.scrollIntoView({ block: "start" }));
  await screenshot(laptop.page, "account-sessions");
  await phone.page.reload();
  await phone.page.locator(".session-row").nth(1).waitFor();
  await phone.page.locator("#sessions-title").evaluate((e) => e.scrollIntoView({ block: "start" }));
  await screenshot(phone.page, "account-sessions-phone");

  await laptop.page.getByRole("button", { name: "Log out everywhere else" }).click();
  await laptop.page.getByText("Your other session was logged out.").waitFor();
  await rows.nth(1).waitFor({ state: "detached" });
  assert.equal(await rows.count(), 1);
  // The phone's gateway is closed with 4004 at once: it is back at the login screen.
  await phone.page.waitForURL(/\/login/);
  await phone.page.getByText("Your session has ended. Log in again.").waitFor();

  // Logging this device out from the list ends the session on the server too.
  const token = await laptop.page.evaluate(() => JSON.parse(localStorage.getItem("pingme.session") ?? "null")?.access);
  await laptop.page.getByRole("button", { name: "Log out of this device" }).click();
  await laptop.page.waitForURL(/\/login/);
  // Logged out on purpose: not told that the session ended, as when logged out elsewhere.
  await laptop.page.waitForTimeout(500);
  assert.equal(await laptop.page.getByText("Your session has ended. Log in again.").count(), 0);
  const refused = await fetch(`${fixture.server.url}/api/account/me/`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(refused.status, 401);
  assert.deepEqual(laptop.problems, []);
  assert.deepEqual(phone.problems, []);
  await laptop.context.close();
  await phone.context.close();
});

test("someone who is not staff is told administration is for staff", async () => {
  fixture.server.user("plain");
  const { page, context, problems } = await loggedIn(fixture, "plain", "/admin");
  await page.getByText("Only staff can administer pingme.").waitFor();
  assert.equal(await page.getByRole("link", { name: "Administration" }).count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("staff create, edit and delete a category (me.is_staff)", async () => {
  fixture.server.user("root", { staff: true });
  const { page, context, problems } = await loggedIn(fixture, "root", "/admin");
  await page.getByRole("tab", { name: "Categories" }).waitFor();
  await page.getByRole("button", { name: "Create category" }).click();
  let dialog = page.getByRole("dialog", { name: "Create a category" });
  await dialog.getByLabel("Category name").fill("Gaming");
  await dialog.getByRole("button", { name: "Create category" }).click();
  await dialog.getByText("A category with that name already exists.").waitFor();
  await dialog.getByLabel("Category name").fill("Cooking");
  await dialog.getByLabel("Description").fill("Recipes and kitchens");
  await dialog.getByLabel("Icon").setInputFiles(pngFile([250, 180, 20]));
  await dialog.getByRole("button", { name: "Create category" }).click();
  await page.getByText("Recipes and kitchens").waitFor();
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "admin");

  await page.getByRole("button", { name: "Edit the category cooking" }).click();
  dialog = page.getByRole("dialog", { name: "Edit cooking" });
  await dialog.getByLabel("Category name").fill("Baking");
  await dialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("button", { name: "Edit the category baking" }).waitFor();

  // Explore offers it at once.
  await page.goto(`${fixture.server.url}/explore`);
  await page.getByRole("button", { name: "Baking" }).waitFor();
  await page.goto(`${fixture.server.url}/admin`);

  // One in use cannot be deleted, and the dialog says why.
  const api = await apiAs(fixture.server, "root");
  const baking = (await api("GET", "/api/categories/")).find((/** @type {any} */ c) => c.name === "baking");
  const used = await api("POST", "/api/servers/", { name: "Bread", category: baking.id });
  await page.getByRole("button", { name: "Delete the category baking" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete the category baking?" });
  await confirm.getByRole("button", { name: "Delete category" }).click();
  await confirm.getByRole("alert").filter({ hasText: "This category is used by 1 server(s); move or delete them first." }).waitFor();
  await api("DELETE", `/api/servers/${used.id}/`);
  await confirm.getByRole("button", { name: "Delete category" }).click();
  await page.getByRole("button", { name: "Delete the category baking" }).waitFor({ state: "detached" });
  assert.deepEqual(problems, []);
  await context.close();
});

test("staff deactivate an account, whose open page goes to the login at once, and reactivate it (GET /api/admin/accounts/)", async () => {
  fixture.server.user("boss", { staff: true });
  fixture.server.user("troublemaker");
  const target = await loggedIn(fixture, "troublemaker", "/settings");
  const staff = await loggedIn(fixture, "boss", "/admin");
  await staff.page.getByRole("tab", { name: "Accounts" }).click();
  await staff.page.getByLabel("Search accounts").fill("trouble");
  await staff.page.getByRole("button", { name: "Search" }).click();
  // The first answer (every account) may still be shown: the search's replaces it.
  await staff.page.getByText("boss@example.com").waitFor({ state: "detached" });
  await staff.page.getByText("troublemaker@example.com").waitFor();
  await staff.page.getByRole("button", { name: "Deactivate @troublemaker" }).click();
  await staff.page.getByRole("dialog", { name: "Deactivate @troublemaker?" }).getByRole("button", { name: "Deactivate" }).click();
  await staff.page.getByText("Deactivated").waitFor();

  // Its gateway is closed (4004): the page logs out by itself.
  await target.page.waitForURL(/\/login/);
  await logIn(target.page, "troublemaker");
  await target.page.getByRole("alert").filter({ hasText: "No active account found" }).waitFor();

  await staff.page.getByRole("button", { name: "Reactivate @troublemaker" }).click();
  await staff.page.getByRole("dialog", { name: "Reactivate @troublemaker?" }).getByRole("button", { name: "Reactivate" }).click();
  await staff.page.getByRole("button", { name: "Deactivate @troublemaker" }).waitFor();
  await target.page.getByLabel("Password").fill(PASSWORD);
  await target.page.getByRole("button", { name: "Log in" }).click();
  await target.page.waitForURL((url) => !url.pathname.startsWith("/login"));
  assert.deepEqual(staff.problems, []);
  await staff.context.close();
  await target.context.close();
});
