// The district's totals across the top, and a row of figures per street; a street's name
// opens its own command screen (a link to /?street=CODE), and hovering a row marks the
// street on the map.

import { byId, h } from "../common/dom.js";
import { localName, t } from "../common/i18n.js";
import { figure, FIGURES, shown, TOTAL_TILES } from "./figures.js";

/** The command screen of ``code``, drilled down to from the district. */
export function streetHref(code) {
  return `/?street=${encodeURIComponent(code)}`;
}

/** The district's order of the streets (the street column's sort). */
const BY_STREET = "street";

/** Rows sorted by ``key``, the worst first (most for a count, least for a rate; no value
 * last), or in the district's order. */
export function sortedRows(rows, key, worstFirst = true) {
  if (key === BY_STREET) return rows;
  const rate = figure(key).kind === "rate";
  const known = rows.filter((r) => Number.isFinite(r[key]));
  const unknown = rows.filter((r) => !Number.isFinite(r[key]));
  const worse = (a, b) => (rate ? a[key] - b[key] : b[key] - a[key]);
  known.sort((a, b) => (worstFirst ? worse(a, b) : -worse(a, b)));
  return [...known, ...unknown];
}

/** ``names``: code -> {name, name_en}; ``onHover(code | null)``. */
export function createTable({ names, onHover = () => {} }) {
  let view = { streets: [], totals: {} };
  let sort = { key: BY_STREET, worstFirst: true };

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

  function header(key, text, cls = null) {
    const active = sort.key === key;
    const arrow = active && key !== BY_STREET ? (sort.worstFirst ? " ▼" : " ▲") : "";
    return h("th", { class: cls, dataset: { sort: key }, "aria-sort": active && key !== BY_STREET
      ? (sort.worstFirst ? "descending" : "ascending") : null },
    h("button", { type: "button", class: "sort", title: t("district.sort"), onclick: () => {
      sort = { key, worstFirst: active && key !== BY_STREET ? !sort.worstFirst : true };
      render();
    } }, text + arrow));
  }

  function render() {
    byId("streets-head").replaceChildren(header(BY_STREET, t("district.col.street")),
      ...FIGURES.map(({ key }) => header(key, t(`dfig.${key}`), "num")));
    const rows = sortedRows(view.streets || [], sort.key, sort.worstFirst);
    byId("streets-body").replaceChildren(...rows.map((row) => h("tr", {
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
