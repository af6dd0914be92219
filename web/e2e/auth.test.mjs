// Accounts in the browser: sign up, follow the e-mailed link, log in, stay logged in across a
// reload, log out, reset a forgotten password; and the API's errors shown next to their fields.
import { test } from "node:test";
import assert from "node:assert/strict";
import { person, logIn, axeViolations, screenshot, PASSWORD, setup } from "./harness.mjs";


const fixture = setup();

test("a newcomer signs up, follows the e-mailed link, logs in and stays logged in", async () => {
  const { page, context, problems } = await person(fixture.browser, fixture.server.url);
  await page.waitForURL(/\/login$/);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "login");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Username").fill("newcomer");
  await page.getByLabel("E-mail", { exact: true }).fill("newcomer@example.com");
  await page.getByLabel("E-mail again").fill("newcomer@example.com");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Check your e-mail").waitFor();

  const link = await fixture.server.linkInMail("newcomer@example.com", "verify_email");
  await page.goto(link);
  await page.waitForURL(/\/login$/);
  await logIn(page, "newcomer");
  await page.getByText("You are not in any server yet").waitFor();
  await page.reload();
  await page.getByText("You are not in any server yet").waitFor();
  assert.deepEqual(await axeViolations(page), []);

  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/login$/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the API's errors are shown next to the fields that caused them", async () => {
  fixture.server.user("taken");
  const { page, context } = await person(fixture.browser, `${fixture.server.url}/signup`);
  await page.getByLabel("Username").fill("Taken");
  await page.getByLabel("E-mail", { exact: true }).fill("other@example.com");
  await page.getByLabel("E-mail again").fill("other@example.com");
  await page.getByLabel("Password").fill("12345678");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("This password is entirely numeric.").waitFor();
  assert.equal(await page.getByLabel("Password").getAttribute("aria-invalid"), "true");

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("A user with that username already exists.").waitFor();
  assert.equal(await page.getByLabel("Username").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Password").getAttribute("aria-invalid"), null);

  await page.getByLabel("Username").fill("someone");
  await page.getByLabel("E-mail again").fill("different@example.com");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("alert").filter({ hasText: "Emails must match." }).waitFor();
  await screenshot(page, "signup-errors");

  await page.goto(`${fixture.server.url}/login`);
  await page.getByLabel("Username").fill("taken");
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: "No active account found with the given credentials" }).waitFor();
  await context.close();
});

test("a forgotten password is reset from the e-mailed link", async () => {
  fixture.server.user("forgetful");
  const { page, context } = await person(fixture.browser, `${fixture.server.url}/login`);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("E-mail").fill("forgetful@example.com");
  await page.getByRole("button", { name: "Send the link" }).click();
  await page.getByRole("status").filter({ hasText: /link|e-mail|email/i }).first().waitFor();

  const link = await fixture.server.linkInMail("forgetful@example.com", "/app/reset/");
  await page.goto(link);
  const fresh = "another horse battery staple";
  await page.getByLabel("New password", { exact: true }).fill(fresh);
  await page.getByLabel("New password again").fill("a mismatch");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await page.getByRole("alert").filter({ hasText: "Passwords do not match." }).waitFor();
  await page.getByLabel("New password again").fill(fresh);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await page.waitForURL(/\/login\?reset=1$/);
  await page.getByLabel("Username").fill("forgetful");
  await page.getByLabel("Password").fill(fresh);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("You are not in any server yet").waitFor();
  await context.close();
});

test("a deep link asks for a login first and then opens", async () => {
  fixture.server.user("deeplinker");
  const { page, context } = await person(fixture.browser, `${fixture.server.url}/explore`);
  await page.waitForURL(/\/login\?next=%2Fexplore$/);
  await logIn(page, "deeplinker");
  await page.waitForURL(/\/explore$/);
  await context.close();
});
