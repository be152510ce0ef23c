// The street's names the app shows (departments, catalogue items and categories, grids) in the
// current language, loaded once after sign-in; a loader that fails leaves codes in place of
// names rather than breaking the page.

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

export async function loadNames(api) {
  const old = cached();
  const settle = (path, name) => api.get(path).catch((error) => {
    console.warn("app: could not load", path, error);
    return old[name] || null;
  });
  const [departments, catalogue, grids] = await Promise.all([
    settle("/api/v1/departments", "departments"),
    settle("/api/v1/catalogue", "catalogue"),
    settle("/api/v1/grids", "grids"),
  ]);
  try {
    localStorage.setItem(CACHE_KEY, JSON.stringify({ departments, catalogue, grids }));
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
