import { test } from "node:test";
import assert from "node:assert/strict";
import { candidates, pieces, plainText, typedMention, withMentions } from "../app/chat/mentions.js";

test("a text's mentions are the ids the server reads", () => {
  assert.deepEqual(pieces("hi <@7> and <@12>!"), ["hi ", { id: 7 }, " and ", { id: 12 }, "!"]);
  assert.deepEqual(pieces("<@007> <@x> <@ 5> plain"), ["<@007> <@x> <@ 5> plain"]);
  assert.deepEqual(pieces("<@3><@4>"), [{ id: 3 }, { id: 4 }]);
  const names = (/** @type {number} */ id) => (id === 7 ? "Ann" : null);
  assert.equal(plainText("hi <@7>, <@8>", names), "hi @Ann, @unknown-user");
});

test("the @word before the caret is what is being completed", () => {
  assert.deepEqual(typedMention("hello @an", 9), { start: 6, query: "an" });
  assert.deepEqual(typedMention("@", 1), { start: 0, query: "" });
  assert.equal(typedMention("mail@an", 7), null, "not inside a word");
  assert.equal(typedMention("@ann is here", 12), null, "not after a space");
  assert.deepEqual(typedMention("@ann is here", 4), { start: 0, query: "ann" });
});

test("members are offered by display name, then login, then anywhere in either", () => {
  const people = [
    { id: 1, username: "Bob", owner: "annie", image_url: null },
    { id: 2, username: "Anna", owner: "zed", image_url: null },
    { id: 3, username: "Joanne", owner: "jo", image_url: null },
    { id: null, username: "Deleted User", owner: null, image_url: null },
  ];
  assert.deepEqual(candidates(people, "an").map((m) => m.id), [2, 1, 3]);
  assert.deepEqual(candidates(people, "").map((m) => m.id), [2, 1, 3]);
  assert.equal(candidates(people, "x").length, 0);
});

test("picked names are sent as ids, only where they stand as words", () => {
  const picked = new Map([["Ann", 7], ["Ann Lee", 9]]);
  assert.equal(withMentions("@Ann Lee and @Ann, hi", picked), "<@9> and <@7>, hi");
  assert.equal(withMentions("mail@Ann @Annex @Ann", picked), "mail@Ann @Annex <@7>");
  assert.equal(withMentions("@Bob", picked), "@Bob", "a name never picked stays text");
});
