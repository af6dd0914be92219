// Messages sent on a socket that dropped before their echo came back: which of them the server
// stored after all (found in the history read after reconnecting) and which never arrived.

/**
 * A message sent and not yet echoed.
 * @typedef {object} Sent
 * @property {string} nonce
 * @property {string} text as sent (trimmed, as the server stores it)
 * @property {number} after the newest message id held when it was sent (0 for none)
 */

/**
 * The sent messages that are not in `messages`: a message counts as arrived when it is by `me`,
 * has the same text and an id newer than what was held at sending; each stored message
 * accounts for one sent message at most, oldest first, and one whose echo already came back
 * (`echoed`) for none of these (it was another send: "ok" sent twice, one of them lost).
 * @param {Sent[]} sent oldest first
 * @param {{id: number, user: {id: number|null}, content: string}[]} messages
 * @param {number} me the sender's account id
 * @param {Set<number>} [echoed] ids of my messages whose echo came back
 * @returns {Sent[]}
 */
export function notArrived(sent, messages, me, echoed = new Set()) {
  const used = new Set(echoed);
  return sent.filter((s) => {
    const found = messages.find((m) => !used.has(m.id) && m.user.id === me && m.content === s.text && m.id > s.after);
    if (!found) return true;
    used.add(found.id);
    return false;
  });
}
