// Patrols on the screen: the list of a day's patrols (GET /api/v1/patrols?date=), filtered by
// status, and a patrol's card with its figures and stops; any patrol with a track is replayed
// from its row or its card (see replay.js). Names, not codes: the worker's own name, the
// window as people call it (上午巡查), the status in words, times in the street's zone.

import { h } from "../common/dom.js";
import { formatDistance, formatDuration, formatPercent, formatTime, localDate,
  SECOND_MS } from "../common/format.js";
import { t } from "../common/i18n.js";
import { fields } from "./card.js";
import { durationText } from "./track.js";

export const PATROL_STATUSES = Object.freeze(["in_progress", "complete", "incomplete", "missed"]);
const ALL = "all";
const MISSED = "missed";
const IN_PROGRESS = "in_progress";
/** A listed patrol has its figures once it has ended (one in progress: on its card). */
const MEASURED = new Set(["complete", "incomplete"]);
const EXTRA = "extra";

/** Whether a patrol has a walk to replay (a missed one has none). */
export function replayable(p) {
  return p.status !== MISSED;
}

export function patrolWindowText(p, names) {
  if (p.kind === EXTRA) return t("patrol.kind.extra");
  const name = p.window && typeof p.window === "object" ? p.window.name : p.window;
  return names.patrolWindow(name);
}

function timeRange(p) {
  const end = Number.isFinite(p.end) ? formatTime(p.end) : "…";
  return `${formatTime(p.start)}–${end}`;
}

/**
 * ``replay``: the replay bar (open(patrol)); ``onWorker(name)``: show a worker's card.
 */
export function createPatrols({ api, card, names, replay, onWorker = () => {} }) {
  // The open list: {date, status, items, listEl, noticeEl}
  let list = null;
  // The open patrol card: {patrol, stops (null until its track is loaded)}
  let shown = null;

  function row(p) {
    const canReplay = replayable(p);
    const statusText = t(`patrol.status.${p.status}`);
    return h("li", { class: "patrol-row", dataset: { patrol: p.id, status: p.status,
      kind: p.kind || "window" }, onclick: () => show(p) },
    h("span", { class: "patrol-status", title: statusText }),
    h("span", { class: "patrol-main" },
      h("b", null, `${names.workerName(p.worker)} · ${patrolWindowText(p, names)}`),
      h("small", null, [p.grid ? `${p.grid} ${names.gridName(p.grid)}` : "", timeRange(p)]
        .filter(Boolean).join(" · "))),
    h("span", { class: "patrol-figures" },
      h("span", null, statusText),
      h("small", null, MEASURED.has(p.status) ? `${formatDistance(p.distance_m)} · `
        + `${formatPercent(p.coverage, 0)}` : "")),
    h("button", { type: "button", class: "patrol-replay", disabled: !canReplay,
      "aria-label": t("patrol.replay"), title: t("patrol.replay"),
      onclick: (event) => {
        event.stopPropagation();
        if (canReplay) show(p, { play: true });
      } }, "▶"));
  }

  function renderList() {
    if (!list) return;
    const counts = Object.fromEntries(PATROL_STATUSES.map((s) => [s, 0]));
    for (const p of list.items) counts[p.status] = (counts[p.status] || 0) + 1;
    const chip = (value, text, n) => h("button", { type: "button", class: "chip",
      dataset: { status: value }, "aria-pressed": String(list.status === value),
      onclick: () => {
        list.status = value;
        renderList();
      } }, `${text} ${n}`);
    list.chipsEl.replaceChildren(chip(ALL, t("patrols.all"), list.items.length),
      ...PATROL_STATUSES.map((s) => chip(s, t(`patrol.status.${s}`), counts[s])));
    const rows = list.items.filter((p) => list.status === ALL || p.status === list.status);
    list.listEl.replaceChildren(...rows.map(row));
    list.noticeEl.hidden = rows.length > 0;
    list.noticeEl.textContent = list.error ? t("patrols.error", { message: list.error })
      : t("patrols.empty");
  }

  async function loadList() {
    const { date } = list;
    try {
      const found = await api.get(`/api/v1/patrols?date=${encodeURIComponent(date)}`);
      if (!list || list.date !== date) return;
      list.items = found.items || [];
      list.error = null;
    } catch (error) {
      if (!list || list.date !== date) return;
      list.items = [];
      list.error = error.message;
    }
    renderList();
  }

  /** The card listing a day's patrols (default today, in the street's zone). */
  function openList(date = localDate()) {
    const body = card.open("patrols", date, { onClose: () => { list = null; } });
    card.setTitle(t("patrols.title"));
    const dateInput = h("input", { type: "date", class: "patrol-date", value: date,
      "aria-label": t("patrols.date") });
    list = { date, status: ALL, items: [], error: null, chipsEl: h("div", { class: "patrol-chips" }),
      listEl: h("ol", { class: "patrol-list", id: "patrol-list" }),
      noticeEl: h("p", { class: "muted" }, t("card.loading")) };
    dateInput.addEventListener("change", () => {
      if (!list || !dateInput.value) return;
      list.date = dateInput.value;
      loadList();
    });
    body.append(h("div", { class: "card-subhead" },
      h("label", null, t("patrols.date"), " ", dateInput)), list.chipsEl, list.listEl,
    list.noticeEl);
    loadList();
  }

  function renderCard() {
    if (!shown) return;
    const p = shown.patrol;
    card.setTitle(h("span", { class: "patrol-status", dataset: { status: p.status } }),
      t("patrol.title", { worker: names.workerName(p.worker), window: patrolWindowText(p, names) }));
    const body = document.getElementById("card-body");
    const stops = shown.stops;
    body.replaceChildren(...[
      fields([
        [t("patrol.worker"), h("a", { href: "#", class: "worker-link", onclick: (event) => {
          event.preventDefault();
          onWorker(p.worker);
        } }, `${names.workerName(p.worker)} (${p.worker})`)],
        [t("patrol.grid"), p.grid ? `${p.grid} ${names.gridName(p.grid)}` : ""],
        [t("patrol.window"), `${patrolWindowText(p, names)} · ${p.date || ""}`],
        [t("patrol.time"), timeRange(p)],
        [t("patrol.status"), t(`patrol.status.${p.status}`)],
        [t("patrol.distance"), formatDistance(p.distance_m)],
        [t("patrol.duration"), formatDuration((p.duration_s || 0) * SECOND_MS)],
        [t("patrol.coverage"), formatPercent(p.coverage, 0)],
        [t("patrol.outside"), formatDuration((p.outside_grid_s || 0) * SECOND_MS)],
      ]),
      replayable(p) ? h("button", { type: "button", class: "patrol-replay-open",
        onclick: () => replay.open(p) }, `▶ ${t("patrol.replay")}`) : null,
      stops ? h("section", { class: "patrol-stops" }, h("h4", null, t("patrol.stops")),
        stops.length ? h("ol", null, stops.map((s) => h("li", { dataset: { from: String(s.from) },
          onclick: () => replay.seek(s.from) },
        `${formatTime(s.from)}–${formatTime(s.to)} · ${durationText(s.to - s.from)}`)))
          : h("p", { class: "muted" }, t("patrol.no_stops"))) : null,
    ].filter(Boolean));
  }

  /** A patrol's card; with a track, its replay opens too (``play``: and starts). */
  function show(p, { play = false } = {}) {
    card.open("patrol", p.id, { onClose: () => { shown = null; } });
    shown = { patrol: p, stops: null };
    renderCard();
    if (p.status === IN_PROGRESS) {  // its figures so far
      api.get(`/api/v1/patrols/${encodeURIComponent(p.id)}`).then((now) => {
        if (shown && shown.patrol.id === p.id) {
          shown.patrol = now;
          renderCard();
        }
      }).catch(() => {});
    }
    if (replayable(p)) {
      replay.open(p, { play, onTrack: (track) => {
        if (shown && shown.patrol.id === p.id) {
          shown.stops = track ? track.stops : [];
          renderCard();
        }
      } });
    }
  }

  return {
    openList,
    show,
    /** A patrol's row (for a worker's card). */
    row,
    render() {
      renderList();
      renderCard();
    },
  };
}
