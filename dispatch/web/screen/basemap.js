// The optional base map: an XYZ tile layer from settings (GET /api/v1/street `map.tiles`),
// and the coordinate system the map is drawn in. Our positions are WGS-84; tiles in GCJ-02
// (AMap, Tencent) need every position converted, which gcoord does. Without tiles the grids
// are drawn alone, in WGS-84.

import gcoord from "../vendor/gcoord/gcoord.esm-browser.prod.js";
import { L } from "./leaflet.js";

export const WGS84 = "wgs84";
export const GCJ02 = "gcj02";
const DEFAULT_SUBDOMAINS = "abc";
const DEFAULT_MAX_NATIVE_ZOOM = 18;

/**
 * ``tiles``: {url, crs, attribution, subdomains, max_zoom} or null.
 * toMap(lon, lat) -> [lat, lng] where the map draws a WGS-84 position;
 * layer(maxZoom) -> an L.TileLayer, or null without tiles.
 */
export function createBaseMap(tiles) {
  const crs = tiles && tiles.crs === GCJ02 ? GCJ02 : WGS84;
  const convert = crs === GCJ02
    ? (lon, lat) => gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02)
    : (lon, lat) => [lon, lat];
  return {
    crs,
    hasTiles: Boolean(tiles && tiles.url),
    toMap(lon, lat) {
      const [x, y] = convert(lon, lat);
      return [y, x];
    },
    layer(maxZoom) {
      if (!tiles || !tiles.url) return null;
      return L.tileLayer(tiles.url, {
        subdomains: tiles.subdomains || DEFAULT_SUBDOMAINS,
        maxNativeZoom: tiles.max_zoom || DEFAULT_MAX_NATIVE_ZOOM,
        maxZoom,
        attribution: tiles.attribution || "",
        crossOrigin: false,
      });
    },
  };
}
