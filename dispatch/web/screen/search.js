// Case search on the desk (GET /api/v1/cases?q=&state=&department=&light=&from=&to=): words
// over id, text, grid, item and department, closed cases included; a click opens the case.
// It takes the place of the open-case list in its panel while it is shown.

import { byId, h } from "../common/dom.js";
import { formatDateTime } from "../common/format.js";
import { label, t } from "../common/i18n.js";
import { lightOf, LIGHTS } from "./cases.js";

const PAGE = 50;
const STATES = ["reported", "dispatched", "accepted", "resolved", "closed", "triage", "reopened",
  "suspended", "duplicate", "cancelled"];
const OPEN = "open";
const CENTRE = "centre";
/** What the open-case list shows in the panel (hidden while searching). */
const OPEN_VIEW = ["case-open-view", "light-filter", "case-count"];

export function createSearch({ api, names, onSelect = () => {} }) {
  const toggle = byId("search-toggle");
  const view = byId("case-search-view");
  const form = byId("search-form");
  const list = byId("search-list");
  const status = byId("search-status");
  const more = byId("search-more");
  let shown = false;
  let results = [];
  let cursor = null;
  let params = null;
  let error = null;
  let busy = false;

  function option(value, text) {
    return h("option", { value }, text);
  }

  function fillChoices() {
    const keep = (name) => form.elements[name].value;
    const state = keep("state");
    const department = keep("department");
    const light = keep("light");
    const any = (name) => option("", t("search.any_of", { what: t(`search.${name}`) }));
    form.elements.state.replaceChildren(any("state"),
      option(OPEN, t("search.open")), ...STATES.map((s) => option(s, label("state.", s))));
    form.elements.department.replaceChildren(any("department"),
      option(CENTRE, names.department(CENTRE)),
      ...names.departments().map((d) => option(d.id, d.name)));
    form.elements.light.replaceChildren(any("light"),
      ...LIGHTS.map((l) => option(l, label("light.", l))));
    form.elements.state.value = state;
    form.elements.department.value = department;
    form.elements.light.value = light;
  }

  function row(c) {
    const light = lightOf(c);
    return h("li", { class: "case-row", dataset: { case: c.id, light, state: c.state || "" },
      onclick: () => onSelect(String(c.id)) },
    h("span", { class: "light", title: label("light.", light) }),
    h("span", { class: "case-main" },
      h("b", { class: "case-item" }, names.item(c.item, c.item_name) || c.item || c.id),
      h("small", null, `${c.id} · ${c.grid ? `${c.grid} ${names.gridName(c.grid)}` : ""}`)),
    h("span", { class: "case-dept" }, names.department(c.department) || t("time.none")),
    h("span", { class: "case-state" }, label("state.", c.state)),
    h("time", { class: "case-left" }, formatDateTime(c.created)));
  }

  function render() {
    fillChoices();
    list.replaceChildren(...results.map(row));
    more.hidden = !cursor;
    const text = error ? t("search.failed", { message: error })
      : params && !results.length && !busy ? t("search.empty")
        : params ? t("search.count", { n: results.length }) : "";
    status.textContent = text;
    status.classList.toggle("error", Boolean(error));
  }

  async function fetchPage(next) {
    busy = true;
    const query = new URLSearchParams({ ...params, limit: String(PAGE) });
    if (next) query.set("cursor", next);
    try {
      const page = await api.get(`/api/v1/cases?${query}`);
      results = next ? [...results, ...page.items] : page.items;
      cursor = page.next_cursor || null;
      error = null;
    } catch (exc) {
      error = exc.message;
    }
    busy = false;
    render();
  }

  function setShown(value) {
    shown = value;
    toggle.setAttribute("aria-pressed", String(shown));
    const heading = byId("cases-heading");
    heading.dataset.i18n = shown ? "cases.tab.search" : "cases.title";
    heading.textContent = t(heading.dataset.i18n);
    view.hidden = !shown;
    for (const id of OPEN_VIEW) {
      const el = byId(id);
      if (el) el.hidden = shown;
    }
    if (shown) form.elements.q.focus();
  }

  toggle.addEventListener("click", () => setShown(!shown));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    params = {};
    for (const name of ["q", "state", "department", "light", "from", "to"]) {
      const value = form.elements[name].value.trim();
      if (value) params[name] = value;
    }
    results = [];
    cursor = null;
    fetchPage(null);
  });
  form.addEventListener("reset", () => {
    params = null;
    results = [];
    cursor = null;
    error = null;
    setTimeout(render, 0);
  });
  more.addEventListener("click", () => cursor && fetchPage(cursor));

  return {
    render,
    isShown: () => shown,
    /** A case changed live: its row follows. */
    update(c) {
      if (!c || !results.some((r) => String(r.id) === String(c.id))) return;
      results = results.map((r) => (String(r.id) === String(c.id) ? { ...r, ...c } : r));
      if (shown) render();
    },
  };
}
