// Every REST call of the client goes through here: the base path, JSON and multipart bodies, the
// access token (refreshed when it is about to expire, or once after a 401), and errors turned
// into ApiError with words for the person.
import { ApiError } from "./errors.js";
import { Session, fresh } from "./session.js";

/** The most pages `all` reads of one listing (100 items each). */
const MAX_PAGES = 1000;

/**
 * @typedef {object} RequestOptions
 * @property {any} [json] A JSON body.
 * @property {FormData} [form] A multipart body (files).
 * @property {boolean} [auth] Send the access token (default true when logged in).
 * @property {AbortSignal} [signal]
 */

/** @typedef {{request: (name: string, run: () => Promise<any>) => Promise<any>}} Locks */
/** @typedef {import("./session.js").Tokens} Tokens */

/** The server's word for a refresh token another tab has just used (see `renewNow`). */
const REPLACED = "Token was replaced by a newer one";

export class Api {
  /**
   * @param {Session} session
   * @param {typeof fetch} [fetcher]
   * @param {() => number} [clock] seconds since the epoch
   * @param {Locks|undefined} [locks] what keeps the browser's tabs from refreshing at once
   *   (the Web Locks API where there is one)
   */
  constructor(
    session,
    fetcher = (input, init) => fetch(input, init),
    clock = () => Date.now() / 1000,
    locks = globalThis.navigator?.locks,
  ) {
    this.session = session;
    this.fetch = fetcher;
    this.clock = clock;
    this.locks = locks;
    /** @type {(ms: number) => Promise<void>} */
    this.pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    /** @type {Promise<string|null>|null} */
    this.refreshing = null;
  }

  /**
   * @param {string} method
   * @param {string} path e.g. "/api/servers/"
   * @param {RequestOptions} [options]
   */
  async request(method, path, options = {}) {
    return read(await this.exchange(method, path, options));
  }

  /**
   * One page of a listing, and the path of the next one (its `Link: <…>; rel="next"`), null
   * on the last.
   * @param {string} path
   * @param {RequestOptions} [options]
   * @returns {Promise<{items: any[], next: string|null}>}
   */
  async page(path, options = {}) {
    const response = await this.exchange("GET", path, options);
    const items = await read(response);
    return { items, next: nextLink(response.headers.get("Link")) };
  }

  /**
   * Every page of a listing, one after another.
   * @param {string} path
   * @param {RequestOptions} [options]
   */
  async all(path, options = {}) {
    /** @type {any[]} */
    const items = [];
    const visited = new Set();
    /** @type {string|null} */
    let next = path;
    // A link back to a page already read (a faulty server or proxy) ends the walk; so does
    // a listing longer than any real one, with what was read so far.
    while (next && !visited.has(next) && visited.size < MAX_PAGES) {
      visited.add(next);
      const page = await this.page(next, options);
      items.push(...page.items);
      next = page.next;
    }
    return items;
  }

  /**
   * The answer to a request, sent once more with a refreshed token after a 401.
   * @param {string} method @param {string} path @param {RequestOptions} options
   */
  async exchange(method, path, options) {
    const auth = options.auth ?? this.session.tokens !== null;
    let token = auth ? await this.accessToken() : null;
    let response = await this.send(method, path, options, token);
    if (response.status === 401 && token) {
      token = await this.refresh(token);
      if (token) response = await this.send(method, path, options, token);
    }
    return response;
  }

  /** @param {string} path @param {RequestOptions} [options] */
  get(path, options) {
    return this.request("GET", path, options);
  }
  /** @param {string} path @param {any} [json] */
  post(path, json) {
    return this.request("POST", path, { json });
  }
  /** @param {string} path @param {any} [json] */
  patch(path, json) {
    return this.request("PATCH", path, { json });
  }
  /** @param {string} path */
  delete(path) {
    return this.request("DELETE", path);
  }

  /** Logs in: keeps the tokens. @param {string} username @param {string} password */
  async login(username, password) {
    const tokens = await this.request("POST", "/api/token/", { json: { username, password }, auth: false });
    this.session.set(tokens);
    return tokens;
  }

  /**
   * Logs this session out: the tokens are forgotten here at once (so the socket the server
   * then closes is not taken for a session ended elsewhere), and the server ends the session
   * (its tokens refused, its sockets closed everywhere) when it can be told.
   */
  async logout() {
    const tokens = this.session.tokens;
    this.forget();
    if (tokens) {
      await this.send("POST", "/api/token/blacklist/", { json: { refresh: tokens.refresh } }, null).catch(() => null);
    }
  }

  /** Forgets the tokens here only (the server ended the session already, or the account). */
  forget() {
    this.session.set(null);
  }

  /** A valid access token, refreshed first when it is about to expire; null when logged out. */
  async accessToken() {
    const tokens = this.session.tokens;
    if (!tokens) return null;
    if (fresh(tokens.access, this.clock())) return tokens.access;
    return this.refresh(tokens.access);
  }

  /**
   * A new access token from the refresh token; one refresh at a time, whoever asks, in every
   * tab of the browser (a Web Lock, where the page has one): each refresh token is good for one
   * use, and a second use ends the session. Should two tabs race all the same (no Web Locks
   * over plain HTTP, or a write of the other tab not seen yet), the server refuses the loser's
   * token as just replaced, and the loser takes the winner's tokens from the storage. When the
   * refresh token is refused the session ends (the person logs in again).
   * @param {string} stale the access token that did not work
   */
  refresh(stale) {
    if (!this.refreshing) {
      this.refreshing = this.renew(stale).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** @param {string} stale */
  renew(stale) {
    const run = () => this.renewNow(stale);
    return this.locks ? this.locks.request("pingme.refresh", run) : run();
  }

  /** @param {string} stale */
  async renewNow(stale) {
    // Read again under the lock: another tab may have refreshed meanwhile.
    const tokens = this.session.tokens;
    if (!tokens) return null;
    // Another tab may have refreshed already.
    if (tokens.access !== stale && fresh(tokens.access, this.clock())) return tokens.access;
    const response = await this.send("POST", "/api/token/refresh/", { json: { refresh: tokens.refresh } }, null);
    if (response.status === 401 || response.status === 400) {
      const refusal = await response.json().catch(() => null);
      if (refusal?.detail === REPLACED) return this.newerThan(tokens);
      this.dropIfStill(tokens);
      return null;
    }
    const body = await read(response);
    // Logged out, or in again, meanwhile: these tokens are no longer wanted.
    if (this.session.tokens?.refresh !== tokens.refresh) return this.session.tokens?.access ?? null;
    this.session.set({ access: body.access, refresh: body.refresh ?? tokens.refresh });
    return body.access;
  }

  /**
   * The access token another tab got when it replaced `tokens`, once its write shows here; if
   * none shows within a second, the newer tokens were lost (an answer that never arrived) and
   * the person logs in again.
   * @param {Tokens} tokens
   */
  async newerThan(tokens) {
    for (let tries = 0; tries < 10; tries += 1) {
      const now = this.session.tokens;
      if (!now) return null;
      if (now.refresh !== tokens.refresh) return now.access;
      await this.pause(100);
    }
    this.dropIfStill(tokens);
    return null;
  }

  /** Forgets `tokens` unless they were replaced meanwhile. @param {Tokens} tokens */
  dropIfStill(tokens) {
    if (this.session.tokens?.refresh === tokens.refresh) this.session.set(null);
  }

  /**
   * @param {string} method @param {string} path @param {RequestOptions} options
   * @param {string|null} token
   * @returns {Promise<Response>}
   */
  async send(method, path, options, token) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json" };
    /** @type {BodyInit|undefined} */
    let body;
    if (options.form) body = options.form;
    else if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await this.fetch(path, { method, headers, body, signal: options.signal });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(0, null);
    }
  }
}

/**
 * The target of a `Link` header's `rel="next"`, if it names one on this server.
 * @param {string|null} header
 * @returns {string|null}
 */
export function nextLink(header) {
  for (const part of (header ?? "").split(",")) {
    const match = /^\s*<([^>]*)>\s*;\s*rel="?next"?\s*$/.exec(part);
    if (match) return samePath(match[1]);
  }
  return null;
}

/**
 * The path and query of `link` if it stays on this page's origin, as the browser would
 * resolve it ("//host/…", "/\\host/…" and tabs inside it name other hosts); otherwise null.
 * @param {string} link
 */
function samePath(link) {
  const origin = globalThis.location?.origin ?? "http://localhost";
  try {
    const url = new URL(link, `${origin}/`);
    return url.origin === origin && link.startsWith("/") ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

/**
 * The body of a successful answer (null when empty), or an ApiError.
 * @param {Response} response
 * @returns {Promise<any>}
 */
async function read(response) {
  const text = await response.text();
  /** @type {any} */
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (response.ok) return body;
  const retry = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  throw new ApiError(response.status, body, Number.isFinite(retry) ? retry : null);
}
