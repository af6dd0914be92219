// Typing indicators as pure functions: how often "I am typing" goes out, how long another
// person's frame keeps them shown, and the sentence shown.

/** Send "typing" at most this often while the person types (the server drops more anyway). */
export const SEND_EVERY_MS = 3000;
/** Show a person as typing this long after their last frame. */
export const SHOWN_MS = 5000;

/**
 * Whether to send a typing frame now.
 * @param {number} lastSent when the last one went out (ms; 0 for never) @param {number} now
 */
export function shouldSendTyping(lastSent, now) {
  return now - lastSent >= SEND_EVERY_MS;
}

/**
 * Who is typing at `now`, from their last frames' times, never the person themself.
 * @param {Map<number, number>} seen user id → when their last frame arrived (ms)
 * @param {number} now
 * @param {number|null} me
 * @returns {number[]}
 */
export function typingNow(seen, now, me) {
  return [...seen].filter(([id, at]) => id !== me && now - at < SHOWN_MS).map(([id]) => id);
}

/**
 * "Ann is typing…", "Ann and Bob are typing…", "Ann, Bob and Cy are typing…", then "Several
 * people are typing…"; "" for nobody.
 * @param {string[]} names
 */
export function typingLabel(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length > 3) return "Several people are typing…";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
}
