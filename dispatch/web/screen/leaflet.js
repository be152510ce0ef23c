// Leaflet and Leaflet.markercluster, vendored under /static/vendor/ and loaded by the page as
// classic scripts before its modules (they set window.L): the one place modules get them.

export const L = globalThis.L;

if (!L || typeof L.map !== "function" || typeof L.markerClusterGroup !== "function") {
  throw new Error("the map library is not loaded (/static/vendor/leaflet)");
}
