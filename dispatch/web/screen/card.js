// The one floating card over the map: a case's detail or a worker's info. Opening a card
// closes the one before (its onClose cleans up: a track, photo URLs).

import { byId, clear, h } from "../common/dom.js";

export function createCard() {
  const root = byId("card");
  const title = byId("card-title");
  const body = byId("card-body");
  let current = null;

  function close() {
    if (!current) return;
    const { onClose } = current;
    current = null;
    root.hidden = true;
    delete root.dataset.kind;
    delete root.dataset.key;
    clear(body);
    onClose();
  }

  byId("card-close").addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });

  return {
    /** Open a card of ``kind`` for ``key`` (e.g. "case", "C12"); returns its body element. */
    open(kind, key, { onClose = () => {} } = {}) {
      close();
      current = { kind, key, onClose };
      root.dataset.kind = kind;
      root.dataset.key = key;
      root.hidden = false;
      return body;
    },
    setTitle(...parts) {
      title.replaceChildren(...parts);
    },
    isOpen(kind, key) {
      return current !== null && current.kind === kind && (key === undefined || current.key === key);
    },
    close,
  };
}

/** A definition list of [label, value] rows; values may be nodes. */
export function fields(rows) {
  return h("dl", { class: "fields" }, rows.filter(([, value]) => value !== null && value !== "")
    .map(([label, value, attrs]) => [h("dt", null, label), h("dd", attrs || null, value)]));
}
