// Photos from the phone's camera: shrunk on the phone (at most MAX_EDGE_PX on the long side,
// JPEG) before they are kept or sent, shown as thumbnails, and uploaded one by one with the
// bytes sent reported as they go. A small JPEG is kept as it is (no loss, its own bytes).
// A photo the browser cannot decode (HEIC on some phones) is kept as it is when the server
// takes its type and size, and refused on the phone, before any upload, when it does not:
// the worker is told why, with the limit in MB.

import { h } from "../common/dom.js";
import { t } from "../common/i18n.js";
import { icon } from "./icons.js";

export const MAX_EDGE_PX = 1600;
const JPEG_TYPE = "image/jpeg";
const JPEG_QUALITY = 0.82;
/** The most photos one report or result carries (the server's limit; /api/v1/street). */
export const MAX_PHOTOS = 9;
/** The server's photo limit when it has not told it yet (/api/v1/street limits.media_bytes). */
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
/** A JPEG this small and no larger than MAX_EDGE_PX is sent as it is. */
const KEEP_JPEG_BYTES = 1536 * 1024;
const MB = 1024 * 1024;
const SNIFF_BYTES = 16;
/** The types the server takes, by their first bytes (as dispatch/media.py sniffs them). */
const HEIC_BRANDS = ["heic", "heix", "mif1", "msf1", "hevc"];

let limits = { mediaBytes: DEFAULT_MAX_BYTES, photos: MAX_PHOTOS };

/** The server's limits ({media_bytes, photos}) as /api/v1/street tells them. */
export function setPhotoLimits(serverLimits) {
  if (!serverLimits) return;
  limits = {
    mediaBytes: Number.isFinite(serverLimits.media_bytes) ? serverLimits.media_bytes
      : DEFAULT_MAX_BYTES,
    photos: Number.isFinite(serverLimits.photos) ? serverLimits.photos : MAX_PHOTOS,
  };
}

/** A photo the phone will not send, with the reason as an i18n key and its values. */
export class PhotoRefused extends Error {
  constructor(key, vars) {
    super(key);
    this.key = key;
    this.vars = vars;
  }
}

/** The image kind the server would see in ``file``'s first bytes, or null. */
async function sniff(file) {
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  const ascii = (from, to) => String.fromCharCode(...head.slice(from, to));
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "jpeg";
  if (head[0] === 0x89 && ascii(1, 4) === "PNG") return "png";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  if (ascii(4, 8) === "ftyp" && HEIC_BRANDS.includes(ascii(8, 12))) return "heic";
  return null;
}

async function decode(file) {
  if (typeof createImageBitmap === "function") {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch {
      // fall through: some browsers decode only through an <img>
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function canvasBlob(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("toBlob failed"))),
      JPEG_TYPE, JPEG_QUALITY);
  });
}

const inMb = (bytes) => (bytes / MB).toFixed(1);

/** A file the browser cannot draw: sent as it is if the server takes it, else refused. */
async function undecodable(file) {
  const kind = await sniff(file);
  const limitMb = Math.floor(limits.mediaBytes / MB);
  if (kind === null) throw new PhotoRefused("photo.refused_type", { limit_mb: limitMb });
  if (file.size > limits.mediaBytes) {
    throw new PhotoRefused("photo.refused_size", { size_mb: inMb(file.size), limit_mb: limitMb });
  }
  return file;
}

/**
 * ``file`` ready to keep and send: a JPEG no larger than MAX_EDGE_PX on its long side (a
 * small JPEG as it is), or the file itself when the browser cannot decode it but the server
 * takes it. Throws PhotoRefused when the server would refuse it.
 */
export async function preparePhoto(file) {
  let image;
  try {
    image = await decode(file);
  } catch {
    return undecodable(file);
  }
  const width = image.width || image.naturalWidth;
  const height = image.height || image.naturalHeight;
  if (file.type === JPEG_TYPE && file.size <= KEEP_JPEG_BYTES
      && Math.max(width, height) <= MAX_EDGE_PX && await sniff(file) === "jpeg") {
    if (typeof image.close === "function") image.close();
    return file;
  }
  const scale = Math.min(1, MAX_EDGE_PX / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; // a transparent PNG gets a white background, not black
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  if (typeof image.close === "function") image.close();
  return canvasBlob(canvas);
}

/** Kept for callers of the older name: preparePhoto. */
export const resizePhoto = preparePhoto;

function uploadForm(blob) {
  const form = new FormData();
  form.append("file", blob, blob.type === JPEG_TYPE ? "photo.jpg" : (blob.name || "photo"));
  return form;
}

/**
 * Upload one photo; its id on the server (the same bytes always get the same id).
 * onProgress(loaded, total): the bytes of the request sent so far.
 */
export async function uploadPhoto(api, blob, { onProgress = null } = {}) {
  if (onProgress && api.upload) {
    return (await api.upload("/api/v1/media", uploadForm(blob), { onProgress })).id;
  }
  return (await api.postForm("/api/v1/media", uploadForm(blob))).id;
}

/**
 * A "take a photo" button with the photos taken so far as thumbnails (tap × to drop one).
 * photos(): the prepared blobs (a promise); clear(); load(blobs) (an edited report's);
 * mark(index) highlights the photo a refusal is about; onChange(count) after each change.
 */
export function createPhotoPicker({ name = "photo", onChange = () => {}, onRefused = () => {} }
  = {}) {
  const items = []; // {blob, url, marked}
  const thumbs = h("div", { class: "thumbs" });
  const input = h("input", { type: "file", accept: "image/*", capture: "environment",
    class: "visually-hidden", name, dataset: { photoInput: name } });
  const busy = h("span", { class: "muted photo-busy", hidden: true }, t("photo.processing"));
  const refused = h("p", { class: "notice error photo-refused", role: "alert", hidden: true });
  const button = h("label", { class: "photo-button" }, input,
    icon("camera", "icon photo-icon"),
    h("span", { class: "photo-label" }, t("photo.take")));

  function thumb(item, index) {
    const picture = item.blob.type.startsWith("image/") && item.blob.type !== "image/heic"
      ? h("img", { src: item.url, alt: t("photo.alt", { n: index + 1 }) })
      : h("span", { class: "thumb-file" }, t("photo.no_preview"));
    return h("figure", { class: "thumb", dataset: { marked: String(Boolean(item.marked)) } },
      picture,
      h("button", { type: "button", class: "thumb-remove", "aria-label": t("photo.remove"),
        onclick: () => {
          URL.revokeObjectURL(item.url);
          items.splice(items.indexOf(item), 1);
          render();
          onChange(items.length);
        } }, "×"));
  }

  function render() {
    thumbs.replaceChildren(...items.map(thumb));
    button.hidden = items.length >= limits.photos;
    thumbs.dataset.count = String(items.length);
  }

  function showRefused(text) {
    refused.hidden = !text;
    refused.textContent = text || "";
  }

  let processing = Promise.resolve();

  async function add(files) {
    busy.hidden = false;
    const problems = [];
    try {
      for (const file of files) {
        try {
          const blob = await preparePhoto(file);
          items.push({ blob, url: URL.createObjectURL(blob), marked: false });
        } catch (error) {
          if (!(error instanceof PhotoRefused)) throw error;
          problems.push(t(error.key, error.vars));
        }
      }
    } finally {
      busy.hidden = true;
      render();
      showRefused(problems.join(" "));
      if (problems.length) onRefused(problems.join(" "));
      onChange(items.length);
    }
  }

  input.addEventListener("change", () => {
    const files = [...input.files].slice(0, limits.photos - items.length);
    input.value = "";
    processing = processing.then(() => add(files));
  });

  render();
  return {
    el: h("div", { class: "photo-field" }, h("div", { class: "photo-picker" }, thumbs, button,
      busy), refused),
    /** The prepared photos, once every photo being prepared is done. */
    async photos() {
      await processing;
      return items.map((item) => item.blob);
    },
    clear() {
      for (const item of items) URL.revokeObjectURL(item.url);
      items.length = 0;
      showRefused("");
      render();
    },
    /** Show ``blobs`` (an edited report's photos); ``marked``: the index a refusal names. */
    load(blobs, marked = -1) {
      this.clear();
      blobs.forEach((blob, index) => items.push({ blob, url: URL.createObjectURL(blob),
        marked: index === marked }));
      render();
      onChange(items.length);
    },
    render,
  };
}
