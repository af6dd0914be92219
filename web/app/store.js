// The client's shared state: who is logged in, their servers, the categories, the connection's
// health and the notices shown to the person. Views read it with `useStore` and change it through
// the functions of actions.js; anything else a view needs it fetches itself.
import { useEffect, useState } from "./lib/html.js";

/**
 * @typedef {object} Notice
 * @property {number} id
 * @property {string} text
 * @property {"info"|"error"} kind
 */

/**
 * @typedef {object} State
 * @property {any|null} me The Account object of `GET /api/account/me/` (with is_staff).
 * @property {any[]|null} servers The servers the person belongs to (null until loaded).
 * @property {import("./realtime/state.js").Dm[]} dms The person's direct messages, from the gateway.
 * @property {number[]|null} blocked The people the person blocks (null until loaded).
 * @property {any[]} categories
 * @property {"online"|"connecting"|"offline"} connection The gateway's state.
 * @property {import("./realtime/state.js").ReadStates} readStates Each channel's, from the gateway.
 * @property {import("./realtime/state.js").Presences} presences Who is not offline, from the gateway.
 * @property {string} status The status the person chose for themself.
 * @property {number} ready How many `ready` the gateway gave (0: the first screen's read states are not in yet).
 * @property {Notice[]} notices
 */

/** @template T */
export class Store {
  /** @param {T} initial */
  constructor(initial) {
    this.state = initial;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
  }

  /** @param {Partial<T> | ((state: T) => Partial<T>)} change */
  set(change) {
    const patch = typeof change === "function" ? change(this.state) : change;
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  /** @param {() => void} listener */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/** @returns {State} */
export function initialState() {
  return { me: null, servers: null, dms: [], blocked: null, categories: [], connection: "online", notices: [], readStates: {}, presences: {}, status: "online", ready: 0 };
}

/**
 * A part of the state, re-rendered when it changes.
 * @template T, S
 * @param {Store<T>} store
 * @param {(state: T) => S} select
 * @returns {S}
 */
export function useStore(store, select) {
  const [, redraw] = useState(0);
  const value = select(store.state);
  useEffect(() => {
    let last = select(store.state);
    return store.subscribe(() => {
      const next = select(store.state);
      if (next !== last) {
        last = next;
        redraw((n) => n + 1);
      }
    });
  }, [store]);
  return value;
}
