// Pure rules of the community screens (no DOM, no API calls), kept here so that unit tests can
// check them: who may do what on a server, invite links and limits, servers grouped by category,
// and form values turned into the multipart bodies the API takes.

/**
 * @typedef {object} Server The Server object of the API (the fields these rules read).
 * @property {number} id
 * @property {number} owner_id
 * @property {boolean} is_private
 * @property {number[]} members
 * @property {string} category_name
 * @property {string} name
 */

/** Whether `me` owns `server`. @param {{owner_id: number}|null|undefined} server @param {{id: number}|null|undefined} me */
export function isOwner(server, me) {
  return Boolean(server && me && server.owner_id === me.id);
}

/**
 * Whether `serverId` is one of the person's servers.
 * @param {{id: number}[]|null|undefined} myServers @param {number} serverId
 */
export function isMember(myServers, serverId) {
  return (myServers ?? []).some((s) => s.id === serverId);
}

/**
 * What a person may do from a server's menu: owners invite with a code and manage the server;
 * anyone may pass on a public server's address; everyone but the owner may leave.
 * @param {{owner_id: number, is_private: boolean}} server @param {{id: number}} me
 */
export function serverPermissions(server, me) {
  const owner = isOwner(server, me);
  return { invite: owner, share: !owner && !server.is_private, manage: owner, leave: !owner };
}

/** The address an invite code is shared as. @param {string} origin @param {string} code */
export function inviteLink(origin, code) {
  return `${origin}/invite/${encodeURIComponent(code)}`;
}

/** The address of a server, shared for public ones. @param {string} origin @param {number} id */
export function serverLink(origin, id) {
  return `${origin}/servers/${id}`;
}

/** How long an invite may be used, as the API's `expires_in` (seconds; null: no limit). */
export const EXPIRY_CHOICES = /** @type {const} */ ([
  ["1800", "30 minutes"],
  ["3600", "1 hour"],
  ["21600", "6 hours"],
  ["86400", "1 day"],
  ["604800", "7 days"],
  ["2592000", "30 days"],
  ["", "Never"],
]);

/** How many people may use an invite, as the API's `max_uses` (null: no limit). */
export const USES_CHOICES = /** @type {const} */ ([
  ["", "No limit"],
  ["1", "1 use"],
  ["5", "5 uses"],
  ["10", "10 uses"],
  ["25", "25 uses"],
  ["100", "100 uses"],
]);

/**
 * The body of `POST /api/servers/<id>/invites/` from the two choices (empty means no limit,
 * which the API takes as an absent field).
 * @param {string} expiresIn @param {string} maxUses
 */
export function inviteBody(expiresIn, maxUses) {
  /** @type {{expires_in?: number, max_uses?: number}} */
  const body = {};
  if (expiresIn) body.expires_in = Number(expiresIn);
  if (maxUses) body.max_uses = Number(maxUses);
  return body;
}

/**
 * An invite's limits in words: "2 of 5 uses · expires 6 Dec 2026, 09:40".
 * @param {{uses: number, max_uses: number|null, expires_at: string|null}} invite
 * @param {(iso: string) => string} [date] how a time is written
 */
export function inviteLimits(invite, date = formatDate) {
  const uses = invite.max_uses === null ? `${invite.uses} use${invite.uses === 1 ? "" : "s"}` : `${invite.uses} of ${invite.max_uses} uses`;
  const expiry = invite.expires_at ? `expires ${date(invite.expires_at)}` : "never expires";
  return `${uses} · ${expiry}`;
}

/** A time in the reader's locale. @param {string} iso */
export function formatDate(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "1 member", "12 members". @param {number|undefined} n */
export function membersText(n) {
  return n === undefined ? "" : `${n} member${n === 1 ? "" : "s"}`;
}

/**
 * Servers in sections by category, the sections in the order of `categories` (by name, as the
 * API lists them) and a section for servers of a category not in that list at the end.
 * @template {{category_name: string}} S
 * @param {S[]} servers
 * @param {{name: string}[]} categories
 * @returns {{category: string, servers: S[]}[]}
 */
export function groupByCategory(servers, categories) {
  /** @type {Map<string, S[]>} */
  const groups = new Map(categories.map((c) => [c.name, []]));
  for (const server of servers) {
    const list = groups.get(server.category_name);
    if (list) list.push(server);
    else groups.set(server.category_name, [server]);
  }
  return [...groups].filter(([, list]) => list.length > 0).map(([category, list]) => ({ category, servers: list }));
}

/** A category's name as a heading: "gaming" → "Gaming". @param {string} name */
export function categoryLabel(name) {
  return name ? name[0].toLocaleUpperCase() + name.slice(1) : name;
}

/**
 * A multipart body from a form's values: strings trimmed, booleans as "true"/"false" (what the
 * API reads as booleans), files when one was chosen; `undefined` and `null` leave the field out.
 * @param {Record<string, string|boolean|number|Blob|null|undefined>} values
 */
export function toFormData(values) {
  const form = new FormData();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    if (typeof value === "boolean") form.append(name, value ? "true" : "false");
    else if (typeof value === "number") form.append(name, String(value));
    else if (typeof value === "string") form.append(name, value.trim());
    else form.append(name, value);
  }
  return form;
}
