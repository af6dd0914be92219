// What the gateway's frames do to the shared state, as pure functions (tested without a browser):
// `ready` sets the first screen (the person, their servers, each channel's read state, who is
// online), and each dispatch changes the part it names.

/**
 * A channel's read state, as `ready` and `read_state_update` carry it.
 * @typedef {object} ReadState
 * @property {number} last_message_id
 * @property {number} last_read_id
 * @property {number} unread_count others' messages after last_read_id
 * @property {number} mention_count those of them that mention the person
 */

/** @typedef {Record<number, ReadState>} ReadStates */
/** @typedef {Record<number, string>} Presences user id → online, idle, dnd (invisible: the person's own) */

/** The most unread messages counted (the server counts no further). */
export const UNREAD_CAP = 1000;

/**
 * A direct message: `recipients` are the others in it (Account objects).
 * @typedef {{id: number, type: "dm", group: boolean, recipients: any[]}} Dm
 */

/**
 * The state `ready` gives.
 * @param {any} ready
 * @returns {{me: any, servers: any[], dms: Dm[], readStates: ReadStates, presences: Presences}}
 */
export function fromReady(ready) {
  /** @type {ReadStates} */
  const readStates = {};
  /** @param {any} channel */
  const keep = (channel) => {
    readStates[channel.id] = { last_message_id: channel.last_message_id, ...channel.read_state };
    return plainChannel(channel);
  };
  const servers = ready.servers.map((/** @type {any} */ server) => ({ ...server, channel_server: server.channel_server.map(keep) }));
  const dms = (ready.dms ?? []).map(keep);
  /** @type {Presences} */
  const presences = {};
  for (const p of ready.presences) presences[p.user_id] = p.status;
  return { me: ready.user, servers, dms, readStates, presences };
}

/** A channel without what `ready` adds to it. @param {any} channel */
function plainChannel(channel) {
  const { last_message_id: _, read_state: __, ...plain } = channel;
  return plain;
}

/**
 * @typedef {object} Live
 * @property {any} me
 * @property {any[]|null} servers
 * @property {Dm[]} dms
 * @property {number[]|null} [blocked] the people the person blocks (their mentions count for nothing)
 * @property {ReadStates} readStates
 * @property {Presences} presences
 */

/**
 * What a dispatch changes in the state: the parts to replace, or null (nothing of the state).
 * @param {Live} state @param {string} event @param {any} d
 * @returns {Partial<Live>|null}
 */
export function applyDispatch(state, event, d) {
  switch (event) {
    case "message_create":
      return { readStates: withMessage(state.readStates, d, state.me?.id, state.blocked ?? []) };
    case "read_state_update": {
      const { channel_id, ...read } = d;
      return { readStates: { ...state.readStates, [channel_id]: read } };
    }
    case "presence_update":
      return { presences: withPresence(state.presences, d.user_id, d.status) };
    case "account_update":
      return d.id === state.me?.id ? { me: { ...state.me, ...d } } : null;
    case "server_update":
      return { servers: mapServers(state, d.id, (s) => ({ ...d, channel_server: s.channel_server })) };
    case "server_delete":
      return { servers: (state.servers ?? []).filter((s) => s.id !== d.id) };
    case "member_remove":
      return d.user_id === state.me?.id ? { servers: (state.servers ?? []).filter((s) => s.id !== d.server_id) } : null;
    case "channel_create":
    case "channel_update":
      return { servers: mapServers(state, d.server, (s) => ({ ...s, channel_server: withChannel(s.channel_server, d) })) };
    case "channel_delete":
      if (d.server_id === null) return { dms: state.dms.filter((dm) => dm.id !== d.id) };
      return {
        servers: mapServers(state, d.server_id, (s) => ({ ...s, channel_server: s.channel_server.filter((/** @type {any} */ c) => c.id !== d.id) })),
      };
    case "dm_create":
    case "dm_update":
      return { dms: withDm(state.dms, d) };
    default:
      return null;
  }
}

/**
 * A new message in the read states: the channel's last message, and one more unread (and
 * mention, unless the person blocks its author) when someone else wrote it.
 * @param {ReadStates} states @param {any} message @param {number|undefined} me @param {number[]} blocked
 */
function withMessage(states, message, me, blocked) {
  const held = states[message.channel_id] ?? { last_message_id: 0, last_read_id: 0, unread_count: 0, mention_count: 0 };
  const next = { ...held, last_message_id: Math.max(held.last_message_id, message.id) };
  if (message.id > held.last_read_id && message.id > held.last_message_id) {
    // As the server counts: others' messages are unread, mentions whoever wrote them.
    if (message.user?.id !== me) next.unread_count = Math.min(UNREAD_CAP, held.unread_count + 1);
    const mentioned = me !== undefined && (message.mentions ?? []).includes(me) && !blocked.includes(message.user?.id);
    if (mentioned) next.mention_count = held.mention_count + 1;
  }
  return { ...states, [message.channel_id]: next };
}

/**
 * The channel read up to `messageId` (the person saw it).
 * @param {ReadStates} states @param {number} channelId @param {number} messageId
 */
export function withRead(states, channelId, messageId) {
  const held = states[channelId];
  if (held && held.last_read_id >= messageId) return states;
  const last = Math.max(held?.last_message_id ?? 0, messageId);
  return { ...states, [channelId]: { last_message_id: last, last_read_id: messageId, unread_count: 0, mention_count: 0 } };
}

/** @param {Presences} presences @param {number} user @param {string} status */
function withPresence(presences, user, status) {
  const next = { ...presences };
  if (status === "offline") delete next[user];
  else next[user] = status;
  return next;
}

/** @param {Live} state @param {number} id @param {(server: any) => any} change */
function mapServers(state, id, change) {
  return (state.servers ?? []).map((s) => (s.id === id ? change(s) : s));
}

/**
 * The direct messages with `dm` added or replaced, by id.
 * @param {Dm[]} dms @param {Dm} dm
 */
export function withDm(dms, dm) {
  return [...dms.filter((d) => d.id !== dm.id), dm].sort((a, b) => a.id - b.id);
}

/**
 * A direct message's name, as its people see it: the others' display names, or "Deleted User"
 * when nobody else is left.
 * @param {Dm} dm
 */
export function dmName(dm) {
  return dm.recipients.length === 0 ? "Deleted User" : dm.recipients.map((r) => r.username).join(", ");
}

/**
 * Unread messages and mentions of the direct messages, together.
 * @param {Dm[]} dms @param {ReadStates} states
 */
export function dmsUnread(dms, states) {
  return serverUnread({ channel_server: dms }, states);
}

/** @param {any[]} channels @param {any} channel */
function withChannel(channels, channel) {
  const at = channels.findIndex((c) => c.id === channel.id);
  if (at < 0) return [...channels, channel];
  return channels.map((c) => (c.id === channel.id ? channel : c));
}

/**
 * Unread messages and mentions of a server's channels, together.
 * @param {any} server @param {ReadStates} states
 */
export function serverUnread(server, states) {
  let unread = 0;
  let mentions = 0;
  for (const channel of server.channel_server) {
    const state = states[channel.id];
    if (!state) continue;
    unread += state.unread_count;
    mentions += state.mention_count;
  }
  return { unread, mentions };
}
