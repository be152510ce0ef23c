// The street map (Leaflet): zoom, pan and fit-to-street; the grids (outlined, shaded, labelled
// where their labels fit), the street outline, an optional base map of tiles, and an SVG
// layer for case markers. Drawn once from GET /api/v1/grids.
//
// Positions are WGS-84; toLatLng() is where the map draws one (converted when the tiles are
// GCJ-02). Case markers are SVG groups placed with project() in the overlay's coordinates,
// which change with the zoom: onReproject() tells when to place them again.

import { byId, s } from "../common/dom.js";
import { t } from "../common/i18n.js";
import { labelPoint, outlineEdges, ringsOf } from "../common/map.js";
import { createBaseMap } from "./basemap.js";
import { L } from "./leaflet.js";
import "./maptexts.js";

const MAX_ZOOM = 20;
/** The map never zooms out further than this many levels below the street's fit. */
const ZOOM_OUT_LEVELS = 2;
const FIT_PADDING_PX = 14;
const ZOOM_SNAP = 0.25;
const ZOOM_DELTA = 0.5;
const WHEEL_PX_PER_ZOOM = 90;
const LABEL_PANE = "labels";
const LABEL_PANE_Z = 450;
/** Case markers above the labels, under the workers (Leaflet's marker pane is at 600). */
const CASE_PANE = "cases";
const CASE_PANE_Z = 500;
/** A label is shown when the grid is this much wider and taller than its text (px). */
const LABEL_MARGIN_PX = 6;
const LABEL_LINE_PX = 14;
const LABEL_FONT = "600 11px sans-serif";
const NAME_FONT = "11px sans-serif";
/** Earth's circumference (m) over the 256 px of zoom 0 (Web Mercator). */
const EQUATOR_M = 40075016.686;
const TILE_PX = 256;
const DEG = Math.PI / 180;
/** A track is simplified to about this many pixels at the zoom drawn. */
const TOLERANCE_PX = 0.8;

/** Four corners pointing out: the whole street. */
const FIT_ICON = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">'
  + '<path d="M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4" fill="none" stroke="currentColor" '
  + 'stroke-width="1.8"/></svg>';
/** Room kept around what is fitted, and beside the card and the replay bar over the map. */
const FIT_MARGIN_PX = 40;

let textCanvas = null;

function textWidth(text, font) {
  textCanvas = textCanvas || document.createElement("canvas");
  const ctx = textCanvas.getContext("2d");
  ctx.font = font;
  return ctx.measureText(text).width;
}

/** A DivIcon whose element also carries data-* attributes (``options.data``). */
/**
 * A DivIcon with data-* attributes (options.data) and styles set through the CSSOM
 * (options.styles: {selector: {property: value}}), never as style attributes in its html:
 * the pages' Content-Security-Policy allows no inline style.
 */
export const DataIcon = L.DivIcon.extend({
  createIcon(oldIcon) {
    const el = L.DivIcon.prototype.createIcon.call(this, oldIcon);
    for (const [key, value] of Object.entries(this.options.data || {})) el.dataset[key] = value;
    for (const [selector, props] of Object.entries(this.options.styles || {})) {
      const target = el.querySelector(selector);
      if (!target) continue;
      for (const [prop, value] of Object.entries(props)) target.style.setProperty(prop, value);
    }
    return el;
  },
});

/** The fit-to-street button, under the zoom buttons. */
const FitControl = L.Control.extend({
  options: { position: "topleft" },
  onAdd() {
    const bar = L.DomUtil.create("div", "leaflet-bar map-fit");
    const button = L.DomUtil.create("a", "map-fit-button", bar);
    button.href = "#";
    button.setAttribute("role", "button");
    button.id = "map-fit";
    button.dataset.i18nTitle = "map.fit_title";
    button.dataset.i18nAriaLabel = "map.fit_title";
    button.title = t("map.fit_title");
    button.innerHTML = FIT_ICON;
    L.DomEvent.disableClickPropagation(bar);
    L.DomEvent.on(button, "click", (event) => {
      L.DomEvent.preventDefault(event);
      this.options.onFit();
    });
    return bar;
  },
});

function polygonLatLngs(geometry, toLatLng) {
  const polys = geometry.type === "MultiPolygon" ? geometry.coordinates : [ringsOf(geometry)];
  return polys.map((rings) => rings.map((ring) => ring.map(([lon, lat]) => toLatLng(lon, lat))));
}

/**
 * ``el``: the map's container; ``collection``: the grids (GeoJSON); ``settings``: GET
 * /api/v1/street's ``map`` ({tiles, track}); ``names``: the screen's names.
 */
export function createMap(el, collection, { onBackgroundClick = () => {}, settings = {},
                                            names = null } = {}) {
  const features = (collection && collection.features) || [];
  const base = createBaseMap(settings.tiles || null);
  const trackBounds = settings.track || {};
  const renderer = L.svg({ padding: 0.5 });
  const map = L.map(el, {
    renderer, zoomSnap: ZOOM_SNAP, zoomDelta: ZOOM_DELTA, wheelPxPerZoomLevel: WHEEL_PX_PER_ZOOM,
    maxZoom: MAX_ZOOM, attributionControl: false, zoomControl: false,
  });
  const reprojectListeners = new Set();
  const toleranceListeners = new Set();
  el.dataset.crs = base.crs;
  el.dataset.tiles = base.hasTiles ? "on" : "off";

  const toLatLng = (lon, lat) => L.latLng(base.toMap(lon, lat));
  map.createPane(LABEL_PANE).style.zIndex = String(LABEL_PANE_Z);
  map.createPane(CASE_PANE).style.zIndex = String(CASE_PANE_Z);
  const caseRenderer = L.svg({ padding: 0.5, pane: CASE_PANE });

  L.control.zoom({ position: "topleft", zoomInTitle: t("map.zoom_in"),
    zoomOutTitle: t("map.zoom_out") }).addTo(map);
  const tiles = base.layer(MAX_ZOOM);
  if (tiles) {
    L.control.attribution({ prefix: "Leaflet" }).addTo(map);
    tiles.addTo(map);
  }
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

  // The grids, each a path with data-grid (and data-shade set by shade()).
  const polygons = features.map((f) => L.polygon(polygonLatLngs(f.geometry, toLatLng), {
    className: "grid", interactive: true, weight: 0.8, fillOpacity: 1, smoothFactor: 0.5,
  }));
  const streetBounds = polygons.length
    ? L.latLngBounds(polygons.map((polygon) => polygon.getBounds())) : null;

  function fit(animate = true) {
    if (!streetBounds) {
      map.setView([0, 0], 2);
      return;
    }
    map.fitBounds(streetBounds, { padding: [FIT_PADDING_PX, FIT_PADDING_PX], animate });
  }

  fit(false); // layers are drawn once the map has a view
  map.addLayer(renderer);
  const gridPaths = new Map();
  const grids = [];
  for (const [n, f] of features.entries()) {
    const id = String(f.properties.id);
    const polygon = polygons[n];
    polygon.bindTooltip(() => gridTooltip(f.properties), { sticky: true, className: "grid-tip",
      direction: "top", offset: [0, -6] });
    polygon.addTo(map);
    const path = polygon.getElement();
    path.dataset.grid = id;
    path.dataset.kind = f.properties.kind || "";
    gridPaths.set(id, path);
    const at = labelPoint(f);
    let label = null;
    if (at) {
      label = L.marker(toLatLng(at[0], at[1]), { pane: LABEL_PANE, interactive: false,
        keyboard: false, icon: labelIcon(id, f.properties) }).addTo(map);
    }
    grids.push({ id, props: f.properties, bounds: polygon.getBounds(), label });
  }
  const edges = outlineEdges(features).map(([a, b]) => [toLatLng(a[0], a[1]),
    toLatLng(b[0], b[1])]);
  if (edges.length) {
    L.polyline(edges, { className: "street-outline", interactive: false, weight: 2.5 })
      .addTo(map);
  }

  // Case markers: an SVG group of their own pane, in the overlay's coordinates (an SVG
  // renderer keeps its <svg> placed and scaled with the map; the group lives in it).
  map.addLayer(caseRenderer);
  const casesLayer = s("g", { class: "layer layer-cases", "pointer-events": "visiblePainted" });
  caseRenderer._container.append(casesLayer);

  function gridTooltip(props) {
    const worker = props.worker && names ? names.workerName(props.worker) : props.worker;
    const name = names ? names.gridName(props.id) : props.name;
    return [`${props.id} ${name}`, worker ? t("map.grid_worker", { name: worker }) : ""]
      .filter(Boolean).join("<br>");
  }

  function labelIcon(id, props) {
    const name = names ? names.gridName(id) : props.name || "";
    const box = document.createElement("span");
    box.className = "grid-label-box";
    box.append(Object.assign(document.createElement("b"), { textContent: id }),
      Object.assign(document.createElement("span"), { className: "grid-label-name",
        textContent: name }));
    return new DataIcon({ className: "grid-label", html: box, iconSize: [0, 0],
      data: { grid: id, fit: "none" } });
  }

  /** Show each grid's label at the zoom where it fits: its id, then its name too. */
  function fitLabels() {
    const idWidth = textWidth("000", LABEL_FONT) + LABEL_MARGIN_PX;
    for (const g of grids) {
      if (!g.label) continue;
      const nw = map.latLngToLayerPoint(g.bounds.getNorthWest());
      const se = map.latLngToLayerPoint(g.bounds.getSouthEast());
      // the bounding box overstates a slanted grid's room: use most of it
      const width = (se.x - nw.x) * 0.75;
      const height = (se.y - nw.y) * 0.75;
      const name = names ? names.gridName(g.id) : g.props.name || "";
      const nameWidth = textWidth(name, NAME_FONT) + LABEL_MARGIN_PX;
      let fit = "none";
      if (width >= nameWidth && height >= 2 * LABEL_LINE_PX) fit = "name";
      else if (width >= idWidth && height >= LABEL_LINE_PX) fit = "id";
      const icon = g.label.getElement();
      if (icon) icon.dataset.fit = fit;
    }
  }

  function publishView() {
    const c = map.getCenter();
    el.dataset.zoom = map.getZoom().toFixed(2);
    el.dataset.center = `${c.lat.toFixed(6)},${c.lng.toFixed(6)}`;
  }

  // The map keeps the whole street in view as the page settles (and on a resize) until
  // someone zooms or pans it; the fit button returns to that.
  let following = true;
  for (const type of ["mousedown", "wheel", "touchstart", "keydown"]) {
    el.addEventListener(type, (event) => {
      if (!event.target.closest(".map-fit")) following = false;
    }, { passive: true });
  }
  new FitControl({ onFit: () => {
    following = true;
    fit();
  } }).addTo(map);
  map.setMinZoom(Math.max(0, Math.floor(map.getZoom()) - ZOOM_OUT_LEVELS));
  if (streetBounds) map.setMaxBounds(streetBounds.pad(1));

  function tolerance() {
    const lat = map.getCenter().lat;
    const metresPerPx = (EQUATOR_M * Math.cos(lat * DEG)) / (TILE_PX * 2 ** map.getZoom());
    const wanted = metresPerPx * TOLERANCE_PX;
    // whole powers of two, so that a small zoom does not ask for the track again
    const stepped = 2 ** Math.round(Math.log2(Math.max(wanted, Number.EPSILON)));
    const low = trackBounds.tolerance_min_m ?? 0;
    const high = trackBounds.tolerance_max_m ?? Infinity;
    return Math.min(high, Math.max(low, stepped));
  }

  let lastTolerance = tolerance();
  map.on("zoomend viewreset", () => {
    fitLabels();
    for (const fn of reprojectListeners) fn();
    const now = tolerance();
    if (now !== lastTolerance) {
      lastTolerance = now;
      for (const fn of toleranceListeners) fn(now);
    }
  });
  map.on("moveend zoomend", publishView);
  map.on("click", (event) => {
    const target = event.originalEvent && event.originalEvent.target;
    if (!target || !target.closest(".worker, .case-marker, .worker-cluster, .track-stop")) {
      onBackgroundClick();
    }
  });
  fitLabels();
  publishView();
  new ResizeObserver(() => {
    map.invalidateSize({ pan: false });
    if (following) fit(false);
  }).observe(el);

  return {
    features,
    leaflet: map,
    crs: base.crs,
    layers: { cases: casesLayer },
    /** Where the map draws a WGS-84 position (an L.LatLng), or null when it cannot. */
    toLatLng(lon, lat) {
      if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
      return toLatLng(lon, lat);
    },
    /** [x, y] in the case layer's coordinates, or null when the point cannot be placed. */
    project(lon, lat) {
      const at = this.toLatLng(lon, lat);
      if (!at) return null;
      const p = map.latLngToLayerPoint(at);
      return [p.x, p.y];
    },
    /** Call ``fn`` whenever project() places things anew (after a zoom). */
    onReproject(fn) {
      reprojectListeners.add(fn);
      return () => reprojectListeners.delete(fn);
    },
    /** The tolerance (m) a track is best simplified by at this zoom, within the bounds. */
    tolerance,
    /** Call ``fn(tolerance)`` when a zoom changes it. */
    onToleranceChange(fn) {
      toleranceListeners.add(fn);
      return () => toleranceListeners.delete(fn);
    },
    fit,
    /** Show ``bounds`` (an L.LatLngBounds) in the part of the map not under the card or the
     * replay bar. */
    show(bounds, { maxZoom = MAX_ZOOM } = {}) {
      const wrap = el.parentElement;
      const overlay = (selector) => {
        const found = wrap && wrap.querySelector(`:scope > ${selector}`);
        return found && !found.hidden ? found : null;
      };
      const card = overlay(".card");
      const bar = overlay(".replay");
      map.fitBounds(bounds, { maxZoom, paddingTopLeft: [FIT_MARGIN_PX, FIT_MARGIN_PX],
        paddingBottomRight: [
          FIT_MARGIN_PX + (card ? card.offsetWidth : 0),
          FIT_MARGIN_PX + (bar ? bar.offsetHeight : 0)] });
    },
    /** Shade each grid: ``shadeOf(id)`` names its shade (a CSS data-shade value). */
    shade(shadeOf) {
      for (const [id, path] of gridPaths) path.dataset.shade = shadeOf(id);
    },
    /** Texts after a language switch: labels, tooltips and control titles. */
    render() {
      for (const g of grids) if (g.label) g.label.setIcon(labelIcon(g.id, g.props));
      fitLabels();
      const zoomIn = el.querySelector(".leaflet-control-zoom-in");
      const zoomOut = el.querySelector(".leaflet-control-zoom-out");
      if (zoomIn) zoomIn.title = t("map.zoom_in");
      if (zoomOut) zoomOut.title = t("map.zoom_out");
      const fitButton = byId("map-fit");
      if (fitButton) fitButton.title = t("map.fit_title");
    },
  };
}
