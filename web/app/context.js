// What every view reaches: the API client, the shared state and its actions.
import { createContext, useContext } from "./lib/html.js";

/**
 * @typedef {object} Services
 * @property {import("./api/client.js").Api} api
 * @property {import("./store.js").Store<import("./store.js").State>} store
 * @property {import("./actions.js").Actions} actions
 */

export const ServicesContext = createContext(/** @type {Services|null} */ (null));

/** @returns {Services} */
export function useServices() {
  const services = useContext(ServicesContext);
  if (!services) throw new Error("useServices outside the app");
  return services;
}
