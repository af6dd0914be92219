// How the sessions view names a session's device and says when it was last seen: a browser and
// system read from its User-Agent ("Firefox on Linux"), and a time relative to now ("5 minutes
// ago").

/** Browsers, the first match wins (Edge and Opera also say Chrome; Chrome also says Safari). */
const BROWSERS = [
  [/Edg(e|A|iOS)?\//, "Edge"],
  [/OPR\/|Opera/, "Opera"],
  [/Firefox\/|FxiOS\//, "Firefox"],
  [/Chrome\/|CriOS\/|Chromium\//, "Chrome"],
  [/Safari\//, "Safari"],
];

/** Systems, the first match wins (Android also says Linux; iPhones also say Mac OS X). */
const SYSTEMS = [
  [/Android/, "Android"],
  [/iPhone/, "iPhone"],
  [/iPad/, "iPad"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

/**
 * @param {[RegExp, string][]} table
 * @param {string} text
 */
function first(table, text) {
  for (const [pattern, name] of table) if (pattern.test(text)) return name;
  return null;
}

/**
 * A person's words for the device a User-Agent names.
 * @param {string} userAgent
 */
export function deviceName(userAgent) {
  const agent = userAgent.trim();
  if (!agent) return "Unknown device";
  const browser = first(/** @type {[RegExp, string][]} */ (BROWSERS), agent);
  const system = first(/** @type {[RegExp, string][]} */ (SYSTEMS), agent);
  if (browser && system) return `${browser} on ${system}`;
  if (browser || system) return /** @type {string} */ (browser || system);
  // An API client or a script: its own name, as it gave it ("curl/8.5.0" → "curl").
  return agent.split(/[\s/]/)[0].slice(0, 40) || "Unknown device";
}

const STEPS = /** @type {const} */ ([
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
  [4.35, "week"],
  [12, "month"],
  [Infinity, "year"],
]);

/**
 * "just now", "5 minutes ago", "yesterday", … for a time `then` before `now` (milliseconds).
 * @param {number} then
 * @param {number} now
 * @param {string} [locale]
 */
export function timeAgo(then, now, locale) {
  let amount = Math.max(0, (now - then) / 1000);
  if (amount < 45) return "just now";
  const words = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  for (const [size, unit] of STEPS) {
    if (amount < size) return words.format(-Math.round(amount), unit);
    amount /= size;
  }
  return words.format(-Math.round(amount), "year");
}
