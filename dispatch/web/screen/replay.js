// A patrol's replay: its track (GET /api/v1/patrols/{id}/track) drawn on the map, a bar over
// the map's foot with play / pause, speed ×1 / ×10 / ×60 and a time slider on which the time
// outside the grid is shaded and the stops (停留) are ticked; the worker's position moves
// along the track as the time goes. Times in the street's zone.

import { byId, h } from "../common/dom.js";
import { formatClock, formatDistance, formatPercent } from "../common/format.js";
import { t } from "../common/i18n.js";
import { L } from "./leaflet.js";
import { DataIcon } from "./map.js";
import { createTrack, trackOf } from "./track.js";

export const SPEEDS = Object.freeze([1, 10, 60]);
const DEFAULT_SPEED = 10;
const SLIDER_STEP_MS = 1000;
const FIT_MAX_ZOOM = 18;
const DOT_PX = 18;
const DOT_Z = 2000;
const PERCENT = 100;

/** ``windowText(patrol)``: the patrol's window as people call it (from patrols.js). */
export function createReplay({ map, api, names, windowText = () => "" }) {
  const root = byId("replay");
  const wrap = root.closest(".map-wrap");
  const track = createTrack(map, { kind: "replay", onStop: (stop) => seek(stop.from) });
  // The replay open: {patrol, track, start, end, t, playing, speed, frame, last, onTrack}
  let state = null;
  let dot = null;
  const el = {};

  function build() {
    el.title = h("b", { class: "replay-title" });
    el.info = h("span", { class: "replay-info" });
    el.play = h("button", { type: "button", class: "replay-play", onclick: () => toggle() });
    el.speeds = h("div", { class: "replay-speeds", role: "group" }, SPEEDS.map((speed) =>
      h("button", { type: "button", dataset: { speed: String(speed) },
        onclick: () => setSpeed(speed) }, `×${speed}`)));
    el.bands = h("div", { class: "replay-bands" });
    el.slider = h("input", { type: "range", class: "replay-slider", min: "0", max: "1",
      step: String(SLIDER_STEP_MS), value: "0" });
    el.slider.addEventListener("input", () => seek(Number(el.slider.value)));
    el.time = h("time", { class: "replay-time" });
    el.span = h("small", { class: "replay-span muted" });
    el.status = h("span", { class: "replay-status" });
    el.close = h("button", { type: "button", class: "replay-close", onclick: () => close() }, "×");
    root.replaceChildren(
      h("header", { class: "replay-head" }, el.title, el.info, el.status, el.close),
      h("div", { class: "replay-controls" }, el.play, el.speeds,
        h("div", { class: "replay-scrub" }, el.bands, el.slider),
        h("span", { class: "replay-clock" }, el.time, el.span)));
    renderTexts();
  }

  function renderTexts() {
    if (!el.play) return;
    const playing = Boolean(state && state.playing);
    el.play.textContent = playing ? "❚❚" : "▶";
    el.play.title = t(playing ? "replay.pause" : "replay.play");
    el.play.setAttribute("aria-label", el.play.title);
    el.close.title = t("replay.close");
    el.close.setAttribute("aria-label", el.close.title);
    el.slider.setAttribute("aria-label", t("replay.slider"));
    el.speeds.setAttribute("aria-label", t("replay.speed"));
    if (!state) return;
    const p = state.patrol;
    el.title.textContent = `${t("replay.title")} · ${names.workerName(p.worker)}`;
    el.info.textContent = [p.grid ? `${p.grid} ${names.gridName(p.grid)}` : "", windowText(p),
      p.date || "", t(`patrol.status.${p.status}`), formatDistance(p.distance_m),
      `${t("patrol.coverage")} ${formatPercent(p.coverage, 0)}`].filter(Boolean).join(" · ");
    for (const b of el.speeds.children) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.speed) === state.speed));
    }
  }

  /** The slider's shading: time outside the grid, and a tick per stop. */
  function renderBands() {
    const span = Math.max(1, state.end - state.start);
    const at = (ts) => `${(((ts - state.start) / span) * PERCENT).toFixed(3)}%`;
    const width = (a, b) => `${(((b - a) / span) * PERCENT).toFixed(3)}%`;
    const drawn = state.track;
    el.progress = h("span", { class: "replay-progress" });
    el.bands.replaceChildren(el.progress,
      ...drawn.outside.map((s) => h("span", { class: "replay-outside",
        title: t("replay.outside"), style: `left: ${at(s.from)}; width: ${width(s.from, s.to)}`,
        dataset: { from: String(s.from), to: String(s.to) } })),
      ...drawn.stops.map((s) => h("span", { class: "replay-stop",
        title: t("replay.stop"), style: `left: ${at(s.from)}; width: ${width(s.from, s.to)}`,
        dataset: { from: String(s.from), to: String(s.to) } })));
  }

  function placeDot(where) {
    if (!where) return;
    const data = { state: where.gap ? "gap" : where.outside ? "outside" : "inside" };
    const icon = new DataIcon({ className: "replay-dot", iconSize: [DOT_PX, DOT_PX], data,
      html: where.deg === null ? "<i></i>" : '<i class="heading"></i>',
      styles: where.deg === null ? {}
        : { "i.heading": { transform: `rotate(${where.deg.toFixed(0)}deg)` } } });
    if (!dot) {
      dot = L.marker(where.latlng, { icon, interactive: false, keyboard: false,
        zIndexOffset: DOT_Z }).addTo(map.leaflet);
    } else {
      dot.setLatLng(where.latlng);
      dot.setIcon(icon);
    }
  }

  function show() {
    if (!state) return;
    const where = track.setProgress(state.t);
    placeDot(where);
    el.slider.value = String(state.t);
    if (el.progress) {
      const share = (state.t - state.start) / Math.max(1, state.end - state.start);
      el.progress.style.width = `${(share * PERCENT).toFixed(2)}%`;
    }
    el.time.textContent = formatClock(state.t);
    el.status.textContent = where && where.gap ? t("replay.gap")
      : where && where.outside ? t("replay.outside") : "";
    el.status.dataset.state = where && where.gap ? "gap" : where && where.outside ? "outside" : "";
    root.dataset.t = String(Math.round(state.t));
    root.dataset.playing = String(state.playing);
    root.dataset.speed = String(state.speed);
  }

  function frame(now) {
    if (!state || !state.playing) return;
    const elapsed = state.last === null ? 0 : now - state.last;
    state.last = now;
    state.t = Math.min(state.end, state.t + elapsed * state.speed);
    if (state.t >= state.end) state.playing = false;
    show();
    renderTexts();
    if (state.playing) state.frame = requestAnimationFrame(frame);
  }

  function play() {
    if (!state || !state.track || state.playing) return;
    if (state.t >= state.end) state.t = state.start;
    state.playing = true;
    state.last = null;
    state.frame = requestAnimationFrame(frame);
    renderTexts();
    show();
  }

  function pause() {
    if (!state) return;
    state.playing = false;
    cancelAnimationFrame(state.frame);
    renderTexts();
    show();
  }

  function toggle() {
    if (state && state.playing) pause();
    else play();
  }

  function setSpeed(speed) {
    if (!state) return;
    state.speed = speed;
    renderTexts();
    show();
  }

  function seek(ts) {
    if (!state || !state.track || !Number.isFinite(ts)) return;
    state.t = Math.min(state.end, Math.max(state.start, ts));
    state.last = null;
    show();
  }

  async function load(patrol, { fit }) {
    const id = patrol.id;
    try {
      const feature = await api.get(`/api/v1/patrols/${encodeURIComponent(id)}/track`
        + `?tolerance_m=${map.tolerance()}`);
      if (!state || state.patrol.id !== id) return;
      const drawn = trackOf(feature);
      state.track = drawn;
      track.draw(drawn);
      if (!drawn.coords.length) {
        el.status.textContent = t("replay.no_track");
        state.onTrack(drawn);
        return;
      }
      state.start = drawn.times[0];
      state.end = drawn.times[drawn.times.length - 1];
      if (!Number.isFinite(state.t) || state.t < state.start || state.t > state.end) {
        state.t = state.start;
      }
      el.slider.min = String(state.start);
      el.slider.max = String(state.end);
      el.span.textContent = ` / ${formatClock(state.start)}–${formatClock(state.end)}`;
      renderBands();
      if (fit && track.bounds()) map.show(track.bounds(), { maxZoom: FIT_MAX_ZOOM });
      show();
      state.onTrack(drawn);
      if (state.autoplay) {
        state.autoplay = false;
        play();
      }
    } catch (error) {
      if (state && state.patrol.id === id) {
        el.status.textContent = t("replay.error", { message: error.message });
        state.onTrack(null);
      }
    }
  }

  /** Replay ``patrol`` (``play``: start at once; ``onTrack(track)``: when it is loaded). */
  function open(patrol, { play: autoplay = false, onTrack = () => {} } = {}) {
    if (state && state.patrol.id === patrol.id) {
      state.onTrack = onTrack;
      if (state.track) onTrack(state.track);
      if (autoplay) play();
      return;
    }
    if (state) cancelAnimationFrame(state.frame);
    if (!el.play) build();
    state = { patrol, track: null, start: patrol.start, end: patrol.end ?? patrol.start,
      t: NaN, playing: false, speed: DEFAULT_SPEED, frame: 0, last: null, onTrack, autoplay };
    root.hidden = false;
    root.dataset.patrol = patrol.id;
    wrap.classList.add("replaying");
    el.bands.replaceChildren();
    el.progress = null;
    el.time.textContent = "";
    el.span.textContent = "";
    el.status.textContent = t("replay.loading");
    renderTexts();
    track.clear();
    load(patrol, { fit: true });
  }

  function close() {
    if (state) cancelAnimationFrame(state.frame);
    state = null;
    root.hidden = true;
    delete root.dataset.patrol;
    wrap.classList.remove("replaying");
    track.clear();
    if (dot) {
      dot.remove();
      dot = null;
    }
  }

  map.onToleranceChange(() => {
    if (state && state.track) load(state.patrol, { fit: false });
  });

  return {
    open,
    close,
    seek,
    play,
    pause,
    isOpen: () => state !== null,
    render() {
      renderTexts();
      if (state && state.track) {
        renderBands();
        show();
      }
    },
  };
}
