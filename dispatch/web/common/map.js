// Map drawing without tiles: GeoJSON polygons and lines projected with a local
// equirectangular projection fitted to their bounds, drawn as SVG paths.

import { s } from "./dom.js";

const DEG = Math.PI / 180;
/** Coordinates are compared at this many decimals when finding shared edges (~1 cm). */
const EDGE_DECIMALS = 7;
const PATH_DECIMALS = 1;
/** Metres per degree of latitude (and of longitude at the equator). */
const METRES_PER_DEGREE = 111320;

/** Every ring of a Polygon or MultiPolygon geometry (other types: none). */
export function ringsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return geometry.coordinates;
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
  return [];
}

/** Every line of a LineString or MultiLineString geometry (or Feature). */
export function linesOf(geojson) {
  const geometry = geojson && geojson.type === "Feature" ? geojson.geometry : geojson;
  if (!geometry) return [];
  if (geometry.type === "LineString") return [geometry.coordinates];
  if (geometry.type === "MultiLineString") return geometry.coordinates;
  return [];
}

export function boundsOf(features) {
  const b = { minLon: Infinity, maxLon: -Infinity, minLat: Infinity, maxLat: -Infinity };
  for (const f of features) {
    for (const ring of ringsOf(f.geometry)) {
      for (const [lon, lat] of ring) {
        b.minLon = Math.min(b.minLon, lon);
        b.maxLon = Math.max(b.maxLon, lon);
        b.minLat = Math.min(b.minLat, lat);
        b.maxLat = Math.max(b.maxLat, lat);
      }
    }
  }
  return Number.isFinite(b.minLon) ? b : null;
}

/**
 * A projection of ``bounds`` onto a drawing ``width`` units wide (the height follows the
 * area's shape), with ``padding`` units around. project([lon, lat]) -> [x, y], and back.
 */
export function fitProjection(bounds, width, padding) {
  const lat0 = (bounds.minLat + bounds.maxLat) / 2;
  const kx = Math.cos(lat0 * DEG);
  const spanX = Math.max((bounds.maxLon - bounds.minLon) * kx, Number.EPSILON);
  const spanY = Math.max(bounds.maxLat - bounds.minLat, Number.EPSILON);
  const scale = (width - 2 * padding) / spanX;
  const height = spanY * scale + 2 * padding;
  return {
    width,
    height,
    project([lon, lat]) {
      return [padding + (lon - bounds.minLon) * kx * scale,
        padding + (bounds.maxLat - lat) * scale];
    },
    /** The inverse of project: [x, y] -> [lon, lat]. */
    unproject([x, y]) {
      return [bounds.minLon + (x - padding) / (kx * scale), bounds.maxLat - (y - padding) / scale];
    },
    /** Drawing units per metre (at the middle latitude). */
    unitsPerMetre: scale / METRES_PER_DEGREE,
  };
}

const num = (v) => Number(v.toFixed(PATH_DECIMALS));

/** SVG path data of closed rings. */
export function ringsPath(rings, project) {
  return rings.map((ring) => "M" + ring.map((p) => project(p).map(num).join(",")).join("L") + "Z")
    .join("");
}

/** SVG path data of open lines. */
export function linesPath(lines, project) {
  return lines.filter((line) => line.length > 0)
    .map((line) => "M" + line.map((p) => project(p).map(num).join(",")).join("L")).join("");
}

/** The area-weighted centroid of a ring (its first point's average when it has no area). */
export function ringCentroid(ring) {
  let area = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < ring.length - 1; i += 1) {
    const [x0, y0] = ring[i];
    const [x1, y1] = ring[i + 1];
    const cross = x0 * y1 - x1 * y0;
    area += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  if (Math.abs(area) < Number.EPSILON) {
    const n = ring.length || 1;
    return [ring.reduce((a, p) => a + p[0], 0) / n, ring.reduce((a, p) => a + p[1], 0) / n];
  }
  return [cx / (3 * area), cy / (3 * area)];
}

/** The label point of a feature: the centroid of its largest outer ring. */
export function labelPoint(feature) {
  const geometry = feature.geometry || {};
  const outers = geometry.type === "MultiPolygon" ? geometry.coordinates.map((p) => p[0])
    : ringsOf(geometry).slice(0, 1);
  const size = (ring) => Math.abs(ring.reduce((a, p, i) => {
    const q = ring[(i + 1) % ring.length];
    return a + p[0] * q[1] - q[0] * p[1];
  }, 0));
  const largest = outers.reduce((best, ring) => (!best || size(ring) > size(best) ? ring : best),
    null);
  return largest ? ringCentroid(largest) : null;
}

/**
 * The outline of an area tiled by ``features``: the edges that belong to one polygon only
 * (edges shared by two neighbours cancel out), as [[lon, lat], [lon, lat]] pairs.
 */
export function outlineEdges(features) {
  const key = (p) => p.map((v) => v.toFixed(EDGE_DECIMALS)).join(",");
  const edges = new Map();
  for (const f of features) {
    for (const ring of ringsOf(f.geometry)) {
      for (let i = 0; i < ring.length - 1; i += 1) {
        const a = key(ring[i]);
        const b = key(ring[i + 1]);
        const id = a < b ? `${a}|${b}` : `${b}|${a}`;
        const seen = edges.get(id);
        edges.set(id, seen ? { ...seen, count: seen.count + 1 } : { a: ring[i], b: ring[i + 1], count: 1 });
      }
    }
  }
  return [...edges.values()].filter((e) => e.count === 1).map((e) => [e.a, e.b]);
}

/** The outline of an area tiled by ``features`` (see outlineEdges) as SVG path data. */
export function outlinePath(features, project) {
  return outlineEdges(features).map((edge) => linesPath([edge], project)).join("");
}

/** An SVG group for a layer of the map. */
export function layer(name) {
  return s("g", { class: `layer layer-${name}` });
}
