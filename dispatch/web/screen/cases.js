// Open cases: the list with green / yellow / red lights and a live countdown, sortable by
// time left and filterable by light, and a marker per case on the map.

import { byId, clear, h, s } from "../common/dom.js";
import { formatTimeLeft } from "../common/format.js";
import { label, t } from "../common/i18n.js";

export const LIGHTS = Object.freeze(["red", "yellow", "green"]);
const NO_LIGHT = "none";
/** A case in one of these states has left the open list. */
export const CLOSED_STATES = new Set(["closed", "cancelled", "duplicate"]);
/** The clock is paused (挂账): no countdown. */
const PAUSED_STATES = new Set(["suspended"]);
const MARKER_SIZE = 10;
const MARKER_ROTATION_DEG = 45;
const RENDER_DELAY_MS = 40;
const ALL = "all";

/** The case's light: the server's when it says, else from its deadline and yellow time. */
export function lightOf(c, now = Date.now()) {
  if (LIGHTS.includes(c.light)) return c.light;
  if (!Number.isFinite(c.deadline)) return NO_LIGHT;
  if (now >= c.deadline) return "red";
  if (Number.isFinite(c.yellow_at) && now >= c.yellow_at) return "yellow";
  return "green";
}

/** Milliseconds until the deadline (negative when overdue), or null without one. */
export function timeLeft(c, now = Date.now()) {
  return Number.isFinite(c.deadline) ? c.deadline - now : null;
}

export function timeLeftText(c, now = Date.now()) {
  if (PAUSED_STATES.has(c.state)) return t("time.paused");
  if (CLOSED_STATES.has(c.state)) return label("state.", c.state);  // finished: no countdown
  const left = timeLeft(c, now);
  return left === null ? t("time.none") : formatTimeLeft(left);
}

function asCaseList(section) {
  if (Array.isArray(section)) return section;
  if (section && typeof section === "object") {
    return Object.entries(section).map(([id, c]) => ({ id, ...c }));
  }
  return [];
}

export function createCases({ map, names, onSelect = () => {}, onChange = () => {} }) {
  const cases = new Map();
  const markers = new Map();
  const rows = new Map();
  const list = byId("case-list");
  const empty = byId("case-empty");
  const count = byId("case-count");
  const filterBar = byId("light-filter");
  let ascending = true;
  let lightFilter = ALL;
  let selected = null;
  let renderTimer = null;

  byId("case-sort").addEventListener("click", () => {
    ascending = !ascending;
    render();
  });

  function sortKey(c) {
    const left = timeLeft(c);
    return left === null || PAUSED_STATES.has(c.state) ? Infinity : left;
  }

  function sorted() {
    const all = [...cases.values()];
    all.sort((a, b) => {
      const ka = sortKey(a);
      const kb = sortKey(b);
      if (ka === kb) return String(a.id).localeCompare(String(b.id), undefined, { numeric: true });
      if (ka === Infinity) return 1;
      if (kb === Infinity) return -1;
      return ascending ? ka - kb : kb - ka;
    });
    return all;
  }

  function placeMarker(c) {
    let marker = markers.get(c.id);
    const at = map.project(Number(c.lon), Number(c.lat));
    if (!at) {
      marker?.remove();
      markers.delete(c.id);
      return;
    }
    if (!marker) {
      marker = s("g", { class: "case-marker", dataset: { case: c.id },
        onclick: () => onSelect(c.id) },
      s("rect", { x: -MARKER_SIZE / 2, y: -MARKER_SIZE / 2, width: MARKER_SIZE,
        height: MARKER_SIZE, transform: `rotate(${MARKER_ROTATION_DEG})` }),
      s("title"));
      markers.set(c.id, marker);
      map.layers.cases.append(marker);
    }
    marker.setAttribute("transform", `translate(${at[0].toFixed(1)} ${at[1].toFixed(1)})`);
    marker.dataset.light = lightOf(c);
    marker.classList.toggle("selected", selected === c.id);
    marker.querySelector("title").textContent = `${c.id} ${names.item(c.item, c.item_name)}`;
  }

  function row(c) {
    const light = lightOf(c);
    const el = h("li", { class: "case-row", dataset: { case: c.id, light, state: c.state || "" },
      onclick: () => onSelect(c.id) },
    h("span", { class: "light", title: label("light.", light) }),
    h("span", { class: "case-main" },
      h("b", { class: "case-item" }, names.item(c.item, c.item_name) || c.item || c.id),
      h("small", null, `${c.id} · ${c.grid ? `${c.grid} ${names.gridName(c.grid)}` : ""}`)),
    h("span", { class: "case-dept" }, names.department(c.department) || t("time.none")),
    h("span", { class: "case-state" }, label("state.", c.state)),
    h("time", { class: "case-left" }, timeLeftText(c)));
    el.classList.toggle("selected", selected === c.id);
    return el;
  }

  function renderFilter(counts) {
    clear(filterBar);
    const chip = (value, text, n) => h("button", {
      type: "button", class: "chip", dataset: { light: value },
      "aria-pressed": String(lightFilter === value),
      onclick: () => {
        lightFilter = value;
        render();
      },
    }, value === ALL ? null : h("span", { class: "light" }), `${text} ${n}`);
    filterBar.append(chip(ALL, t("cases.all"), cases.size),
      ...LIGHTS.map((light) => chip(light, label("light.", light), counts[light])));
  }

  function render() {
    clearTimeout(renderTimer);
    renderTimer = null;
    const counts = countByLight();
    rows.clear();
    const shown = sorted().filter((c) => lightFilter === ALL || lightOf(c) === lightFilter);
    list.replaceChildren(...shown.map((c) => {
      const el = row(c);
      rows.set(c.id, el);
      return el;
    }));
    empty.hidden = shown.length > 0;
    count.textContent = String(cases.size);
    byId("sort-arrow").textContent = ascending ? "▲" : "▼";
    renderFilter(counts);
    for (const c of cases.values()) placeMarker(c);
  }

  function scheduleRender() {
    if (renderTimer === null) renderTimer = setTimeout(render, RENDER_DELAY_MS);
  }

  function countByLight() {
    const counts = { red: 0, yellow: 0, green: 0, none: 0 };
    for (const c of cases.values()) counts[lightOf(c)] += 1;
    return counts;
  }

  function upsert(c) {
    if (!c || c.id === undefined || c.id === null) return;
    const id = String(c.id);
    if (CLOSED_STATES.has(c.state)) {
      cases.delete(id);
      markers.get(id)?.remove();
      markers.delete(id);
      return;
    }
    cases.set(id, { ...(cases.get(id) || {}), ...c, id });
  }

  return {
    replace(section) {
      cases.clear();
      for (const marker of markers.values()) marker.remove();
      markers.clear();
      for (const c of asCaseList(section)) upsert(c);
      scheduleRender();
      onChange();
    },
    update(c) {
      upsert(c);
      scheduleRender();
      onChange();
    },
    get(id) {
      return cases.get(String(id));
    },
    select(id) {
      selected = id;
      for (const [cid, el] of rows) el.classList.toggle("selected", cid === id);
      for (const [cid, m] of markers) m.classList.toggle("selected", cid === id);
    },
    /** Open cases per grid id. */
    countByGrid() {
      const counts = new Map();
      for (const c of cases.values()) if (c.grid) counts.set(c.grid, (counts.get(c.grid) || 0) + 1);
      return counts;
    },
    countByLight,
    render,
    /** Once a second: the countdowns, and lights the page computes itself. */
    tick() {
      const now = Date.now();
      let changed = false;
      for (const [id, el] of rows) {
        const c = cases.get(id);
        if (!c) continue;
        el.querySelector(".case-left").textContent = timeLeftText(c, now);
        const light = lightOf(c, now);
        if (el.dataset.light !== light) changed = true;
      }
      if (changed) {
        render();
        onChange();
      }
    },
  };
}
