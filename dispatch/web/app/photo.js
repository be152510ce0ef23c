// Photos from the phone's camera: shrunk on the phone (at most MAX_EDGE_PX on the long side,
// JPEG) before they are kept or sent, shown as thumbnails, and uploaded one by one.

import { h } from "../common/dom.js";
import { t } from "../common/i18n.js";
import { icon } from "./icons.js";

export const MAX_EDGE_PX = 1600;
const JPEG_TYPE = "image/jpeg";
const JPEG_QUALITY = 0.82;
/** The most photos one report or result carries (the server's limit). */
export const MAX_PHOTOS = 9;

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

/**
 * ``file`` as a JPEG no larger than MAX_EDGE_PX on its long side (a photo the browser cannot
 * decode, e.g. HEIC on some phones, is kept as it is: the server takes it).
 */
export async function resizePhoto(file) {
  let image;
  try {
    image = await decode(file);
  } catch {
    return file;
  }
  const width = image.width || image.naturalWidth;
  const height = image.height || image.naturalHeight;
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

/** Upload one photo; its id on the server (the same bytes always get the same id). */
export async function uploadPhoto(api, blob) {
  const form = new FormData();
  form.append("file", blob, blob.type === JPEG_TYPE ? "photo.jpg" : "photo");
  return (await api.postForm("/api/v1/media", form)).id;
}

/**
 * A "take a photo" button with the photos taken so far as thumbnails (tap × to drop one).
 * photos(): the resized blobs (a promise); clear(); onChange(count) after each change.
 */
export function createPhotoPicker({ name = "photo", onChange = () => {} } = {}) {
  const items = []; // {blob, url}
  const thumbs = h("div", { class: "thumbs" });
  const input = h("input", { type: "file", accept: "image/*", capture: "environment",
    class: "visually-hidden", name, dataset: { photoInput: name } });
  const busy = h("span", { class: "muted photo-busy", hidden: true }, t("photo.processing"));
  const button = h("label", { class: "photo-button" }, input,
    icon("camera", "icon photo-icon"),
    h("span", { class: "photo-label" }, t("photo.take")));

  function render() {
    thumbs.replaceChildren(...items.map((item, index) => h("figure", { class: "thumb" },
      h("img", { src: item.url, alt: t("photo.alt", { n: index + 1 }) }),
      h("button", { type: "button", class: "thumb-remove", "aria-label": t("photo.remove"),
        onclick: () => {
          URL.revokeObjectURL(item.url);
          items.splice(index, 1);
          render();
          onChange(items.length);
        } }, "×"))));
    button.hidden = items.length >= MAX_PHOTOS;
    thumbs.dataset.count = String(items.length);
  }

  let processing = Promise.resolve();

  async function add(files) {
    busy.hidden = false;
    try {
      for (const file of files) {
        const blob = await resizePhoto(file);
        items.push({ blob, url: URL.createObjectURL(blob) });
      }
    } finally {
      busy.hidden = true;
      render();
      onChange(items.length);
    }
  }

  input.addEventListener("change", () => {
    const files = [...input.files].slice(0, MAX_PHOTOS - items.length);
    input.value = "";
    processing = processing.then(() => add(files));
  });

  render();
  return {
    el: h("div", { class: "photo-picker" }, thumbs, button, busy),
    /** The resized photos, once every photo being shrunk is done. */
    async photos() {
      await processing;
      return items.map((item) => item.blob);
    },
    clear() {
      for (const item of items) URL.revokeObjectURL(item.url);
      items.length = 0;
      render();
    },
  };
}
