// The alert feed, newest first: the snapshot's alerts, then `alert` deltas. The alert may
// be the message itself ({type: "alert", id, kind, state: "open" | "closed", ...}) or
// nested in it ({type: "alert", alert: {...}}). An alert that comes again with the same id
// replaces the first (e.g. when it closes: it stays in the feed, marked cleared).

import { byId, h } from "../common/dom.js";
import { formatClock } from "../common/format.js";
import { has, label, t } from "../common/i18n.js";

/** The feed keeps this many alerts. */
const MAX_ALERTS = 200;

function asAlertList(section) {
  if (Array.isArray(section)) return section;
  if (section && typeof section === "object") return Object.values(section);
  return [];
}

/** An alert as the feed keeps it: flat, with `cleared` true once it is closed. */
export function normaliseAlert(message) {
  if (!message || typeof message !== "object") return null;
  const inner = message.alert && typeof message.alert === "object" ? message.alert : message;
  const { type, seq, ...fields } = inner;
  // The server's alerts carry their extras in `data` and name their subject.
  const extras = fields.data && typeof fields.data === "object" ? fields.data : {};
  const subject = fields.subject && typeof fields.subject === "object" ? fields.subject : {};
  const alert = { ...extras, ...subject, ...fields };
  alert.ts = alert.ts ?? alert.last_ts ?? alert.first_ts;
  alert.station = alert.station ?? (alert.scope && alert.scope.station);
  alert.cleared = Boolean(alert.cleared || alert.state === "closed" || alert.state === "cleared");
  return alert;
}

export function createAlerts({ names, onWorker = () => {}, onCase = () => {} }) {
  let alerts = [];
  const list = byId("alert-list");
  const empty = byId("alert-empty");
  const count = byId("alert-count");
  let localIds = 0;

  function keyOf(a) {
    if (a.id !== undefined && a.id !== null) return String(a.id);
    localIds += 1;
    return `local-${localIds}`;
  }

  function add(message) {
    const a = normaliseAlert(message);
    if (!a) return null;
    const key = keyOf(a);
    const known = alerts.find((x) => x.key === key);
    const merged = { ...(known ? known.alert : {}), ...a };
    alerts = [{ key, alert: merged }, ...alerts.filter((x) => x.key !== key)];
    return merged;
  }

  function trimAndSort() {
    alerts.sort((x, y) => (Number(y.alert.ts) || 0) - (Number(x.alert.ts) || 0));
    alerts = alerts.slice(0, MAX_ALERTS);
  }

  /** What the alert says beyond its kind, worker and grid, in the page's language. */
  function details(a) {
    const kindKnown = has(`alert.kind.${a.kind}`);
    return [
      a.at_grid && a.at_grid !== a.grid ? t("alert.at_grid", { grid: a.at_grid }) : "",
      a.window ? t("alert.window", { window: a.window }) : "",
      // The server's text is one language only: shown when the page has no words for the kind.
      !kindKnown && a.message ? a.message : "",
    ].filter(Boolean).join(" · ");
  }

  function item({ key, alert: a }) {
    const who = [a.worker, a.grid ? `${a.grid} ${names.gridName(a.grid)}` : ""].filter(Boolean)
      .join(" · ");
    const more = details(a);
    return h("li", { class: "alert", dataset: { alert: key, kind: a.kind || "",
      cleared: a.cleared ? "true" : "false" },
    onclick: () => (a.case ? onCase(String(a.case)) : a.worker && onWorker(a.worker)) },
    h("time", null, formatClock(Number(a.ts))),
    h("span", { class: "alert-kind" }, label("alert.kind.", a.kind)),
    h("span", { class: "alert-who" }, who),
    more ? h("span", { class: "alert-message" }, more) : null,
    a.cleared ? h("span", { class: "alert-cleared" }, t("alert.cleared")) : null);
  }

  function render() {
    list.replaceChildren(...alerts.map(item));
    empty.hidden = alerts.length > 0;
    count.textContent = String(alerts.filter((x) => !x.alert.cleared).length);
  }

  return {
    replace(section) {
      alerts = [];
      for (const a of asAlertList(section)) add(a);
      trimAndSort();
      render();
    },
    /** Add (or update) an alert from a delta; returns it as the feed keeps it. */
    add(message) {
      const alert = add(message);
      trimAndSort();
      render();
      return alert;
    },
    render,
  };
}
