// A small map of a few grids (no tiles, works offline once the grids are loaded): the grids
// around a focus, a track, fixes not yet sent, the phone's position and a marker. A tap on the
// map can pick a place (the report's location).

import { clear, h, s } from "../common/dom.js";
import {
  boundsOf, fitProjection, labelPoint, layer, linesPath, ringsOf, ringsPath,
} from "../common/map.js";

/** Drawing units across the map; shown about 360 px wide, so ~2.8 units a pixel. */
const MAP_WIDTH = 1000;
/** Width to height of every map (the CSS of .map-box says the same). */
const MAP_ASPECT = 4 / 3;
const MAP_PADDING = 0;
const DEG = Math.PI / 180;
/** Around the focus, this share of its size is shown on each side. */
const FOCUS_MARGIN = 0.3;
/** A focus on a single point shows this many degrees around it (~150 m). */
const POINT_SPAN_DEG = 0.0015;
const DOT_RADIUS = 22;
const MARKER_RADIUS = 26;
const PENDING_RADIUS = 9;
const MIN_ACCURACY_RADIUS = DOT_RADIUS;

function expand(b, share) {
  const dx = Math.max(b.maxLon - b.minLon, POINT_SPAN_DEG) * share;
  const dy = Math.max(b.maxLat - b.minLat, POINT_SPAN_DEG) * share;
  return { minLon: b.minLon - dx, maxLon: b.maxLon + dx, minLat: b.minLat - dy,
    maxLat: b.maxLat + dy };
}

/** ``b`` widened (or heightened) to the map's shape, so nothing is cut off or letterboxed. */
function toAspect(b) {
  const kx = Math.cos(((b.minLat + b.maxLat) / 2) * DEG);
  const spanX = (b.maxLon - b.minLon) * kx;
  const spanY = b.maxLat - b.minLat;
  if (spanX / spanY < MAP_ASPECT) {
    const grow = (spanY * MAP_ASPECT - spanX) / kx / 2;
    return { ...b, minLon: b.minLon - grow, maxLon: b.maxLon + grow };
  }
  const grow = (spanX / MAP_ASPECT - spanY) / 2;
  return { ...b, minLat: b.minLat - grow, maxLat: b.maxLat + grow };
}

function pointBounds(lon, lat) {
  const half = POINT_SPAN_DEG / 2;
  return { minLon: lon - half, maxLon: lon + half, minLat: lat - half, maxLat: lat + half };
}

const NO_MAP = Object.freeze({ svg: null, setTrack() {}, setPending() {}, setPosition() {},
  setMarker() {} });

/**
 * container: an element the SVG goes into; features: the grids (GeoJSON Features);
 * focus: {grids: [ids]} or {lon, lat}; own: the grid drawn as "mine";
 * onPick(lon, lat): when the map is tapped (optional).
 */
export function createGridMap(container, features, { focus = {}, own = null,
                                                     onPick = null, label = "" } = {}) {
  const focused = (focus.grids || []).map(String);
  const chosen = features.filter((f) => focused.includes(String(f.properties.id)));
  let bounds = boundsOf(chosen.length ? chosen : features);
  if (Number.isFinite(focus.lon) && Number.isFinite(focus.lat)) {
    const around = pointBounds(focus.lon, focus.lat);
    bounds = chosen.length && bounds ? {
      minLon: Math.min(bounds.minLon, around.minLon), maxLon: Math.max(bounds.maxLon, around.maxLon),
      minLat: Math.min(bounds.minLat, around.minLat), maxLat: Math.max(bounds.maxLat, around.maxLat),
    } : around;
  }
  const svg = s("svg", { class: "gridmap", role: "img", "aria-label": label || null });
  clear(container).append(svg);
  if (!bounds) return NO_MAP; // no grids known (first start offline): nothing to draw on
  const projection = fitProjection(toAspect(expand(bounds, FOCUS_MARGIN)), MAP_WIDTH,
    MAP_PADDING);
  svg.setAttribute("viewBox", `0 0 ${MAP_WIDTH} ${projection.height.toFixed(1)}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");

  const layers = {};
  for (const name of ["grids", "labels", "track", "pending", "marker", "position"]) {
    layers[name] = layer(name);
    svg.append(layers[name]);
  }
  const at = (lon, lat) => projection.project([lon, lat]).map((v) => v.toFixed(1));

  for (const f of features) {
    const id = String(f.properties.id);
    const classes = ["grid"];
    if (id === String(own)) classes.push("own");
    if (focused.includes(id)) classes.push("focus");
    layers.grids.append(s("path", { class: classes.join(" "), dataset: { grid: id },
      d: ringsPath(ringsOf(f.geometry), projection.project) }));
    const point = labelPoint(f);
    if (point) {
      const [x, y] = at(...point);
      layers.labels.append(s("text", { class: "grid-label", x, y }, id));
    }
  }

  if (onPick) {
    svg.classList.add("pickable");
    svg.addEventListener("click", (event) => {
      const matrix = svg.getScreenCTM();
      if (!matrix) return;
      const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
      const [lon, lat] = projection.unproject([p.x, p.y]);
      onPick(lon, lat);
    });
  }

  return {
    svg,
    /** Lines of [lon, lat] points (a track). */
    setTrack(lines) {
      clear(layers.track);
      const d = linesPath(lines || [], projection.project);
      if (d) layers.track.append(s("path", { class: "track", d }));
    },
    /** Fixes taken but not yet delivered, as [[lon, lat], ...]. */
    setPending(points) {
      clear(layers.pending);
      for (const [lon, lat] of points || []) {
        const [cx, cy] = at(lon, lat);
        layers.pending.append(s("circle", { class: "pending-fix", cx, cy, r: PENDING_RADIUS }));
      }
    },
    /** The phone's own position with its accuracy (m), or null to hide it. */
    setPosition(fix) {
      clear(layers.position);
      if (!fix) return;
      const [cx, cy] = at(fix.lon, fix.lat);
      const acc = Number.isFinite(fix.acc) ? fix.acc * projection.unitsPerMetre : 0;
      if (acc > MIN_ACCURACY_RADIUS) {
        layers.position.append(s("circle", { class: "accuracy", cx, cy, r: acc.toFixed(1) }));
      }
      layers.position.append(s("circle", { class: "me", cx, cy, r: DOT_RADIUS }));
    },
    /** A place marker (a report's or a job's location), or null to hide it. */
    setMarker(place, kind = "place") {
      clear(layers.marker);
      if (!place) return;
      const [cx, cy] = at(place.lon, place.lat);
      layers.marker.append(s("circle", { class: `marker ${kind}`, cx, cy, r: MARKER_RADIUS,
        dataset: { lon: String(place.lon), lat: String(place.lat) } }));
    },
  };
}

/** A map's frame: a box the map is drawn into, with a caption under it. */
export function mapBox(caption = null) {
  const box = h("div", { class: "map-box" });
  return { box, el: h("figure", { class: "map-frame" }, box,
    caption ? h("figcaption", { class: "muted" }, caption) : null) };
}
