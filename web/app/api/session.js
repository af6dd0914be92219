// The logged-in person's tokens: kept in localStorage so that a reload stays logged in, shared by
// the tabs of one browser, and refreshed before the access token expires (the original client
// never refreshed; a day later its requests all failed).

const KEY = "pingme.session";
/** Refresh this long before the access token expires, in seconds. */
const MARGIN = 60;

/** @typedef {{access: string, refresh: string}} Tokens */

/**
 * When a JWT expires, in seconds since the epoch, or 0 when it cannot be read.
 * @param {string} token
 */
export function expiry(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload));
    return typeof claims.exp === "number" ? claims.exp : 0;
  } catch {
    return 0;
  }
}

/**
 * Whether a token is still good `margin` seconds from `now`.
 * @param {string} token
 * @param {number} now seconds since the epoch
 * @param {number} [margin]
 */
export function fresh(token, now, margin = MARGIN) {
  return expiry(token) > now + margin;
}

/** Tokens in a storage (localStorage in the browser; anything with the same methods in tests). */
export class Session {
  /** @param {Pick<Storage, "getItem"|"setItem"|"removeItem">} storage */
  constructor(storage) {
    this.storage = storage;
    /** @type {Set<(tokens: Tokens|null) => void>} */
    this.listeners = new Set();
  }

  /** @returns {Tokens|null} */
  get tokens() {
    try {
      const saved = JSON.parse(this.storage.getItem(KEY) || "null");
      return saved && typeof saved.access === "string" && typeof saved.refresh === "string" ? saved : null;
    } catch {
      return null;
    }
  }

  /** @param {Tokens|null} tokens */
  set(tokens) {
    if (tokens) this.storage.setItem(KEY, JSON.stringify(tokens));
    else this.storage.removeItem(KEY);
    this.changed();
  }

  /** Another tab logged in or out. */
  changed() {
    const tokens = this.tokens;
    for (const listener of this.listeners) listener(tokens);
  }

  /** @param {(tokens: Tokens|null) => void} listener */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const STORAGE_KEY = KEY;
