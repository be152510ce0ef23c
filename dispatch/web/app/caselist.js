// A case as one row of a list: its light, id and item, state, department and holder, and the
// time left (ticking: the element carries data-case for the views' tick).

import { h } from "../common/dom.js";
import { label } from "../common/i18n.js";
import { CLOSED_STATES, lightOf, timeLeftText } from "./lights.js";

/**
 * A row for case ``c``; a tap calls onOpen(c); ``extra`` goes under the title; the holder is
 * named unless ``holder`` is false (a list that shows it otherwise).
 */
export function caseRow(c, names, onOpen, extra = null, { holder = true } = {}) {
  return h("li", { class: "case-row", dataset: { case: c.id, state: c.state, light: lightOf(c) } },
    h("button", { type: "button", class: "case-button", onclick: () => onOpen(c) },
      h("span", { class: "light", dataset: { light: lightOf(c) } }),
      h("span", { class: "case-main" },
        h("strong", null, `${c.id} ${names.item(c.item, c.item_name)}`),
        h("small", { class: "muted" }, [label("state.", c.state), names.department(c.department),
          holder ? c.assignee : ""].filter(Boolean).join(" · ")),
        extra),
      h("span", { class: "case-left", dataset: { left: c.id } },
        CLOSED_STATES.has(c.state) ? "" : timeLeftText(c))));
}
