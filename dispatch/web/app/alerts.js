// Alerts for the person holding the phone: pushed by the server (out of grid, signal lost,
// missed patrol...) or raised by the page itself (the patrol window is closing). The newest
// open one shows as a banner over every view until dismissed; all of them are listed.

import { byId, h } from "../common/dom.js";
import { formatClock } from "../common/format.js";
import { label, t } from "../common/i18n.js";
import { icon } from "./icons.js";

const CLOSED_STATES = new Set(["closed", "cleared"]);
const MAX_KEPT = 30;

/** An alert message in one shape, whether flat or nested under ``alert``. */
function normalise(message) {
  const flat = message.alert && typeof message.alert === "object"
    ? { ...message, ...message.alert } : { ...message };
  // The server's alerts carry their extras (grid, window...) in `data`.
  const a = { ...(flat.data && typeof flat.data === "object" ? flat.data : {}), ...flat };
  a.ts = a.ts ?? a.last_ts ?? a.first_ts;
  a.id = String(a.id ?? `${a.kind}:${a.ts}`);
  a.cleared = CLOSED_STATES.has(a.state);
  return a;
}

export function alertText(a) {
  const details = [];
  if (a.at_grid) details.push(t("alert.at_grid", { grid: a.at_grid }));
  if (a.window) details.push(t("alert.window", { window: a.window }));
  if (Number.isFinite(a.minutes)) details.push(t("alerts.minutes_left", { n: a.minutes }));
  if (a.case) details.push(String(a.case));
  if (a.note) details.push(String(a.note));
  return [label("alert.kind.", a.kind), ...details].join(" · ");
}

/** onChange() after the list changed; onOpen(alert) when the banner is tapped. */
export function createAlerts({ onChange = () => {}, onOpen = () => {} } = {}) {
  const alerts = new Map();
  const dismissed = new Set();

  function newestOpen() {
    return [...alerts.values()].filter((a) => !a.cleared && !dismissed.has(a.id))
      .sort((a, b) => b.ts - a.ts)[0] || null;
  }

  function trim() {
    const sorted = [...alerts.values()].sort((a, b) => b.ts - a.ts);
    for (const old of sorted.slice(MAX_KEPT)) alerts.delete(old.id);
  }

  function renderBanner() {
    const el = byId("banner");
    const a = newestOpen();
    el.hidden = !a;
    if (!a) return;
    el.dataset.kind = a.kind;
    el.replaceChildren(
      h("button", { type: "button", class: "banner-text", onclick: () => onOpen(a) },
        icon("warning", "icon banner-icon"), alertText(a)),
      h("button", { type: "button", class: "banner-close", "aria-label": t("card.close"),
        onclick: () => {
          dismissed.add(a.id);
          renderBanner();
        } }, "×"));
  }

  function changed() {
    trim();
    renderBanner();
    onChange();
  }

  return {
    /** An alert message from the server. */
    add(message) {
      const a = normalise(message);
      const known = alerts.get(a.id);
      alerts.set(a.id, known ? { ...known, ...a } : a);
      changed();
    },
    /** An alert the page raises itself (kept once per id; its details are updated). */
    addLocal(alert) {
      const known = alerts.get(alert.id);
      if (known && known.minutes === alert.minutes) return;
      alerts.set(alert.id, { ...alert, local: true, ts: known ? known.ts : alert.ts });
      changed();
    },
    clearLocal() {
      for (const [id, a] of alerts) if (a.local) alerts.delete(id);
      changed();
    },
    count: () => [...alerts.values()].filter((a) => !a.cleared).length,
    renderList(el) {
      const items = [...alerts.values()].sort((a, b) => b.ts - a.ts);
      el.replaceChildren(...items.map((a) => h("li", { dataset: { kind: a.kind,
        cleared: String(a.cleared) } },
      h("time", { class: "muted" }, formatClock(a.ts)),
      h("span", { class: "grow" }, alertText(a)),
      a.cleared ? h("span", { class: "muted" }, t("alert.cleared")) : null)));
      if (!items.length) el.append(h("li", { class: "muted" }, t("alerts.empty")));
    },
    render: renderBanner,
  };
}
