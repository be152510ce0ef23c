// Times, durations and numbers as people read them (texts from the i18n table).
// Clock times and dates are shown in the street's time zone (setTimeZone, from
// GET /api/v1/street's `tz`), whatever the browser's zone; until it is set, the browser's.

import { t } from "./i18n.js";
import { currentZone, setZone, zoneParts } from "./zone.js";

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
const PERCENT = 100;
const KM = 1000;

const pad = (n) => String(n).padStart(2, "0");

/** A duration (ms, >= 0) as h:mm:ss, or "Nd hh:mm" from one day on. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / SECOND_MS));
  const days = Math.floor(total / (DAY_MS / SECOND_MS));
  const hours = Math.floor((total % (DAY_MS / SECOND_MS)) / (HOUR_MS / SECOND_MS));
  const minutes = Math.floor((total % (HOUR_MS / SECOND_MS)) / (MINUTE_MS / SECOND_MS));
  const seconds = total % (MINUTE_MS / SECOND_MS);
  if (days > 0) return t("time.days", { days, clock: `${pad(hours)}:${pad(minutes)}` });
  return `${hours}:${pad(minutes)}:${pad(seconds)}`;
}

/** Time left until ``deadline``: positive as a countdown, negative as "overdue ...". */
export function formatTimeLeft(leftMs) {
  return leftMs >= 0 ? formatDuration(leftMs) : t("time.overdue", { duration: formatDuration(-leftMs) });
}

/** "how long ago" for a past instant, in the largest whole unit (seconds to days). */
export function formatAgo(ts, now = Date.now()) {
  const ms = Math.max(0, now - ts);
  const units = [["d", DAY_MS], ["h", HOUR_MS], ["min", MINUTE_MS], ["s", SECOND_MS]];
  const [unit, size] = units.find(([, size]) => ms >= size) || units[units.length - 1];
  return t(`time.ago_${unit}`, { n: Math.floor(ms / size) });
}

/** Show times in the IANA zone ``tz`` (e.g. "Asia/Shanghai"); false when it is unknown. */
export const setTimeZone = setZone;

/** The zone times are shown in. */
export function timeZone() {
  return currentZone() || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The wall clock at instant ``ts`` (ms) in the zone in use: {year, month, day, hour, minute,
 * second} as numbers. */
export const zonedParts = zoneParts;

/** The instant (ms) of a wall-clock time in the zone in use: ``zonedMs("2026-12-01", 8, 30)``. */
export function zonedMs(date, hour = 0, minute = 0) {
  const [y, m, d] = date.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  let guess = wall;
  for (let i = 0; i < 2; i += 1) {  // the zone's offset at the guess, twice (DST edges)
    const p = zonedParts(guess);
    guess += wall - Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  }
  return guess;
}

export function formatClock(ts) {
  if (!Number.isFinite(ts)) return t("time.none");
  const p = zonedParts(ts);
  return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** Hours and minutes of ``ts`` in the zone in use. */
export function formatTime(ts) {
  if (!Number.isFinite(ts)) return t("time.none");
  const p = zonedParts(ts);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** The calendar date of ``d`` (a Date or ms) in the zone in use, as YYYY-MM-DD. */
export function localDate(d = new Date()) {
  const p = zonedParts(d instanceof Date ? d.getTime() : d);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

export function formatDateTime(ts) {
  if (!Number.isFinite(ts)) return t("time.none");
  return `${localDate(ts)} ${formatTime(ts)}`;
}

/** A share (0..1) as a percentage with ``digits`` decimals. */
export function formatPercent(share, digits = 1) {
  if (!Number.isFinite(share)) return t("time.none");
  return `${(share * PERCENT).toFixed(digits)}%`;
}

/** A distance in metres as "850 m" or "2.3 km". */
export function formatDistance(metres) {
  if (!Number.isFinite(metres)) return t("time.none");
  return metres < KM ? `${Math.round(metres)} m` : `${(metres / KM).toFixed(1)} km`;
}
