// Images in messages: the ones being attached to the next message (picked, pasted or dropped;
// each uploaded at once through POST /api/attachments/, shown from the file while it goes up),
// and the ones a message shows, in boxes sized from their dimensions before they load.
import { html, useEffect, useRef, useState } from "../lib/html.js";
import { ApiError } from "../api/errors.js";
import { Icon } from "../ui/icons.js";

/** Images one message takes (the server's limit). */
export const MAX_IMAGES = 4;
/** The largest box an image of a message is shown in (px). */
const BOX = { width: 400, height: 300 };

/**
 * An image as the server answers it.
 * @typedef {{id: number, url: string, width: number, height: number, content_type: string}} Attachment
 */

/**
 * An image being attached: its local preview, and its upload's state.
 * @typedef {{key: number, name: string, preview: string, state: "uploading"|"ready"|"failed", attachment: Attachment|null, error: string|null}} Draft
 */

/**
 * The size an image is shown at: its own, fitted in the box.
 * @param {{width: number, height: number}} image @param {{width: number, height: number}} [box]
 */
export function fitted(image, box = BOX) {
  const scale = Math.min(1, box.width / Math.max(1, image.width), box.height / Math.max(1, image.height));
  return { width: Math.max(1, Math.round(image.width * scale)), height: Math.max(1, Math.round(image.height * scale)) };
}

/**
 * The images attached to the message being written.
 * @param {import("../api/client.js").Api} api
 */
export function useDrafts(api) {
  const [drafts, setDrafts] = useState(/** @type {Draft[]} */ ([]));
  const current = useRef(drafts);
  const next = useRef(0);
  /** @param {(d: Draft[]) => Draft[]} change */
  const update = (change) => {
    current.current = change(current.current);
    setDrafts(current.current);
  };
  /** @param {number} key @param {Partial<Draft>} patch */
  const patch = (key, patch) => update((all) => all.map((d) => (d.key === key ? { ...d, ...patch } : d)));

  /** Drafts taken off (or left with the pane) while still uploading: deleted once up. */
  const dropped = useRef(/** @type {Set<number>} */ (new Set()));
  /** @param {Attachment} attachment */
  const forget = (attachment) => void api.delete(`/api/attachments/${attachment.id}/`).catch(() => {});

  // Leaving the channel leaves its drafts: the server forgets them rather than keeping them
  // against the person's limit until they expire.
  useEffect(
    () => () => {
      for (const d of current.current) {
        URL.revokeObjectURL(d.preview);
        if (d.attachment) forget(d.attachment);
        else dropped.current.add(d.key);
      }
    },
    [],
  );

  /** Starts uploading the images among `files`, as many as the message still takes. @param {Iterable<File>} files */
  const add = (files) => {
    const images = [...files].filter((f) => f.type.startsWith("image/"));
    for (const file of images.slice(0, MAX_IMAGES - current.current.length)) {
      const key = next.current++;
      update((all) => [...all, { key, name: file.name || "image", preview: URL.createObjectURL(file), state: "uploading", attachment: null, error: null }]);
      const form = new FormData();
      form.append("image", file, file.name || "image.png");
      api.request("POST", "/api/attachments/", { form }).then(
        (/** @type {Attachment} */ attachment) => {
          if (dropped.current.delete(key)) forget(attachment);
          else patch(key, { state: "ready", attachment });
        },
        (/** @type {unknown} */ e) => {
          const words = e instanceof ApiError ? (e.fields.image ?? e.message) : "The image could not be uploaded.";
          patch(key, { state: "failed", error: String(words) });
        },
      );
    }
    return images.length;
  };

  /** Takes one off the message (the server forgets an uploaded one). @param {Draft} draft */
  const remove = (draft) => {
    URL.revokeObjectURL(draft.preview);
    update((all) => all.filter((d) => d.key !== draft.key));
    if (draft.attachment) forget(draft.attachment);
    else if (draft.state === "uploading") dropped.current.add(draft.key);
  };

  /** The message was sent with the uploaded ones: they are its now (failed ones go). */
  const clear = () => {
    current.current.forEach((d) => URL.revokeObjectURL(d.preview));
    update(() => []);
  };

  return {
    drafts,
    add,
    remove,
    clear,
    /** Whether any is still going up. */
    uploading: drafts.some((d) => d.state === "uploading"),
    /** The uploaded ones, in order. @returns {Attachment[]} */
    ready: () => current.current.flatMap((d) => (d.state === "ready" && d.attachment ? [d.attachment] : [])),
  };
}

/** @typedef {ReturnType<typeof useDrafts>} Drafts */

/**
 * The images attached to the message being written, above the box.
 * @param {{drafts: Drafts}} props
 */
export function DraftImages({ drafts }) {
  if (drafts.drafts.length === 0) return null;
  return html`<ul class="draft-images" aria-label="Images to send">
    ${drafts.drafts.map(
      (d) => html`<li key=${d.key} class=${`draft-image ${d.state}`}>
        <img src=${d.preview} alt=${d.name} />
        ${d.state === "uploading" && html`<span class="draft-state">Uploading…</span>`}
        ${d.state === "failed" && html`<span class="draft-state" role="alert">${d.error}</span>`}
        <button type="button" class="icon-button draft-remove" aria-label=${`Remove ${d.name}`} title="Remove" onClick=${() => drafts.remove(d)}>
          <${Icon} name="close" size=${14} />
        </button>
      </li>`,
    )}
  </ul>`;
}

/**
 * A message's images, each in a box of its shown size before it loads, opening full size.
 * @param {{attachments: Attachment[]}} props
 */
export function MessageImages({ attachments }) {
  if (attachments.length === 0) return null;
  return html`<div class="message-images">
    ${attachments.map((a) => {
      const size = fitted(a);
      return html`<a key=${a.id} href=${a.url} target="_blank" rel="noopener" class="message-image" title="Open the image">
        <img src=${a.url} width=${size.width} height=${size.height} loading="lazy" alt="Image" style=${`width:${size.width}px;height:${size.height}px`} />
      </a>`;
    })}
  </div>`;
}
