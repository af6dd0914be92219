import { test } from "node:test";
import assert from "node:assert/strict";
import {
  isOwner,
  isMember,
  serverPermissions,
  inviteLink,
  serverLink,
  inviteBody,
  inviteLimits,
  membersText,
  groupByCategory,
  categoryLabel,
  toFormData,
} from "../app/lib/community.js";

const server = { id: 3, owner_id: 7, is_private: false };

test("owners and members", () => {
  assert.equal(isOwner(server, { id: 7 }), true);
  assert.equal(isOwner(server, { id: 8 }), false);
  assert.equal(isOwner(null, { id: 7 }), false);
  assert.equal(isOwner(server, null), false);
  assert.equal(isMember([{ id: 1 }, { id: 3 }], 3), true);
  assert.equal(isMember([{ id: 1 }], 3), false);
  assert.equal(isMember(null, 3), false);
});

test("the server menu offers what the API allows", () => {
  assert.deepEqual(serverPermissions(server, { id: 7 }), { invite: true, share: false, manage: true, leave: false });
  assert.deepEqual(serverPermissions(server, { id: 8 }), { invite: false, share: true, manage: false, leave: true });
  assert.deepEqual(serverPermissions({ ...server, is_private: true }, { id: 8 }), { invite: false, share: false, manage: false, leave: true });
});

test("links to pass on", () => {
  assert.equal(inviteLink("https://chat.example", "Ab3dE5gH9k"), "https://chat.example/invite/Ab3dE5gH9k");
  assert.equal(inviteLink("http://127.0.0.1:8000", "a/b"), "http://127.0.0.1:8000/invite/a%2Fb");
  assert.equal(serverLink("https://chat.example", 3), "https://chat.example/servers/3");
});

test("an invite's limits: empty choices are left out of the body", () => {
  assert.deepEqual(inviteBody("3600", "5"), { expires_in: 3600, max_uses: 5 });
  assert.deepEqual(inviteBody("", ""), {});
  assert.deepEqual(inviteBody("2592000", ""), { expires_in: 2592000 });
});

test("an invite's limits in words", () => {
  const date = (/** @type {string} */ iso) => `<${iso}>`;
  assert.equal(inviteLimits({ uses: 2, max_uses: 5, expires_at: "T" }, date), "2 of 5 uses · expires <T>");
  assert.equal(inviteLimits({ uses: 1, max_uses: null, expires_at: null }, date), "1 use · never expires");
  assert.equal(inviteLimits({ uses: 0, max_uses: null, expires_at: null }, date), "0 uses · never expires");
});

test("member counts", () => {
  assert.equal(membersText(1), "1 member");
  assert.equal(membersText(0), "0 members");
  assert.equal(membersText(12), "12 members");
  assert.equal(membersText(undefined), "");
});

test("servers grouped by category, in the categories' order, unknown ones last, empty ones out", () => {
  const servers = [
    { id: 1, category_name: "music" },
    { id: 2, category_name: "gaming" },
    { id: 3, category_name: "music" },
    { id: 4, category_name: "retired" },
  ];
  const categories = [{ name: "education" }, { name: "gaming" }, { name: "music" }];
  assert.deepEqual(groupByCategory(servers, categories), [
    { category: "gaming", servers: [servers[1]] },
    { category: "music", servers: [servers[0], servers[2]] },
    { category: "retired", servers: [servers[3]] },
  ]);
  assert.deepEqual(groupByCategory([], categories), []);
});

test("category names as headings", () => {
  assert.equal(categoryLabel("gaming"), "Gaming");
  assert.equal(categoryLabel("été"), "Été");
  assert.equal(categoryLabel(""), "");
});

test("form values become the multipart body the API reads", async () => {
  const icon = new Blob([new Uint8Array([137, 80, 78, 71])], { type: "image/png" });
  const form = toFormData({ name: "  Book club ", category: "2", description: "", is_private: true, server_icon: icon, banner_image: null, skipped: undefined, n: 5 });
  assert.deepEqual([...form.keys()], ["name", "category", "description", "is_private", "server_icon", "n"]);
  assert.equal(form.get("name"), "Book club");
  assert.equal(form.get("description"), "");
  assert.equal(form.get("is_private"), "true");
  assert.equal(form.get("n"), "5");
  const file = /** @type {Blob} */ (form.get("server_icon"));
  assert.equal(file.size, 4);
  assert.equal(toFormData({ is_private: false }).get("is_private"), "false");
});
