// The cases escalated to the district (督办 at the district's tier), newest first: the
// snapshot's, then each `escalation` as it opens, changes or clears in any street. An
// item opens the street's command screen.

import { byId, h } from "../common/dom.js";
import { formatAgo, formatDateTime } from "../common/format.js";
import { t } from "../common/i18n.js";
import { streetHref } from "./table.js";

const CLEARED = "cleared";

function keyOf(alert) {
  return `${alert.street}:${alert.id}`;
}

/** ``nameOf(code)``: a street's name; ``onChange()``: the list changed. */
export function createEscalations({ nameOf, onChange = () => {} }) {
  const open = new Map();

  function put(alert) {
    if (!alert || !alert.id || !alert.street) return;
    if (alert.state === CLEARED) open.delete(keyOf(alert));
    else open.set(keyOf(alert), alert);
  }

  function item(a) {
    const data = a.data || {};
    const caseId = (a.subject && a.subject.case) || "";
    const when = a.last_ts || a.first_ts;
    return h("li", { class: "escalation", dataset: { alert: a.id, street: a.street,
      case: caseId, severity: a.severity || "" } },
    h("a", { href: streetHref(a.street), title: t("district.open_street",
      { street: nameOf(a.street) }) },
    h("span", { class: "escalation-street" }, nameOf(a.street)),
    h("span", { class: "escalation-what" }, data.item_name || data.item || "",
      " · ", t("district.escalation_case", { case: caseId })),
    h("span", { class: "escalation-level" }, t("district.escalation_level",
      { level: data.level ?? "" })),
    h("time", { class: "escalation-time", title: Number.isFinite(when) ? formatDateTime(when)
      : "" }, Number.isFinite(when) ? formatAgo(when) : "")));
  }

  function render() {
    const items = [...open.values()].sort((a, b) => (b.last_ts || 0) - (a.last_ts || 0));
    byId("escalation-list").replaceChildren(...items.map(item));
    byId("escalation-empty").hidden = items.length > 0;
    byId("escalation-count").textContent = String(items.length);
  }

  return {
    replace(alerts) {
      open.clear();
      for (const a of alerts || []) put(a);
      render();
      onChange();
    },
    update(alert) {
      put(alert);
      render();
      onChange();
    },
    count: () => open.size,
    render,
  };
}
