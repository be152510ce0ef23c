// Small line-art icons drawn as SVG (no icon font, no emoji: phones differ in what they have).

import { s } from "../common/dom.js";

const PATHS = {
  pin: "M12 2C8.1 2 5 5.1 5 9c0 5.2 7 13 7 13s7-7.8 7-13c0-3.9-3.1-7-7-7zm0 9.5a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z",
  camera: "M9 3 7.2 5H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6z",
  list: "M4 5h2v2H4zm4 0h12v2H8zM4 11h2v2H4zm4 0h12v2H8zM4 17h2v2H4zm4 0h12v2H8z",
  briefcase: "M9 3h6a2 2 0 0 1 2 2v2h3a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2h3V5a2 2 0 0 1 2-2zm0 2v2h6V5H9z",
  people: "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM1 20c0-3.3 3.6-6 8-6s8 2.7 8 6v1H1zm17.5 1v-1c0-1.9-.8-3.6-2.1-4.9 3.5.2 6.6 2.2 6.6 4.9v1z",
  warning: "M12 2 1 21h22L12 2zm-1 7h2v6h-2zm0 8h2v2h-2z",
};

/** The icon ``name`` as an inline SVG (coloured by the text colour). */
export function icon(name, className = "icon") {
  return s("svg", { class: className, viewBox: "0 0 24 24", "aria-hidden": "true" },
    s("path", { d: PATHS[name], "fill-rule": "evenodd" }));
}
