// The street map: grids (outlined, labelled, shaded), the street outline, and layers for a
// track, case markers and worker dots. Drawn once from GET /api/v1/grids.

import { clear, s } from "../common/dom.js";
import {
  boundsOf, fitProjection, labelPoint, layer, linesPath, outlinePath, ringsOf, ringsPath,
} from "../common/map.js";

/** Drawing units across the map (the SVG viewBox); the height follows the street's shape. */
export const MAP_WIDTH = 1000;
const MAP_PADDING = 14;
const FALLBACK_HEIGHT = 700;

export function createMap(svg, collection, { onBackgroundClick = () => {} } = {}) {
  const features = (collection && collection.features) || [];
  const bounds = boundsOf(features);
  const projection = bounds ? fitProjection(bounds, MAP_WIDTH, MAP_PADDING) : null;
  const height = projection ? projection.height : FALLBACK_HEIGHT;
  clear(svg);
  svg.setAttribute("viewBox", `0 0 ${MAP_WIDTH} ${height.toFixed(1)}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");

  const layers = {};
  for (const name of ["grids", "outline", "labels", "track", "cases", "workers"]) {
    layers[name] = layer(name);
    svg.append(layers[name]);
  }
  svg.addEventListener("click", (event) => {
    if (!event.target.closest(".worker, .case-marker")) onBackgroundClick();
  });

  const gridPaths = new Map();
  if (projection) {
    for (const f of features) {
      const id = String(f.properties.id);
      const path = s("path", { class: "grid", d: ringsPath(ringsOf(f.geometry), projection.project),
        dataset: { grid: id, kind: f.properties.kind || "" } });
      path.append(s("title", { text: f.properties.name || id }));
      gridPaths.set(id, path);
      layers.grids.append(path);
      const at = labelPoint(f);
      if (at) {
        const [x, y] = projection.project(at);
        layers.labels.append(s("text", { class: "grid-label", x: x.toFixed(1), y: y.toFixed(1),
          text: id }));
      }
    }
    layers.outline.append(s("path", { class: "street-outline",
      d: outlinePath(features, projection.project) }));
  }

  return {
    features,
    layers,
    /** [x, y] in drawing units, or null when the point cannot be placed. */
    project(lon, lat) {
      if (!projection || !Number.isFinite(lon) || !Number.isFinite(lat)) return null;
      return projection.project([lon, lat]);
    },
    /** Shade each grid: ``shadeOf(id)`` names its shade (a CSS data-shade value). */
    shade(shadeOf) {
      for (const [id, path] of gridPaths) path.dataset.shade = shadeOf(id);
    },
    drawTrack(lines) {
      clear(layers.track);
      if (!projection) return;
      layers.track.append(s("path", { class: "track", d: linesPath(lines, projection.project) }));
    },
    clearTrack() {
      clear(layers.track);
    },
  };
}

