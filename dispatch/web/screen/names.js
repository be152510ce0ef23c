// Names of the street's things (grids, departments, catalogue items and categories) in the
// current language, loaded once; every loader may fail without breaking the page.

import { has, lang, localName, t } from "../common/i18n.js";

const NOON_H = 12;
const EVENING_H = 18;

/** A patrol window's name as people say it, from the texts under ``prefix``: 上午 / 下午 /
 * 夜间巡查 ("window") or 上午 / 下午 / 夜间巡查时段 ("slot"); an unnamed window (e.g.
 * "14:00-18:00") by the part of the day it starts in. */
export function windowLabel(name, windows = [], prefix = "window") {
  if (!name) return "";
  if (has(`${prefix}.${name}`)) return t(`${prefix}.${name}`);
  const known = windows.find((w) => w.name === name);
  const start = (known && known.start) || String(name).split("-")[0];
  const hour = Number.parseInt(start, 10);
  if (!Number.isFinite(hour)) return String(name);
  const part = hour < NOON_H ? "am" : hour < EVENING_H ? "pm" : "night";
  return t(`${prefix}.${part}`);
}

function byId(items, key = "id") {
  return new Map((items || []).map((item) => [String(item[key]), item]));
}

export async function loadNames(api) {
  const settle = (promise) => promise.catch((error) => {
    console.warn("screen: could not load", error);
    return null;
  });
  const [street, departments, catalogue, stationList] = await Promise.all([
    settle(api.get("/api/v1/street")),
    settle(api.get("/api/v1/departments")),
    settle(api.get("/api/v1/catalogue")),
    settle(api.get("/api/v1/stations")),
  ]);
  const stations = byId(stationList && stationList.items);
  const depts = byId(departments && departments.items);
  const items = byId(catalogue && catalogue.items, "code");
  const categories = byId(catalogue && catalogue.categories, "code");
  let grids = new Map();
  let workerGrids = new Map();
  let workerNames = new Map();

  return {
    street() {
      return localName(street);
    },
    /** GET /api/v1/street as it came (tz, patrol_windows, map ...), or {} when it failed. */
    meta() {
      return street || {};
    },
    /** A grid worker's own name (their user name when the street does not say). */
    workerName(username) {
      return workerNames.get(username) || username || "";
    },
    /** A patrol window's name for people: "上午巡查" for am (or a window starting before noon). */
    patrolWindow(name) {
      return windowLabel(name, (street && street.patrol_windows) || []);
    },
    setGrids(features) {
      grids = new Map(features.map((f) => [String(f.properties.id), f.properties]));
      workerGrids = new Map(features.filter((f) => f.properties.worker)
        .map((f) => [f.properties.worker, String(f.properties.id)]));
      workerNames = new Map(features.filter((f) => f.properties.worker_name)
        .map((f) => [f.properties.worker, f.properties.worker_name]));
    },
    grid(id) {
      return grids.get(String(id)) || null;
    },
    /** The grid a worker is responsible for (null when none). */
    workerGrid(username) {
      return workerGrids.get(username) || null;
    },
    gridName(id) {
      return localName(grids.get(String(id)), id ? String(id) : "");
    },
    /** The departments as [{id, name}] in the current language, in their order. */
    departments() {
      return [...depts.values()].map((d) => ({ id: d.id, name: localName(d, d.id) }));
    },
    department(id) {
      if (!id) return "";
      if (!depts.has(id) && has(`dept.${id}`)) return t(`dept.${id}`); // e.g. the centre
      return localName(depts.get(id), id);
    },
    station(id) {
      return id ? localName(stations.get(String(id)), String(id)) : "";
    },
    /** A patrol window as the occasion of an alert: "下午巡查时段". */
    window(name) {
      return windowLabel(name, (street && street.patrol_windows) || [], "slot");
    },
    /** The street's time zone (null when the street could not be read). */
    zone() {
      return (street && street.tz) || null;
    },
    /** An item's name: the catalogue's in the current language, else what the case says. */
    item(code, given) {
      const item = items.get(code);
      if (item && (lang() === "en" || !given)) return localName(item, code);
      return given || localName(item, code || "");
    },
    category(code) {
      return code ? localName(categories.get(code), code) : "";
    },
  };
}
