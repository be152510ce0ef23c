// The figures the district screen shows per street, and how a figure colours the map:
// a count (lower is better) by its share of the largest street's, a rate (higher is
// better) by fixed bands. A shade is a level 0 (good) .. 4 (worst), or "none".

import { formatPercent } from "../common/format.js";
import { t } from "../common/i18n.js";

export const LEVELS = 5;
/** Every figure a street row has that the page shows, in the table's order. */
export const FIGURES = Object.freeze([
  { key: "open", kind: "count" },
  { key: "red", kind: "count", tone: "red" },
  { key: "closure_rate", kind: "rate" },
  { key: "on_time_rate", kind: "rate" },
  { key: "patrol_rate", kind: "rate" },
  { key: "escalated", kind: "count", tone: "red" },
]);
/** The figures the map may be coloured by (the first is the default). */
export const SHADE_FIGURES = Object.freeze(["red", "open", "closure_rate", "on_time_rate",
  "patrol_rate", "escalated"]);
/** A rate's bands: at or above the first, level 0; below the last, level 4. */
const RATE_BANDS = [0.9, 0.8, 0.7, 0.6];
/** The district's tiles across the top. */
export const TOTAL_TILES = Object.freeze([
  { key: "streets", kind: "count" },
  { key: "reported", kind: "count" },
  ...FIGURES,
]);

export function figure(key) {
  return FIGURES.find((f) => f.key === key) || { key, kind: "count" };
}

/** A figure's value as shown: a count, a percentage, or a dash. */
export function shown(key, value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return t("time.none");
  return figure(key).kind === "rate" ? formatPercent(value) : String(value);
}

/** The shade of each street for figure ``key``: a Map code -> "0".."4" | "none". */
export function shades(rows, key) {
  const { kind } = figure(key);
  const values = rows.map((r) => r[key]);
  const largest = Math.max(0, ...values.filter(Number.isFinite));
  const out = new Map();
  for (const row of rows) {
    const v = row[key];
    let level = "none";
    if (Number.isFinite(v) && kind === "rate") {
      const band = RATE_BANDS.findIndex((edge) => v >= edge);
      level = String(band === -1 ? RATE_BANDS.length : band);
    } else if (Number.isFinite(v)) {
      level = v <= 0 || largest <= 0 ? "0"
        : String(Math.max(1, Math.ceil(((LEVELS - 1) * v) / largest)));
    }
    out.set(row.street, level);
  }
  return out;
}

/** The legend's entries for figure ``key`` over ``rows``: [{level, text}]. */
export function legend(rows, key) {
  const { kind } = figure(key);
  const none = { level: "none", text: t("district.legend.none") };
  if (kind === "rate") {
    return [...Array(LEVELS).keys()].map((n) => ({ level: String(n),
      text: t(`district.legend.rate${n}`) })).concat([none]);
  }
  const largest = Math.max(0, ...rows.map((r) => r[key]).filter(Number.isFinite));
  const entries = [{ level: "0", text: t("district.legend.count0") }];
  for (let n = 1; n < LEVELS && largest > 0; n += 1) {
    const low = Math.floor(((n - 1) * largest) / (LEVELS - 1)) + 1;
    const high = Math.floor((n * largest) / (LEVELS - 1));
    if (high >= low) entries.push({ level: String(n), text: low === high ? `${low}` : `${low}–${high}` });
  }
  return entries;
}
