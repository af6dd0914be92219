// A channel's history over REST, page by page (docs/api.md, "History and edits"): the addresses
// of the pages, and catching up on what was missed while the socket was away.

/** The page size of the first and older pages. */
export const PAGE = 50;
/** The largest page the API answers; catching up asks for it. */
export const MAX_PAGE = 100;

/**
 * The address of one page: the latest, the one `before` a message, or the one `after` it.
 * @param {number} channelId
 * @param {{before?: number, after?: number, limit?: number}} [options]
 */
export function pagePath(channelId, { before, after, limit = PAGE } = {}) {
  const query = new URLSearchParams({ channel_id: String(channelId), limit: String(limit) });
  if (before !== undefined) query.set("before", String(before));
  if (after !== undefined) query.set("after", String(after));
  return `/api/messages/?${query}`;
}

/**
 * Where the next catch-up request starts, or null when the last page showed that nothing is
 * left: a page shorter than asked for reached the present.
 * @param {number} after the id the last request started after
 * @param {{id: number}[]} page what it answered (ascending)
 * @param {number} limit what it asked for
 * @returns {number|null}
 */
export function nextAfter(after, page, limit) {
  if (page.length < limit) return null;
  const last = page.at(-1)?.id ?? after;
  return last > after ? last : null;
}

/**
 * Fetches every message newer than `after`, one full page at a time, handing each page over as
 * it arrives (so the view shows them while the rest loads).
 * @template {{id: number}} M
 * @param {(after: number, limit: number) => Promise<M[]>} fetchPage
 * @param {number} after the newest id held
 * @param {(page: M[]) => void} onPage
 * @param {number} [limit]
 */
export async function catchUp(fetchPage, after, onPage, limit = MAX_PAGE) {
  /** @type {number|null} */
  let from = after;
  while (from !== null) {
    const page = await fetchPage(from, limit);
    onPage(page);
    from = nextAfter(from, page, limit);
  }
}

/**
 * Reads again, after a reconnection, the pages after `from` until one reaches `upTo` (the
 * newest id held) or the present; answers what was read and where catching up goes on (null:
 * the present was reached).
 * @template {{id: number}} M
 * @param {(after: number, limit: number) => Promise<M[]>} fetchPage
 * @param {number} from @param {number} upTo
 * @param {number} [limit]
 * @returns {Promise<{fetched: M[], next: number|null}>}
 */
export async function reread(fetchPage, from, upTo, limit = MAX_PAGE) {
  /** @type {M[]} */
  const fetched = [];
  let after = from;
  for (;;) {
    const page = await fetchPage(after, limit);
    fetched.push(...page);
    const next = nextAfter(after, page, limit);
    if (next === null || next >= upTo) return { fetched, next };
    after = next;
  }
}
