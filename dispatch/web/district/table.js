// The district's totals across the top, and a row of figures per street; a street's name
// opens its own command screen (a link to /?street=CODE), and hovering a row marks the
// street on the map.

import { byId, h } from "../common/dom.js";
import { localName, t } from "../common/i18n.js";
import { FIGURES, shown, TOTAL_TILES } from "./figures.js";

/** The command screen of ``code``, drilled down to from the district. */
export function streetHref(code) {
  return `/?street=${encodeURIComponent(code)}`;
}

/** ``names``: code -> {name, name_en}; ``onHover(code | null)``. */
export function createTable({ names, onHover = () => {} }) {
  let view = { streets: [], totals: {} };

  function nameOf(code) {
    return localName(names.get(code), code);
  }

  function renderTotals() {
    const totals = view.totals || {};
    byId("totals").replaceChildren(...TOTAL_TILES.map(({ key, tone }) => {
      const v = totals[key];
      return h("div", { class: "figure", dataset: { figure: key,
        tone: tone && Number.isFinite(v) && v > 0 ? tone : "" } },
        h("span", { class: "figure-value" }, shown(key, v)),
        h("span", { class: "figure-label" }, t(`dfig.${key}`)));
    }));
  }

  function cells(row) {
    return FIGURES.map(({ key, tone }) => h("td", { class: "num", dataset: { figure: key,
      tone: tone && row[key] > 0 ? tone : "" } }, shown(key, row[key])));
  }

  function render() {
    byId("streets-head").replaceChildren(h("th", null, t("district.col.street")),
      ...FIGURES.map(({ key }) => h("th", { class: "num" }, t(`dfig.${key}`))));
    byId("streets-body").replaceChildren(...(view.streets || []).map((row) => h("tr", {
      dataset: { street: row.street },
      onmouseenter: () => onHover(row.street), onmouseleave: () => onHover(null) },
    h("td", null, h("a", { href: streetHref(row.street), class: "street-link",
      title: t("district.open_street", { street: nameOf(row.street) }) }, nameOf(row.street))),
    ...cells(row))), h("tr", { class: "total-row" }, h("td", null, t("district.total")),
      ...cells(view.totals || {})));
    renderTotals();
  }

  return {
    replace(next) {
      view = next;
      render();
    },
    rows: () => view.streets || [],
    nameOf,
    render,
  };
}
