// Grid workers: a dot per worker coloured by state, moved by `positions` deltas (the CSS
// transition makes the move smooth); a click shows the worker's card and today's track.

import { h, s } from "../common/dom.js";
import { formatAgo, formatClock } from "../common/format.js";
import { label, t } from "../common/i18n.js";
import { linesOf } from "../common/map.js";
import { fields } from "./card.js";

export const WORKER_STATES = Object.freeze(["patrolling", "idle", "out_of_grid", "signal_lost",
  "offline"]);
const UNKNOWN_STATE = "unknown";
const DOT_RADIUS = 5;
const HALO_RADIUS = 10;
const PERCENT = 100;

/** A list of items, or an object keyed by user name, as a list of items with `worker`. */
export function asWorkerList(section) {
  if (Array.isArray(section)) return section.filter((w) => w && (w.worker || w.username));
  if (section && typeof section === "object") {
    return Object.entries(section).map(([worker, w]) => ({ worker, ...w }));
  }
  return [];
}

/**
 * A snapshot row or a `positions` item as one flat record: the newest fix may come nested
 * (`position: {lat, lon, ts, batt, grid}`); the grid a fix lies in is `at_grid`, the grid
 * the worker is responsible for stays `grid` (a snapshot row's own `grid`).
 */
function flatten(item, { fromSnapshot }) {
  const { position, ...w } = item;
  if (position && typeof position === "object") {
    Object.assign(w, { lat: position.lat, lon: position.lon, ts: position.ts,
      batt: position.batt ?? w.batt, at_grid: position.grid ?? null });
  } else if (!fromSnapshot && "grid" in w) {
    w.at_grid = w.grid;
    delete w.grid;
  }
  return w;
}

/**
 * What the screen shows of a worker: the server's presence (online / signal_lost /
 * offline) with its patrol and out-of-grid flags, or a state already in these terms.
 */
export function stateOf(w) {
  if (w.state === "offline" || w.state === "signal_lost") return w.state;
  if (w.out_of_grid === true || w.state === "out_of_grid") return "out_of_grid";
  if (w.state === "patrolling" || (w.state === "online" && w.patrol)) return "patrolling";
  if (w.state === "idle" || w.state === "online") return "idle";
  return UNKNOWN_STATE;
}

function batteryOf(w) {
  const raw = w.batt ?? w.battery ?? w.battery_level;
  if (!Number.isFinite(raw)) return null;
  return `${Math.round(raw <= 1 ? raw * PERCENT : raw)}%`;
}

export function createWorkers({ map, card, api, names, onChange = () => {} }) {
  const workers = new Map();
  const dots = new Map();
  // The open card: {name, fieldsEl, statusEl, status: [key, vars], lines}
  let open = null;

  function place(name, w) {
    const at = map.project(Number(w.lon), Number(w.lat));
    let dot = dots.get(name);
    if (!at) {
      if (dot) dot.remove();
      dots.delete(name);
      return;
    }
    if (!dot) {
      dot = s("g", { class: "worker", dataset: { worker: name },
        onclick: () => select(name) },
      s("circle", { class: "halo", r: HALO_RADIUS }),
      s("circle", { class: "dot", r: DOT_RADIUS }),
      s("title"));
      dots.set(name, dot);
      map.layers.workers.append(dot);
    }
    const [x, y] = at;
    dot.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`;
    dot.dataset.lon = String(w.lon);
    dot.dataset.lat = String(w.lat);
    dot.dataset.state = stateOf(w);
    dot.classList.toggle("selected", open !== null && open.name === name);
    dot.querySelector("title").textContent = `${w.name || name} · ${label("worker.state.", stateOf(w))}`;
  }

  function merge(raw, fromSnapshot = false) {
    const name = raw.worker || raw.username;
    const item = flatten(raw, { fromSnapshot });
    const known = workers.get(name);
    // Only the newest fix moves a worker (a late or replayed one never moves it back).
    if (known && Number.isFinite(known.ts) && Number.isFinite(item.ts) && item.ts < known.ts) return;
    const w = { ...(known || {}), ...item, worker: name };
    workers.set(name, w);
    place(name, w);
    if (open && open.name === name) {
      refreshCard();
      if (open.lines && Number.isFinite(w.lon) && Number.isFinite(w.lat)) {
        if (!open.lines.length) open.lines.push([]);
        open.lines[open.lines.length - 1].push([w.lon, w.lat]);
        map.drawTrack(open.lines);
      }
    }
  }

  function refreshCard() {
    if (!open) return;
    const name = open.name;
    const w = workers.get(name) || { worker: name };
    const grid = names.workerGrid(name) || w.grid;
    const at = w.at_grid && w.at_grid !== grid ? ` · ${t("worker.at_grid", { grid: w.at_grid })}` : "";
    card.setTitle(h("span", { class: "dot-inline", dataset: { state: stateOf(w) } }),
      w.name || name);
    open.fieldsEl.replaceChildren(fields([
      [t("worker.username"), name],
      [t("worker.grid"), grid ? `${grid} ${names.gridName(grid)}${at}` : ""],
      [t("worker.state"), label("worker.state.", stateOf(w))],
      [t("worker.battery"), batteryOf(w) || t("time.none")],
      [t("worker.fix"), Number.isFinite(w.ts) ? `${formatClock(w.ts)} (${formatAgo(w.ts)})`
        : t("time.none")],
    ]));
    const [key, vars] = open.status;
    open.statusEl.textContent = t(key, vars);
  }

  function setStatus(key, vars = {}) {
    open.status = [key, vars];
    open.statusEl.textContent = t(key, vars);
  }

  async function loadTrack(name) {
    try {
      // Without a date the server answers for today in the street's own time zone (the
      // browser's may differ).
      const path = `/api/v1/workers/${encodeURIComponent(name)}/track`;
      const feature = await api.get(path);
      if (!open || open.name !== name) return;
      open.lines = linesOf(feature).map((line) => line.slice());
      map.drawTrack(open.lines);
      const count = open.lines.reduce((n, line) => n + line.length, 0);
      if (count) setStatus("worker.track_points", { count });
      else setStatus("worker.no_track");
    } catch (error) {
      if (open && open.name === name) setStatus("worker.track_error", { message: error.message });
    }
  }

  function select(name) {
    const body = card.open("worker", name, { onClose: () => deselect(name) });
    open = { name, fieldsEl: h("div"), statusEl: h("p", { class: "track-status" }),
      status: ["card.loading", {}], lines: null };
    body.append(open.fieldsEl, h("h4", { "data-i18n": "worker.track", text: t("worker.track") }),
      open.statusEl);
    refreshCard();
    for (const [n, dot] of dots) dot.classList.toggle("selected", n === name);
    loadTrack(name);
  }

  function deselect(name) {
    dots.get(name)?.classList.remove("selected");
    open = null;
    map.clearTrack();
  }

  return {
    select,
    replace(section) {
      const list = asWorkerList(section);
      const keep = new Set(list.map((w) => w.worker || w.username));
      for (const [name, dot] of dots) {
        if (!keep.has(name)) {
          dot.remove();
          dots.delete(name);
        }
      }
      workers.clear();
      for (const item of list) merge(item, true);
      onChange();
    },
    update(items) {
      for (const item of asWorkerList(items)) merge(item);
      onChange();
    },
    get(name) {
      return workers.get(name);
    },
    /** Change what is known of a worker without a new fix (e.g. an alert opened or closed). */
    patch(name, fields) {
      const w = workers.get(name);
      if (!w) return;
      Object.assign(w, fields);
      place(name, w);
      refreshCard();
      onChange();
    },
    /** How many workers are in each state (unknown included). */
    counts() {
      const counts = Object.fromEntries([...WORKER_STATES, UNKNOWN_STATE].map((st) => [st, 0]));
      for (const w of workers.values()) counts[stateOf(w)] += 1;
      return counts;
    },
    stateOf(name) {
      const w = workers.get(name);
      return w ? stateOf(w) : null;
    },
    /** Re-draw the texts (after a language switch) and the open card. */
    render() {
      for (const [name, w] of workers) place(name, w);
      refreshCard();
    },
    /** Once a second: the open card's "how long ago". */
    tick() {
      refreshCard();
    },
  };
}
