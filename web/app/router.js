// Which screen an address shows. Addresses are real paths (the server answers every client route
// with the page), so links can be shared and opened in new tabs; `navigate` changes them without
// a reload.
import { useEffect, useState } from "./lib/html.js";

/**
 * @typedef {{name: "home"} | {name: "login"} | {name: "signup"} | {name: "forgot"}
 *   | {name: "reset", uid: string, token: string}
 *   | {name: "explore"}
 *   | {name: "server", serverId: number, channelId: number|null}
 *   | {name: "server-settings", serverId: number}
 *   | {name: "dm", channelId: number}
 *   | {name: "invite", code: string}
 *   | {name: "settings"} | {name: "admin"} | {name: "not-found"}} Route
 */

/** @param {string} text */
const id = (text) => (/^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : null);

/**
 * @param {string} pathname
 * @returns {Route}
 */
export function parseRoute(pathname) {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second, third, fourth, fifth] = parts;
  const n = parts.length;
  if (n === 0) return { name: "home" };
  if (n === 1 && ["login", "signup", "forgot", "explore", "settings", "admin"].includes(first)) {
    return /** @type {Route} */ ({ name: first });
  }
  if (first === "app" && second === "reset" && n === 4 && third && fourth) {
    return { name: "reset", uid: third, token: fourth };
  }
  if (first === "invite" && n === 2) return { name: "invite", code: second };
  if (first === "dms" && n === 2 && id(second)) return { name: "dm", channelId: /** @type {number} */ (id(second)) };
  if (first === "servers" && id(second)) {
    const serverId = /** @type {number} */ (id(second));
    if (n === 2) return { name: "server", serverId, channelId: null };
    if (n === 3 && third === "settings") return { name: "server-settings", serverId };
    if (n === 4 && third === "channels" && id(fourth)) return { name: "server", serverId, channelId: id(fourth) };
  }
  void fifth;
  return { name: "not-found" };
}

/** The address of a channel. @param {number} serverId @param {number|null} [channelId] */
export function channelPath(serverId, channelId) {
  return channelId ? `/servers/${serverId}/channels/${channelId}` : `/servers/${serverId}`;
}

/**
 * Where to go after logging in: the page that asked for it, if it is one of the client's.
 * @param {string} [search] the login page's query (`?next=/servers/1`)
 * @param {string} [origin]
 */
export function nextPath(search = location.search, origin = location.origin) {
  const next = new URLSearchParams(search).get("next");
  if (!next) return "/";
  try {
    const url = new URL(next, origin);
    return url.origin === origin && parseRoute(url.pathname).name !== "not-found" ? url.pathname + url.search : "/";
  } catch {
    return "/";
  }
}

const listeners = new Set();

/**
 * Goes to an address of the client without reloading.
 * @param {string} path
 * @param {{replace?: boolean}} [options]
 */
export function navigate(path, options = {}) {
  if (path === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  for (const listener of listeners) listener();
}

/** The current route, re-rendered when the address changes. */
export function useRoute() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return parseRoute(path);
}

/**
 * Follows a click on a link of the client without reloading (plain clicks only: a middle click
 * or Ctrl+click still opens a new tab).
 * @param {MouseEvent} event
 */
export function followLink(event) {
  const link = /** @type {HTMLElement} */ (event.target).closest?.("a[href]");
  if (!(link instanceof HTMLAnchorElement) || link.target || link.origin !== location.origin) return;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  // Only the client's own screens; anything else (the API, media, health) is the server's.
  if (parseRoute(link.pathname).name === "not-found") return;
  event.preventDefault();
  navigate(link.pathname + link.search);
}
