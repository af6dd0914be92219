// A benchmark, not a test: how long switching to a channel takes in Chromium until its latest
// message is on screen, for a channel of 1,000,000 messages beside one of 60 (the same run, the
// same machine: the small channel is the floor the big one is compared with); then how many
// messages the page holds at most while scrolling back through 10,000 of them.
//
//   PINGME_BIN=target/release/pingme PINGME_TEST_CHROMIUM=/usr/bin/chromium node web/e2e/bench-switch.mjs [messages]
//
// The big channel is filled straight in the SQLite file while the server is stopped (python3's
// sqlite3 module), then the server is started again; the client knows nothing of how.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Server, launch, person, logIn } from "./harness.mjs";

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = 15;
const SCROLL_BACK = 10_000;

/** @param {string} url @param {string} path @param {string} token @param {any} body */
async function post(url, path, token, body) {
  const response = await fetch(url + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Fills a channel with `count` messages by `author`, ids ascending, a second apart. */
function fill(/** @type {string} */ database, /** @type {number} */ channel, /** @type {number} */ author, /** @type {number} */ count) {
  const script = `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
channel, author, count = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
unit = db.execute("select created_at from messages order by id desc limit 1").fetchone()
start = unit[0] if unit else int(time.time() * 1_000_000)
step = 1_000_000 if start > 10**14 else 1
base = start - count * step
rows = ((channel, author, f"message #{i + 1} of {count}", base + i * step, base + i * step) for i in range(count))
db.executemany("insert into messages (channel_id, author_id, content, created_at, updated_at) values (?, ?, ?, ?, ?)", rows)
db.commit()
`;
  execFileSync("python3", ["-c", script, database, String(channel), String(author), String(count)], { stdio: "inherit" });
}

/**
 * Milliseconds from a click on the channel's link until `text` is on screen, measured in the page.
 * @param {import("playwright-core").Page} page @param {string} name @param {string} text
 */
function switchTo(page, name, text) {
  return page.evaluate(
    ([name, text]) =>
      new Promise((resolve) => {
        const link = [...document.querySelectorAll("a.channel")].find((a) => a.textContent?.includes(name));
        const start = performance.now();
        const done = () => {
          if (document.querySelector(".messages, [role=log]")?.textContent?.includes(text)) {
            observer.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - start));
            return true;
          }
          return false;
        };
        const observer = new MutationObserver(done);
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
        /** @type {HTMLElement} */ (link).click();
      }),
    [name, text],
  );
}

/**
 * Scrolls the message list to its top again and again until the first message shown is
 * `back` messages before the newest; the most messages the page held at once on the way.
 * @param {import("playwright-core").Page} page @param {number} total @param {number} back
 */
function scrollBack(page, total, back) {
  return page.evaluate(
    ([total, back]) =>
      new Promise((resolve) => {
        const log = /** @type {HTMLElement} */ (document.querySelector("[role=log]"));
        const first = () => Number(log.querySelector("article")?.textContent?.match(/message #(\d+) of/)?.[1] ?? total);
        let most = 0;
        const started = performance.now();
        const step = () => {
          most = Math.max(most, log.querySelectorAll("article").length);
          if (first() <= total - back) return resolve({ most, seconds: (performance.now() - started) / 1000 });
          log.scrollTop = 0;
          setTimeout(step, 50);
        };
        step();
      }),
    [total, back],
  );
}

/** @param {number[]} xs */
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

const server = await new Server().start();
try {
  server.user("bencher");
  const { access } = await post(server.url, "/api/token/", "", { username: "bencher", password: "correct horse battery staple" });
  const categories = await (await fetch(`${server.url}/api/categories/`)).json();
  const created = await post(server.url, "/api/servers/", access, { name: "bench", category: categories[0].id });
  const small = created.channel_server[0];
  const big = await post(server.url, "/api/channels/", access, { name: "big", server: created.id });
  await server.stop();
  const database = join(server.dataDir, "pingme.sqlite3");
  const started = Date.now();
  fill(database, small.id, created.owner_id, 60);
  fill(database, big.id, created.owner_id, TOTAL);
  console.log(`filled ${TOTAL} messages in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await server.start();

  const browser = await launch();
  const { page } = await person(browser, `${server.url}/login`);
  await logIn(page, "bencher");
  await page.getByText("message #60 of 60").waitFor();
  /** @type {{small: number[], big: number[]}} */
  const times = { small: [], big: [] };
  for (let round = 0; round < ROUNDS; round++) {
    times.big.push(await switchTo(page, "big", `message #${TOTAL} of ${TOTAL}`));
    times.small.push(await switchTo(page, "general", "message #60 of 60"));
  }
  const rows = Object.entries(times).map(([name, xs]) => `${name}: median ${quantile(xs, 0.5).toFixed(0)} ms, p90 ${quantile(xs, 0.9).toFixed(0)} ms`);
  console.log(`switching channels, ${ROUNDS} rounds (the page's clock, click to latest message painted)\n${rows.join("\n")}`);
  await switchTo(page, "big", `message #${TOTAL} of ${TOTAL}`);
  const back = await scrollBack(page, TOTAL, Math.min(SCROLL_BACK, TOTAL - 1));
  console.log(`scrolled back through ${SCROLL_BACK} messages in ${back.seconds.toFixed(0)} s; the page held ${back.most} messages at most`);
  await browser.close();
} finally {
  await server.dispose();
}
