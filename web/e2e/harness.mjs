// What the browser tests stand on: a real pingme server (the binary named by PINGME_BIN, on its own
// data directory and SQLite file, its e-mails in the development outbox), a real Chromium (named by
// PINGME_TEST_CHROMIUM) driven by Playwright's library, axe-core, and screenshots saved where CI
// keeps them (PINGME_SCREENSHOTS, default web/e2e/screenshots/).
//
// Run by `cargo test -p pingme --test e2e web_client -- --include-ignored`, which sets PINGME_BIN;
// or by hand: PINGME_BIN=target/debug/pingme PINGME_TEST_CHROMIUM=/usr/bin/chromium node --test web/e2e/
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
export const PASSWORD = "correct horse battery staple";
/** How long the page may take to reach a state a test waits for. */
export const WAIT = 15_000;

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`the browser tests need ${name}`);
  return value;
}

/**
 * A pingme server in a process of its own.
 */
export class Server {
  /**
   * @param {Record<string, string>} [env]
   * @param {{services?: boolean}} [options] services: keep DATABASE_URL and REDIS_URL of `env`
   */
  constructor(env = {}, options = {}) {
    this.binary = required("PINGME_BIN");
    this.dataDir = mkdtempSync(join(tmpdir(), "pingme-web-e2e-"));
    /** @type {Record<string, string|undefined>} */
    this.env = {
      ...process.env,
      PINGME_DATA_DIR: this.dataDir,
      PINGME_BIND: "127.0.0.1:0",
      SECRET_KEY: "browser-tests-secret-0123456789-abcdefghij",
      PINGME_RATE_LIMITS: "off",
      RUST_LOG: "warn",
      ...env,
    };
    if (!options.services) {
      delete this.env.DATABASE_URL;
      delete this.env.REDIS_URL;
    }
    delete this.env.CLIENT_ORIGIN;
    /** @type {import("node:child_process").ChildProcess|null} */
    this.process = null;
    this.url = "";
  }

  /** Starts it (again, on the same address once it has one). */
  async start() {
    if (this.url) this.env.PINGME_BIND = this.url.replace("http://", "");
    const child = spawn(this.binary, ["serve"], { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.process = child;
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
      if (process.env.PINGME_E2E_LOGS) process.stderr.write(chunk);
    });
    this.url = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`pingme did not start: ${stderr}`)), WAIT);
      child.stdout?.on("data", (chunk) => {
        out += chunk;
        const found = out.match(/listening on (http:\/\/\S+)/);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
      child.on("exit", (code) => reject(new Error(`pingme exited (${code}): ${stderr}`)));
    });
    return this;
  }

  /** Stops it as SIGTERM does, and waits for it to exit. */
  async stop() {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    this.process = null;
  }

  /** Kills it (SIGKILL: no goodbye to anyone), and waits for it to be gone. */
  async kill() {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.process = null;
  }

  /** Stops it and deletes its data. */
  async dispose() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /**
   * Runs `pingme admin …` on the same database.
   * @param {string[]} args
   * @param {string} [input] standard input (a password)
   */
  admin(args, input = "") {
    return execFileSync(this.binary, ["admin", ...args], { env: this.env, input, encoding: "utf8" });
  }

  /**
   * An account that can log in at once (made with the CLI, no e-mail round trip).
   * @param {string} login
   * @param {{staff?: boolean}} [options]
   */
  user(login, options = {}) {
    const args = ["create-user", "--username", login, "--email", `${login}@example.com`, "--verified"];
    if (options.staff) args.push("--staff");
    this.admin(args, `${PASSWORD}\n`);
    return login;
  }

  /**
   * The first link in the newest e-mail to `to` that contains `part`, waiting for it.
   * @param {string} to
   * @param {string} part
   */
  async linkInMail(to, part) {
    const outbox = join(this.dataDir, "outbox");
    const deadline = Date.now() + WAIT;
    while (Date.now() < deadline) {
      const mails = safeList(outbox)
        .filter((n) => n.endsWith(".eml"))
        .map((n) => decodeMail(readFileSync(join(outbox, n), "utf8")))
        .filter((m) => m.includes(to));
      for (const mail of mails.reverse()) {
        const link = mail.match(/https?:\/\/[^\s"<>]+/g)?.find((l) => l.includes(part));
        if (link) return link;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no e-mail to ${to} with a link to ${part}`);
  }
}

/** @param {string} dir */
function safeList(dir) {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Undoes quoted-printable soft breaks and escapes. @param {string} raw */
function decodeMail(raw) {
  return raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/** Chromium from the distribution, headless. */
export async function launch() {
  return chromium.launch({
    executablePath: required("PINGME_TEST_CHROMIUM"),
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

/**
 * A person in a browser context of their own (their own storage, as a separate browser would
 * have), looking at `url`.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 * @param {{phone?: boolean, dark?: boolean, userAgent?: string}} [options]
 */
export async function person(browser, url, options = {}) {
  const context = await browser.newContext({
    userAgent: options.userAgent,
    viewport: options.phone ? { width: 360, height: 740 } : { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    hasTouch: options.phone ?? false,
    isMobile: options.phone ?? false,
    colorScheme: options.dark ? "dark" : "light",
    reducedMotion: "reduce",
  });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  /** @type {string[]} */
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return { context, page, problems };
}

/**
 * Logs in through the login form.
 * @param {import("playwright-core").Page} page
 * @param {string} login
 */
export async function logIn(page, login) {
  await page.getByLabel("Username").fill(login);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
}

/**
 * The serious and critical axe-core violations of the page as it is now.
 * axe is evaluated over the DevTools protocol, which the page's policy does not govern (it
 * forbids inline scripts, so it could not be added as one).
 * @param {import("playwright-core").Page} page
 */
export async function axeViolations(page) {
  const source = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  await page.evaluate(source);
  /** @type {any[]} */
  const violations = await page.evaluate(async () => {
    // @ts-ignore axe is what the source above defined
    // No preload: axe would copy the page's style sheets into inline <style> elements, which the
    // page's policy refuses (and reports on the console, where the tests look for problems).
    const result = await window.axe.run(document, { resultTypes: ["violations"], preload: false });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((/** @type {any} */ n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}

/**
 * Saves a screenshot for CI's artefacts and the docs.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  const dir = process.env.PINGME_SCREENSHOTS || join(here, "screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

/**
 * A small valid PNG of one colour, written to a temporary file for `setInputFiles`.
 * @param {[number, number, number]} rgb
 * @param {number} [size] pixels on a side
 * @returns {string} its path
 */
export function pngFile(rgb, size = 16) {
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3).map((_, i) => rgb[i % 3])]);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, no interlace
  const png = Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(Array.from({ length: size }, () => row)))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  const path = join(mkdtempSync(join(tmpdir(), "pingme-web-png-")), "image.png");
  writeFileSync(path, png);
  return path;
}

/** A PNG chunk: length, type, data, CRC-32 of type and data. @param {string} type @param {Buffer} data */
function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** @param {Buffer} bytes */
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * An access token of `login` (password PASSWORD), from the API.
 * @param {Server} server @param {string} login
 * @returns {Promise<string>}
 */
export async function tokenOf(server, login) {
  const response = await fetch(`${server.url}/api/token/`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: login, password: PASSWORD }),
  });
  if (!response.ok) throw new Error(`logging ${login} in: ${response.status}`);
  return (await response.json()).access;
}

/**
 * Calls the API as `login` (for setting the scene faster than through the screens).
 * @param {Server} server
 * @param {string} login
 */
export async function apiAs(server, login) {
  const access = await tokenOf(server, login);
  /**
   * @param {string} method @param {string} path @param {any} [json]
   * @returns {Promise<any>}
   */
  return async (method, path, json) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${access}`, ...(json ? { "Content-Type": "application/json" } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/**
 * A server and a browser for the tests of one file: started before them, stopped after.
 * Read `fixture.server` and `fixture.browser` inside the tests.
 * @param {(fixture: {server: Server, browser: import("playwright-core").Browser}) => Promise<void>|void} [prepare]
 *   what the file needs on the server before its tests (accounts, servers)
 */
export function setup(prepare) {
  const fixture = /** @type {{server: Server, browser: import("playwright-core").Browser}} */ ({});
  before(async () => {
    fixture.server = await new Server().start();
    fixture.browser = await launch();
    await prepare?.(fixture);
  });
  after(async () => {
    await fixture.browser?.close();
    await fixture.server?.dispose();
  });
  return fixture;
}

/**
 * Someone logged in through the login form, looking at `path`.
 * @param {{server: Server, browser: import("playwright-core").Browser}} fixture
 * @param {string} login @param {string} path @param {{phone?: boolean, dark?: boolean, userAgent?: string}} [options]
 */
export async function loggedIn(fixture, login, path, options) {
  const who = await person(fixture.browser, `${fixture.server.url}${path}`, options);
  await logIn(who.page, login);
  await who.page.waitForURL((url) => url.pathname === path);
  return who;
}
