// A track on the map, from a GeoJSON Feature with properties.times (ms, one per vertex),
// stops ([{lat, lon, from, to}]), outside and gaps ([{from, to}]): a bright line over a
// dark casing, arrows along it every so many pixels (its direction), the parts outside the
// grid in orange, silences dashed, the start and end, and the stops (停留) marked.
// A replay also shows the part already walked (setProgress).

import { formatTime, MINUTE_MS } from "../common/format.js";
import { t } from "../common/i18n.js";
import { DataIcon } from "./map.js";
import { L } from "./leaflet.js";

/** Arrows this far apart along the line (px), and never more than so many. */
const ARROW_SPACING_PX = 60;
const MAX_ARROWS = 400;
/** An arrow points along this much of the line either side of it (px). */
const ARROW_BASE_PX = 14;
/** Two vertices further apart in time are not joined by a walk (the server says its own). */
const DEFAULT_GAP_MS = 5 * MINUTE_MS;
const MINUTES_PER_HOUR = 60;
const RAD_TO_DEG = 180 / Math.PI;

/** A stay's length as people read it: "7 分钟", "1 小时 5 分". */
export function durationText(ms) {
  const minutes = Math.max(0, Math.round(ms / MINUTE_MS));
  if (minutes < MINUTES_PER_HOUR) return t("duration.min", { m: minutes });
  return t("duration.h_min", { h: Math.floor(minutes / MINUTES_PER_HOUR),
    m: minutes % MINUTES_PER_HOUR });
}

/** The drawable parts of a track Feature (an empty track when it has no line). */
export function trackOf(feature) {
  const geometry = feature && feature.geometry;
  const props = (feature && feature.properties) || {};
  const coords = geometry && geometry.type === "LineString" ? geometry.coordinates.slice() : [];
  const times = Array.isArray(props.times) && props.times.length === coords.length
    ? props.times.slice() : coords.map(() => NaN);
  return { coords, times, stops: props.stops || [], outside: props.outside || [],
    gaps: new Map((props.gaps || []).map((g) => [g.from, g.to])),
    gapMs: Number.isFinite(props.gap_ms) ? props.gap_ms : DEFAULT_GAP_MS,
    points: Number.isFinite(props.points) ? props.points : coords.length };
}

/** Whether the phone was silent between vertices i - 1 and i (the server says which; a
 * fix added live after a long silence counts too). */
function silentBefore(track, i) {
  const from = track.times[i - 1];
  const to = track.times[i];
  return track.gaps.get(from) === to || (i >= track.live && to - from > track.gapMs);
}

/** The index of the last vertex at or before ``ts`` (-1 before the first). */
export function vertexAt(times, ts) {
  let lo = 0;
  let hi = times.length - 1;
  if (!times.length || ts < times[0]) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= ts) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function isOutside(spans, ts) {
  return spans.some((s) => ts > s.from && ts <= s.to);
}

/** The total time outside the grid (ms). */
export function outsideMs(track) {
  return track.outside.reduce((sum, s) => sum + Math.max(0, s.to - s.from), 0);
}

/**
 * ``kind``: "today" or "replay" (a class on every part, for its colours);
 * ``onStop(stop)``: a stop marker was clicked.
 */
export function createTrack(map, { kind = "today", onStop = null } = {}) {
  const leaflet = map.leaflet;
  const group = L.layerGroup().addTo(leaflet);
  const arrows = L.layerGroup().addTo(leaflet);
  let track = null;
  let latlngs = [];
  let done = null;

  const cls = (name) => `${name} track-${kind}`;

  /** The track's vertex pairs split into walks, silences and time outside. */
  function pieces() {
    const walks = [];
    const gaps = [];
    const outside = [];
    let run = latlngs.length ? [latlngs[0]] : [];
    for (let i = 1; i < latlngs.length; i += 1) {
      const silent = silentBefore(track, i);
      if (silent) {
        if (run.length > 1) walks.push(run);
        gaps.push([latlngs[i - 1], latlngs[i]]);
        run = [latlngs[i]];
      } else {
        run.push(latlngs[i]);
        if (isOutside(track.outside, track.times[i])) outside.push([latlngs[i - 1], latlngs[i]]);
      }
    }
    if (run.length > 1) walks.push(run);
    return { walks, gaps, outside };
  }

  function endMarker(at, key, ts) {
    return L.marker(at, { interactive: false, keyboard: false, icon: new DataIcon({
      className: cls("track-end"), html: `<span>${t(key)}</span>`, iconSize: [0, 0],
      data: { end: key === "track.start" ? "start" : "end", ts: String(ts) } }) });
  }

  function stopMarker(stop) {
    const duration = durationText(stop.to - stop.from);
    const marker = L.marker(map.toLatLng(stop.lon, stop.lat), {
      interactive: Boolean(onStop), keyboard: false, riseOnHover: true,
      icon: new DataIcon({ className: cls("track-stop"), iconSize: [0, 0],
        html: `<span>${t("track.stop", { duration })}</span>`,
        data: { from: String(stop.from), to: String(stop.to) } }),
    });
    marker.bindTooltip(t("track.stop_title", { from: formatTime(stop.from),
      to: formatTime(stop.to), duration }), { direction: "top", offset: [0, -12] });
    if (onStop) marker.on("click", () => onStop(stop));
    return marker;
  }

  /** Arrows along the walks, every ARROW_SPACING_PX at this zoom, pointing the way walked
   * (over a stretch of the line either side, so GPS wobble does not turn them about). */
  function drawArrows() {
    arrows.clearLayers();
    if (!track) return;
    let placed = 0;
    for (const walk of pieces().walks) {
      const points = walk.map((ll) => leaflet.latLngToLayerPoint(ll));
      const along = [0];
      for (let i = 1; i < points.length; i += 1) {
        along.push(along[i - 1] + points[i - 1].distanceTo(points[i]));
      }
      const length = along[along.length - 1];
      const pointAt = (d) => {
        const at = Math.min(length, Math.max(0, d));
        let i = 1;
        while (i < along.length - 1 && along[i] < at) i += 1;
        const span = along[i] - along[i - 1] || 1;
        const f = (at - along[i - 1]) / span;
        const a = points[i - 1];
        const b = points[i];
        return L.point(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f);
      };
      for (let d = ARROW_SPACING_PX / 2; d < length && placed < MAX_ARROWS;
        d += ARROW_SPACING_PX) {
        const behind = pointAt(d - ARROW_BASE_PX);
        const ahead = pointAt(d + ARROW_BASE_PX);
        if (behind.distanceTo(ahead) < ARROW_BASE_PX / 2) continue; // standing still here
        const deg = Math.atan2(ahead.y - behind.y, ahead.x - behind.x) * RAD_TO_DEG;
        arrows.addLayer(L.marker(leaflet.layerPointToLatLng(pointAt(d)), { interactive: false,
          keyboard: false, icon: new DataIcon({ className: cls("track-arrow"), iconSize: [0, 0],
            html: "<i></i>", styles: { i: { transform: `rotate(${deg.toFixed(0)}deg)` } } })
        }));
        placed += 1;
      }
    }
  }

  function draw(next) {
    group.clearLayers();
    done = null;
    track = next;
    if (track && !Number.isFinite(track.live)) track.live = track.times.length;
    latlngs = track ? track.coords.map(([lon, lat]) => map.toLatLng(lon, lat)) : [];
    if (!track || !latlngs.length) {
      drawArrows();
      return;
    }
    const { walks, gaps, outside } = pieces();
    if (walks.length) {
      group.addLayer(L.polyline(walks, { className: cls("track-casing"), interactive: false,
        weight: 9 }));
      group.addLayer(L.polyline(walks, { className: cls("track"), interactive: false,
        weight: 4 }));
    }
    if (gaps.length) {
      group.addLayer(L.polyline(gaps, { className: cls("track-gap"), interactive: false,
        weight: 2, dashArray: "4 6" }));
    }
    if (kind === "replay") {
      done = L.polyline([], { className: cls("track-done"), interactive: false, weight: 5 });
      group.addLayer(done);
    }
    if (outside.length) {  // over the walked part: the time outside stays marked
      group.addLayer(L.polyline(outside, { className: cls("track-outside"), interactive: false,
        weight: 5 }));
    }
    group.addLayer(endMarker(latlngs[0], "track.start", track.times[0]));
    if (latlngs.length > 1) {
      group.addLayer(endMarker(latlngs[latlngs.length - 1], "track.end",
        track.times[track.times.length - 1]));
    }
    for (const stop of track.stops) group.addLayer(stopMarker(stop));
    drawArrows();
  }

  const unlisten = map.onReproject(drawArrows);

  return {
    draw,
    /** The track drawn (null when none). */
    get track() {
      return track;
    },
    /** A new fix at the end of the track (a live worker). */
    extend(lon, lat, ts) {
      if (!track) return;
      if (track.times.length && ts <= track.times[track.times.length - 1]) return;
      track.coords.push([lon, lat]);
      track.times.push(ts);
      track.points += 1;
      draw(track);
    },
    /** The walked part up to ``ts``; where the worker was then: {latlng, deg, gap, outside}. */
    setProgress(ts) {
      if (!track || !latlngs.length) return null;
      const i = vertexAt(track.times, ts);
      let at = latlngs[Math.max(0, i)];
      let deg = null;
      let gap = false;
      if (i >= 0 && i < latlngs.length - 1) {
        const t0 = track.times[i];
        const t1 = track.times[i + 1];
        gap = silentBefore(track, i + 1);
        const a = leaflet.latLngToLayerPoint(latlngs[i]);
        const b = leaflet.latLngToLayerPoint(latlngs[i + 1]);
        if (!gap && t1 > t0) {
          const f = (ts - t0) / (t1 - t0);
          at = leaflet.layerPointToLatLng(L.point(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f));
        }
        if (a.distanceTo(b) > 0) deg = Math.atan2(b.y - a.y, b.x - a.x) * RAD_TO_DEG;
      }
      if (done) done.setLatLngs(i >= 0 ? [...latlngs.slice(0, i + 1), at] : []);
      return { latlng: at, deg, gap, outside: isOutside(track.outside, ts) };
    },
    /** The bounds of the track (null when empty). */
    bounds() {
      return latlngs.length ? L.latLngBounds(latlngs) : null;
    },
    clear() {
      draw(null);
    },
    remove() {
      unlisten();
      group.remove();
      arrows.remove();
    },
  };
}
