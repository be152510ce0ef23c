// The street's names the app shows (departments, catalogue items and categories, grids) in the
// current language, and the street's clock and limits (time zone, patrol windows, photo size),
// loaded once after sign-in; a loader that fails leaves codes in place of names rather than
// breaking the page. With no signal the last answers are used at once: a phone in a stairwell
// does not wait for requests that never come back.

import { lang, localName } from "../common/i18n.js";

const CACHE_KEY = "dispatch.app.names";

function byKey(items, key) {
  return new Map((items || []).map((item) => [String(item[key]), item]));
}

/** The last answers, kept for a page opened with no network. */
function cached() {
  try {
    return JSON.parse(localStorage.getItem(CACHE_KEY) || "null") || {};
  } catch {
    return {};
  }
}

/** With the names kept from before, a slow network is not waited for longer than this. */
const CACHED_TIMEOUT_MS = 4000;

export async function loadNames(api) {
  const old = cached();
  const settle = (path, name) => {
    if (!navigator.onLine && old[name]) return Promise.resolve(old[name]);
    const timeoutMs = old[name] ? CACHED_TIMEOUT_MS : 0;
    return api.get(path, { timeoutMs }).catch((error) => {
      console.warn("app: could not load", path, error.code || error);
      return old[name] || null;
    });
  };
  const [departments, catalogue, grids, street] = await Promise.all([
    settle("/api/v1/departments", "departments"),
    settle("/api/v1/catalogue", "catalogue"),
    settle("/api/v1/grids", "grids"),
    settle("/api/v1/street", "street"),
  ]);
  try {
    localStorage.setItem(CACHE_KEY, JSON.stringify({ departments, catalogue, grids, street }));
  } catch {
    // storage full: the names are only missing offline
  }
  const depts = byKey(departments && departments.items, "id");
  const items = byKey(catalogue && catalogue.items, "code");
  const categories = byKey(catalogue && catalogue.categories, "code");
  const features = (grids && grids.features) || [];
  const gridProps = byKey(features.map((f) => f.properties), "id");

  return {
    features,
    /** The street: tz, patrol_windows, limits ({media_bytes, photos}); null if never known. */
    street,
    catalogue: {
      categories: (catalogue && catalogue.categories) || [],
      items: (catalogue && catalogue.items) || [],
    },
    department(id) {
      return id ? localName(depts.get(id), id) : "";
    },
    /** The department's record ({id, name, lead, members}) or null. */
    departmentRecord: (id) => depts.get(id) || null,
    item(code, given = "") {
      const item = items.get(code);
      if (item && (lang() === "en" || !given)) return localName(item, code);
      return given || localName(item, code || "");
    },
    itemRecord: (code) => items.get(code) || null,
    category(code) {
      return code ? localName(categories.get(code), code) : "";
    },
    grid(id) {
      return id ? localName(gridProps.get(String(id)), String(id)) : "";
    },
  };
}
