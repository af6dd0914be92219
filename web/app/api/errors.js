// What the API answers when something goes wrong, in words a person reads next to what caused it.
// The API's shapes (shared/api/CONTRACT.md): {"detail"} for 401/403/404/405/415/429/5xx, field errors
// {"<field>": ["..."]}, {"non_field_errors": [...]}, and {"error"} from the e-mailed links' endpoints.

/**
 * An answer of the API that was not a success, or no answer at all (status 0).
 */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status; 0 when the server could not be reached.
   * @param {any} body The parsed JSON body, or null.
   * @param {number|null} [retryAfter] Seconds, from `Retry-After` (429, 503).
   */
  constructor(status, body, retryAfter = null) {
    const { message } = describe(status, body, retryAfter);
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }

  /** Errors about one field of a form: {name: "sentence. sentence."}. */
  get fields() {
    return describe(this.status, this.body, this.retryAfter).fields;
  }
}

/**
 * The sentence to show for an error, and the sentences for each field it names.
 * @param {number} status
 * @param {any} body
 * @param {number|null} [retryAfter]
 * @returns {{message: string, fields: Record<string, string>}}
 */
export function describe(status, body, retryAfter = null) {
  /** @type {Record<string, string>} */
  const fields = {};
  let message = "";
  if (body && typeof body === "object" && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) {
      const text = sentences(value);
      if (!text) continue;
      if (key === "detail" || key === "error" || key === "non_field_errors" || key === "message") {
        message = message ? `${message} ${text}` : text;
      } else if (key !== "code") {
        fields[key] = text;
      }
    }
  }
  if (!message) message = fallback(status, Object.keys(fields).length > 0, retryAfter);
  else if (status === 429 && retryAfter) message = `${message} Try again in ${wait(retryAfter)}.`;
  return { message, fields };
}

/** @param {any} value */
function sentences(value) {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.filter((v) => typeof v === "string").join(" ");
  return "";
}

/** @param {number} seconds */
function wait(seconds) {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/**
 * @param {number} status
 * @param {boolean} hasFields
 * @param {number|null} retryAfter
 */
function fallback(status, hasFields, retryAfter) {
  if (status === 0) return "The server cannot be reached. Check your connection; pingme keeps trying.";
  if (hasFields) return "Some fields need another look.";
  if (status === 401) return "Your session has ended. Please log in again.";
  if (status === 403) return "You are not allowed to do that.";
  if (status === 404) return "That does not exist (any more).";
  if (status === 408) return "The server waited too long for the request. Try again.";
  if (status === 413) return "That is too large for the server.";
  if (status === 429) return retryAfter ? `Too many attempts. Try again in ${wait(retryAfter)}.` : "Too many attempts. Wait a moment and try again.";
  if (status >= 500) return "The server had a problem. Try again in a moment.";
  return `The server refused the request (${status}).`;
}
