// Data a screen fetches for itself: loading, the API's error in words, and a reload after changes.
import { html, useEffect, useRef, useState } from "../lib/html.js";

/**
 * @template T
 * @typedef {object} Loaded
 * @property {T|null} data null until loaded
 * @property {Error|null} error
 * @property {() => Promise<void>} reload fetches again (what is shown stays until the answer)
 */

/**
 * Runs `load` now and whenever `deps` change; a late answer to an older request is dropped.
 * @template T
 * @param {() => Promise<T>} load
 * @param {any[]} deps
 * @returns {Loaded<T>}
 */
export function useLoad(load, deps) {
  const [state, setState] = useState(/** @type {{data: T|null, error: Error|null}} */ ({ data: null, error: null }));
  const latest = useRef(0);
  const fetchNow = async () => {
    const mine = ++latest.current;
    try {
      const data = await load();
      if (mine === latest.current) setState({ data, error: null });
    } catch (error) {
      if (mine === latest.current) setState({ data: null, error: error instanceof Error ? error : new Error(String(error)) });
    }
  };
  useEffect(() => {
    setState({ data: null, error: null });
    fetchNow();
  }, deps);
  return { ...state, reload: fetchNow };
}

/**
 * What to show while loading or after a failure; null once there is data.
 * @param {{state: Loaded<any>, what: string}} props what is being loaded ("the members")
 */
export function LoadStatus({ state, what }) {
  if (state.error) {
    return html`<div class="load-error" role="alert">
      <p>Could not load ${what}: ${state.error.message}</p>
      <button type="button" class="secondary" onClick=${state.reload}>Try again</button>
    </div>`;
  }
  if (state.data === null) return html`<p class="loading" role="status">Loading ${what}…</p>`;
  return null;
}
