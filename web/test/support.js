// Fakes the unit tests share: tokens and storage.

/** A JWT with these claims (unsigned: the client never checks signatures). @param {object} claims */
export function jwt(claims) {
  const part = (/** @type {object} */ o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "HS256" })}.${part(claims)}.sig`;
}

/** An in-memory Storage. */
export function memory() {
  const items = new Map();
  return {
    getItem: (/** @type {string} */ k) => items.get(k) ?? null,
    setItem: (/** @type {string} */ k, /** @type {string} */ v) => void items.set(k, v),
    removeItem: (/** @type {string} */ k) => void items.delete(k),
  };
}

