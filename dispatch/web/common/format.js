// Times, durations and numbers as people read them (texts from the i18n table).

import { t } from "./i18n.js";
import { zoneParts } from "./zone.js";

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
const PERCENT = 100;

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

// Clock times and dates are the street's (common/zone.js), whatever the browser's zone.
export function formatClock(ts) {
  if (!Number.isFinite(ts)) return t("time.none");
  const p = zoneParts(ts);
  return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** The street's calendar date of ``d`` as YYYY-MM-DD. */
export function localDate(d = new Date()) {
  const p = zoneParts(d.getTime());
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

export function formatDateTime(ts) {
  if (!Number.isFinite(ts)) return t("time.none");
  const p = zoneParts(ts);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** A share (0..1) as a percentage with ``digits`` decimals. */
export function formatPercent(share, digits = 1) {
  if (!Number.isFinite(share)) return t("time.none");
  return `${(share * PERCENT).toFixed(digits)}%`;
}
