// The district map (Leaflet): every street's outline (GET /api/v1/district/map, worked out
// on the server from the street's grids), shaded by the chosen figure, labelled with the
// street's name and that figure; a click on a street opens its own command screen.

import { localName } from "../common/i18n.js";
import { ringsOf } from "../common/map.js";
import { createBaseMap } from "../screen/basemap.js";
import { L } from "../screen/leaflet.js";

const MAX_ZOOM = 18;
const FIT_PADDING_PX = 16;
const ZOOM_SNAP = 0.25;
const LABEL_PANE = "labels";
const LABEL_PANE_Z = 450;
/** A label's name may take this share of its street's width on the screen... */
const LABEL_ROOM = 0.9;
/** ... and is shown when one character fits (px). */
const LABEL_MIN_PX = 14;

function latLngs(geometry, toLatLng) {
  const polys = geometry.type === "MultiPolygon" ? geometry.coordinates : [ringsOf(geometry)];
  return polys.map((rings) => rings.map((ring) => ring.map(([lon, lat]) => toLatLng(lon, lat))));
}

/**
 * ``el``: the map's container; ``streets``: the map endpoint's streets; ``tiles``: the
 * base map's settings (or null); ``onSelect(code)``: a street was clicked;
 * ``tooltip(code)``: the text shown over a street.
 */
export function createDistrictMap(el, streets, { tiles = null, onSelect = () => {},
                                                 tooltip = () => "" } = {}) {
  const base = createBaseMap(tiles);
  const toLatLng = (lon, lat) => L.latLng(base.toMap(lon, lat));
  const map = L.map(el, { zoomSnap: ZOOM_SNAP, maxZoom: MAX_ZOOM, attributionControl: false,
    renderer: L.svg({ padding: 0.5 }) });
  el.dataset.tiles = base.hasTiles ? "on" : "off";
  map.createPane(LABEL_PANE).style.zIndex = String(LABEL_PANE_Z);
  const layer = base.layer(MAX_ZOOM);
  if (layer) layer.addTo(map);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

  const drawn = streets.filter((s) => s.geometry && (s.geometry.coordinates || []).length > 0);
  const polygons = new Map(drawn.map((s) => [s.street, L.polygon(latLngs(s.geometry, toLatLng), {
    className: "street-area", weight: 1.5, fillOpacity: 1, interactive: true })]));
  const bounds = polygons.size
    ? L.latLngBounds([...polygons.values()].map((p) => p.getBounds())) : null;
  const fit = () => (bounds ? map.fitBounds(bounds, { padding: [FIT_PADDING_PX, FIT_PADDING_PX],
    animate: false }) : map.setView([0, 0], 2));
  fit();
  const paths = new Map();
  const labels = new Map();
  for (const s of drawn) {
    const polygon = polygons.get(s.street);
    polygon.bindTooltip(() => tooltip(s.street), { sticky: true, className: "grid-tip" });
    polygon.on("click", () => onSelect(s.street));
    polygon.addTo(map);
    const path = polygon.getElement();
    path.dataset.street = s.street;
    path.dataset.shade = "none";
    paths.set(s.street, path);
    if (s.label) {
      labels.set(s.street, L.marker(toLatLng(s.label[0], s.label[1]), { pane: LABEL_PANE,
        interactive: false, keyboard: false, icon: L.divIcon({ className: "street-label",
          html: "", iconSize: [0, 0] }) }).addTo(map));
    }
  }
  /** Each label's name wraps within its street's width on the screen (hidden when not
   * even one character fits: the tooltip names the street). */
  function fitLabels() {
    for (const [code, marker] of labels) {
      const box = marker.getElement() && marker.getElement().firstElementChild;
      if (!box) continue;
      const b = polygons.get(code).getBounds();
      const width = map.latLngToLayerPoint(b.getNorthEast()).x
        - map.latLngToLayerPoint(b.getSouthWest()).x;
      const room = Math.floor(width * LABEL_ROOM);
      box.style.setProperty("max-width", `${room}px`);
      box.dataset.fit = room >= LABEL_MIN_PX ? "name" : "value";
    }
  }

  new ResizeObserver(() => {
    map.invalidateSize({ pan: false });
    fit();
    fitLabels();
  }).observe(el);
  map.on("zoomend", fitLabels);

  function labelBox(street, value) {
    const box = document.createElement("span");
    box.className = "street-label-box";
    box.dataset.street = street.street;
    box.append(Object.assign(document.createElement("b"), { textContent: localName(street,
      street.street) }), Object.assign(document.createElement("span"),
      { className: "street-label-value", textContent: value }));
    return box;
  }

  return {
    leaflet: map,
    /** ``shadeOf(code)``: the street's shade; ``valueOf(code)``: its label's figure. */
    shade(shadeOf, valueOf) {
      for (const [code, path] of paths) path.dataset.shade = shadeOf(code);
      for (const s of drawn) {
        const marker = labels.get(s.street);
        if (!marker) continue;
        marker.setIcon(L.divIcon({ className: "street-label", iconSize: [0, 0],
          html: labelBox(s, valueOf(s.street)) }));
      }
      fitLabels();
      for (const polygon of polygons.values()) {  // an open tooltip shows the new figures
        if (polygon.isTooltipOpen()) polygon.getTooltip().update();
      }
    },
    /** Mark a street (hovered in the table), or none. */
    highlight(code) {
      for (const [c, path] of paths) path.classList.toggle("highlight", c === code);
    },
  };
}
