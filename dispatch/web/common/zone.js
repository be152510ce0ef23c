// The street's time zone: every time on the pages is shown in it, whatever the browser's
// zone. setZone(tz) once the street is known (GET /api/v1/street gives `tz`); until then
// (and for an unknown zone) the browser's zone is used.

let formatter = null;
let zone = null;

/** Show times in ``tz`` (an IANA name such as "Asia/Shanghai"); false when unknown. */
export function setZone(tz) {
  if (!tz) return false;
  try {
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    zone = tz;
    return true;
  } catch {
    formatter = null;
    zone = null;
    return false;
  }
}

export function currentZone() {
  return zone;
}

/** {year, month, day, hour, minute, second} of ``ts`` (ms) in the street's zone. */
export function zoneParts(ts) {
  const d = new Date(ts);
  if (!formatter) {
    return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(),
      hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds() };
  }
  const parts = {};
  for (const { type, value } of formatter.formatToParts(d)) {
    if (type !== "literal") parts[type] = Number(value);
  }
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour % 24,
    minute: parts.minute, second: parts.second };
}
