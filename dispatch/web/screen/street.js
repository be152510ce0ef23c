// The street a district centre's user drilled down to from the district screen
// (/?street=CODE): every API call and the live stream name it, so the screen shows that
// street live; the top bar links back to the district screen. A street's own users never
// have it (the server ignores it for them anyway).

export const STREET_PARAM = "street";
export const DISTRICT_PAGE = "/district";
const API_PREFIX = "/api/";

/** The street named on the page's address, or null. */
export function drilledStreet() {
  return new URLSearchParams(location.search).get(STREET_PARAM) || null;
}

/** ``path`` with ``street`` added to its query (API paths only; one naming it is kept). */
export function withStreetParam(path, street) {
  const url = new URL(path, location.origin);
  if (!street || !url.pathname.startsWith(API_PREFIX) || url.searchParams.has(STREET_PARAM)) {
    return path;
  }
  url.searchParams.set(STREET_PARAM, street);
  return url.pathname + url.search;
}

/** The API client with ``street`` on every call (the same client without one); signing in
 * and out stay the user's own. */
export function streetApi(api, street) {
  if (!street) return api;
  const at = (path) => withStreetParam(path, street);
  return {
    ...api,
    get: (path, options) => api.get(at(path), options),
    post: (path, body) => api.post(at(path), body),
    postForm: (path, form) => api.postForm(at(path), form),
    upload: (path, form, options) => api.upload(at(path), form, options),
    blobUrl: (path) => api.blobUrl(at(path)),
    login: (username, password) => api.login(username, password),
    logout: () => api.logout(),
  };
}
