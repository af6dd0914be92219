// How long to wait before the next reconnection attempt: exponential backoff with full jitter
// (a random wait between 0 and base·2^attempt, capped), so that clients dropped together by a
// restarting server do not all come back in the same instant.

/** The first attempt's ceiling, in milliseconds. */
export const BASE_MS = 500;
/** No wait is longer than this, in milliseconds. */
export const CAP_MS = 30_000;

/**
 * The wait before reconnection attempt `attempt` (0 for the first after a drop).
 * @param {number} attempt
 * @param {() => number} [random] uniform in [0, 1)
 * @param {{base?: number, cap?: number}} [limits]
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, random = Math.random, { base = BASE_MS, cap = CAP_MS } = {}) {
  // 2^attempt overflows to Infinity long after it passed the cap; min() keeps the result finite.
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}
