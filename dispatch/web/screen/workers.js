// Grid workers: a marker per worker coloured by state, moved by `positions` deltas, grouped
// into clusters when zoomed out (each cluster shows how many workers it holds and their
// states). A click shows the worker's card: who, where, today's track drawn on the map with
// its direction, and the worker's patrols of the day, each one to replay.

import { h } from "../common/dom.js";
import { formatAgo, formatClock, localDate } from "../common/format.js";
import { label, t } from "../common/i18n.js";
import { fields } from "./card.js";
import { L } from "./leaflet.js";
import { DataIcon } from "./map.js";
import { createTrack, durationText, outsideMs, trackOf } from "./track.js";

export const WORKER_STATES = Object.freeze(["patrolling", "idle", "out_of_grid", "signal_lost",
  "offline"]);
const UNKNOWN_STATE = "unknown";
/** States a cluster draws attention to (its ring pulses). */
const ALARM_STATES = new Set(["out_of_grid", "signal_lost"]);
const STATE_COLOURS = {
  patrolling: "#22d3ee", idle: "#818cf8", out_of_grid: "#fb923c", signal_lost: "#e879f9",
  offline: "#64748b", unknown: "#475569",
};
const PERCENT = 100;
const DOT_PX = 14;
/** Clusters form up to this zoom, within this radius (px); past it every worker is shown. */
const CLUSTER_UNTIL_ZOOM = 16;
const CLUSTER_RADIUS_PX = 22;
const SELECTED_Z = 1000;
const TRACK_REDRAW_MS = 1000;
/** Showing a worker's track zooms in no further than this. */
const TRACK_MAX_ZOOM = 17;

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

/** A cluster's icon: its count over a ring of its workers' states (a conic gradient). */
function clusterIcon(cluster) {
  const counts = {};
  for (const m of cluster.getAllChildMarkers()) {
    const state = m.options.workerState || UNKNOWN_STATE;
    counts[state] = (counts[state] || 0) + 1;
  }
  const total = cluster.getChildCount();
  let angle = 0;
  const stops = [];
  for (const state of [...WORKER_STATES, UNKNOWN_STATE]) {
    if (!counts[state]) continue;
    const next = angle + (counts[state] / total) * 360;
    stops.push(`${STATE_COLOURS[state]} ${angle.toFixed(1)}deg ${next.toFixed(1)}deg`);
    angle = next;
  }
  const alarm = Object.keys(counts).some((s) => ALARM_STATES.has(s));
  const size = total < 10 ? 30 : total < 40 ? 36 : 44;
  const title = t("map.cluster", { count: total });
  return new DataIcon({
    className: `worker-cluster${alarm ? " alarm" : ""}`, iconSize: [size, size],
    html: `<span class="ring"></span><b title="${title}">${total}</b>`,
    styles: { ".ring": { background: `conic-gradient(${stops.join(", ")})` } },
    data: { count: String(total) },
  });
}

/**
 * ``patrols``: the patrol list (rows and the patrol card); ``tolerance`` comes from the map.
 */
export function createWorkers({ map, card, api, names, patrols = null, tracks = true,
  onChange = () => {} }) {
  const workers = new Map();
  const markers = new Map();
  const cluster = L.markerClusterGroup({
    maxClusterRadius: CLUSTER_RADIUS_PX, disableClusteringAtZoom: CLUSTER_UNTIL_ZOOM,
    showCoverageOnHover: false, spiderfyOnMaxZoom: false, zoomToBoundsOnClick: true,
    iconCreateFunction: clusterIcon,
  }).addTo(map.leaflet);
  const track = createTrack(map, { kind: "today" });
  // The open card: {name, fieldsEl, statusEl, patrolsEl, status: [key, vars], date, loaded}
  let open = null;
  let redrawTimer = null;

  function icon(name, w) {
    const state = stateOf(w);
    const selected = open !== null && open.name === name;
    return new DataIcon({
      className: `worker${selected ? " selected" : ""}`, iconSize: [DOT_PX, DOT_PX],
      html: `<span class="dot"></span>`,
      data: { worker: name, state, lon: String(w.lon), lat: String(w.lat) },
    });
  }

  function place(name, w) {
    const at = map.toLatLng(Number(w.lon), Number(w.lat));
    let marker = markers.get(name);
    if (!at) {
      if (marker) cluster.removeLayer(marker);
      markers.delete(name);
      return;
    }
    const state = stateOf(w);
    const title = `${names.workerName(name)} · ${label("worker.state.", state)}`;
    if (!marker) {
      marker = L.marker(at, { icon: icon(name, w), title, keyboard: false, riseOnHover: true,
        workerState: state });
      marker.on("click", () => select(name));
      markers.set(name, marker);
      cluster.addLayer(marker);
      return;
    }
    const moved = !marker.getLatLng().equals(at);
    const changed = marker.options.workerState !== state || marker.options.title !== title;
    marker.options.workerState = state;
    marker.options.title = title;
    marker.setIcon(icon(name, w));
    if (moved) marker.setLatLng(at); // the cluster group follows the move
    else if (changed) cluster.refreshClusters(marker);
    marker.setZIndexOffset(open && open.name === name ? SELECTED_Z : 0);
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
      if (open.loaded && open.date === localDate() && Number.isFinite(w.lon)
          && Number.isFinite(w.lat) && Number.isFinite(w.ts)) {
        scheduleExtend(w);
      }
    }
  }

  function scheduleExtend(w) {
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(() => {
      if (!open || open.name !== w.worker) return;
      track.extend(Number(w.lon), Number(w.lat), Number(w.ts));
      showTrackStatus();
    }, TRACK_REDRAW_MS);
  }

  function refreshCard() {
    if (!open) return;
    const name = open.name;
    const w = workers.get(name) || { worker: name };
    const grid = names.workerGrid(name) || w.grid;
    const at = w.at_grid && w.at_grid !== grid ? ` · ${t("worker.at_grid", { grid: w.at_grid })}` : "";
    card.setTitle(h("span", { class: "dot-inline", dataset: { state: stateOf(w) } }),
      names.workerName(name));
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

  function showTrackStatus() {
    const drawn = track.track;
    if (!drawn || !drawn.points) {
      setStatus("worker.no_track");
      return;
    }
    setStatus("track.summary", { count: drawn.points, stops: drawn.stops.length,
      outside: durationText(outsideMs(drawn)) });
  }

  async function loadTrack(name) {
    try {
      // Without a range the server answers for today in the street's own time zone.
      const path = `/api/v1/workers/${encodeURIComponent(name)}/track`
        + `?tolerance_m=${map.tolerance()}`;
      const feature = await api.get(path);
      if (!open || open.name !== name) return;
      const first = !open.loaded;
      open.loaded = true;
      track.draw(trackOf(feature));
      showTrackStatus();
      // the first time: the map moves to show the whole track beside the card
      if (first && track.bounds()) map.show(track.bounds(), { maxZoom: TRACK_MAX_ZOOM });
    } catch (error) {
      if (open && open.name === name) setStatus("worker.track_error", { message: error.message });
    }
  }

  async function loadPatrols(name) {
    if (!patrols) return;
    const { date } = open;
    try {
      const found = await api.get(`/api/v1/patrols?worker=${encodeURIComponent(name)}`
        + `&date=${encodeURIComponent(date)}`);
      if (!open || open.name !== name || open.date !== date) return;
      const rows = found.items || [];
      open.patrolsEl.replaceChildren(rows.length
        ? h("ol", { class: "patrol-list" }, rows.map((p) => patrols.row(p)))
        : h("p", { class: "muted" }, t("worker.no_patrols")));
    } catch (error) {
      if (open && open.name === name) {
        open.patrolsEl.replaceChildren(h("p", { class: "notice error" },
          t("worker.patrols_error", { message: error.message })));
      }
    }
  }

  function select(name, { reveal = false } = {}) {
    const body = card.open("worker", name, { onClose: () => deselect(name) });
    const dateInput = h("input", { type: "date", class: "patrol-date", value: localDate(),
      "aria-label": t("patrols.date") });
    open = { name, fieldsEl: h("div"), statusEl: h("p", { class: "track-status" }),
      patrolsEl: h("div", { class: "worker-patrols" }), status: ["card.loading", {}],
      date: localDate(), loaded: false };
    dateInput.addEventListener("change", () => {
      if (!open || open.name !== name || !dateInput.value) return;
      open.date = dateInput.value;
      loadPatrols(name);
    });
    if (tracks) {
      body.append(open.fieldsEl, h("h4", { "data-i18n": "worker.track", text: t("worker.track") }),
        open.statusEl);
    } else {
      body.append(open.fieldsEl);
    }
    if (patrols) {
      body.append(h("div", { class: "card-subhead" },
        h("h4", { "data-i18n": "worker.patrols", text: t("worker.patrols") }), dateInput),
      open.patrolsEl);
    }
    refreshCard();
    for (const [n, w] of workers) if (markers.has(n)) place(n, w);
    const marker = markers.get(name);
    if (reveal && marker) cluster.zoomToShowLayer(marker, () => {});
    if (tracks) loadTrack(name);
    loadPatrols(name);
  }

  function deselect(name) {
    open = null;
    clearTimeout(redrawTimer);
    const w = workers.get(name);
    if (w) place(name, w);
    track.clear();
  }

  map.onToleranceChange(() => {
    if (open && open.loaded) loadTrack(open.name);
  });

  return {
    /** Show a worker's card (``reveal``: zoom until their marker is out of its cluster). */
    select,
    replace(section) {
      const list = asWorkerList(section);
      const keep = new Set(list.map((w) => w.worker || w.username));
      for (const [name, marker] of markers) {
        if (!keep.has(name)) {
          cluster.removeLayer(marker);
          markers.delete(name);
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
    patch(name, changes) {
      const w = workers.get(name);
      if (!w) return;
      Object.assign(w, changes);
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
      cluster.refreshClusters();
      refreshCard();
      if (open) loadPatrols(open.name);
    },
    /** Once a second: the open card's "how long ago". */
    tick() {
      refreshCard();
    },
  };
}
