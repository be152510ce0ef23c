// The alert panel: the snapshot's alerts, then `alert` deltas (an alert that comes again
// with the same id replaces the first; a cleared one stays a while, greyed). Open before
// acknowledged, the most severe first, then the newest. A burst is one alert with a count
// (e.g. 漏巡 ×6 of a station); alerts of one kind and occasion from several stations or
// departments fold into one line (漏巡 ×62 (下午巡查时段)) that opens on a click.
// Whoever may act on an alert acknowledges (确认) or resolves (处理) it with a note.

import { byId, h } from "../common/dom.js";
import { formatClock } from "../common/format.js";
import { has, label, t } from "../common/i18n.js";

/** The feed keeps this many alerts, and this many of them cleared. */
const MAX_ALERTS = 300;
const MAX_CLEARED = 30;
/** Members shown on a line (the rest as "+n"). */
const CHIPS = 6;
const SEVERITY = { info: 1, warning: 2, major: 3, critical: 4 };
const STATE_ORDER = { open: 0, acked: 1, cleared: 2 };
/** Kinds whose alerts of one occasion fold into one line across stations or departments. */
const FOLDING = new Set(["out_of_grid", "signal_lost", "offline_on_patrol", "patrol_missed",
  "case_near_limit", "case_overdue"]);
/** Kinds whose bucket is "date|window" (the patrol window is the alert's occasion); other
 * kinds' buckets name other things, e.g. a whistle's "n|department". */
const WINDOW_BUCKET_KINDS = new Set(["patrol_missed"]);
const PERCENT = 100;
/** Kinds about one assisting part (协办) of a case: a member is "case|department". */
const PART_KINDS = new Set(["part_near_limit", "part_overdue"]);
const PART_MEMBER_SEPARATOR = "|";
/** Fewer alerts of one kind and occasion than this are shown one by one. */
const FOLD_MIN = 3;

function asAlertList(section) {
  if (Array.isArray(section)) return section;
  if (section && typeof section === "object") return Object.values(section);
  return [];
}

/** An alert as the feed keeps it: flat (extras of `data` beside the model's fields),
 * `worker` or `case` from its subject, `ts` its last raise, `cleared` once cleared. */
export function normaliseAlert(message) {
  if (!message || typeof message !== "object") return null;
  const inner = message.alert && typeof message.alert === "object" ? message.alert : message;
  const { type, seq, ...fields } = inner;
  const extras = fields.data && typeof fields.data === "object" ? fields.data : {};
  const subject = fields.subject && typeof fields.subject === "object" ? fields.subject : {};
  const alert = { ...extras, ...subject, ...fields };
  alert.ts = Number(alert.last_ts ?? alert.ts ?? alert.first_ts) || 0;
  alert.station = alert.station ?? (alert.scope && alert.scope.station);
  alert.department = alert.department ?? (alert.scope && alert.scope.department);
  alert.cleared = Boolean(alert.cleared || alert.state === "closed" || alert.state === "cleared");
  if (alert.cleared) alert.state = "cleared";
  else if (!alert.state) alert.state = "open";
  alert.count = Number(alert.count) || 1;
  return alert;
}

function compare(a, b) {
  return (STATE_ORDER[a.state] ?? 0) - (STATE_ORDER[b.state] ?? 0)
    || (SEVERITY[b.severity] || 0) - (SEVERITY[a.severity] || 0)
    || b.ts - a.ts
    || String(b.id).localeCompare(String(a.id), undefined, { numeric: true });
}

function foldKey(a) {
  return FOLDING.has(a.kind) && !a.cleared ? `${a.kind}|${a.bucket || ""}` : null;
}

/** The members of an alert, active ones first: [[name, active], ...]. */
function membersOf(a) {
  const members = a.members && typeof a.members === "object" ? Object.entries(a.members) : [];
  return members.sort((x, y) => Number(y[1]) - Number(x[1])
    || x[0].localeCompare(y[0], undefined, { numeric: true }));
}

export function createAlerts({ names, api = null, canAct = () => false, onWorker = () => {},
                               onCase = () => {} }) {
  const alerts = new Map();
  const expanded = new Set();
  const list = byId("alert-list");
  const empty = byId("alert-empty");
  const count = byId("alert-count");
  let localIds = 0;
  // The open note form: {ids, action, key, error}
  let form = null;

  function add(message) {
    const a = normaliseAlert(message);
    if (!a) return null;
    if (a.id === undefined || a.id === null) {
      localIds += 1;
      a.id = `local-${localIds}`;
    }
    const id = String(a.id);
    const merged = { ...(alerts.get(id) || {}), ...a, id };
    alerts.set(id, merged);
    return merged;
  }

  function trim() {
    const sorted = [...alerts.values()].sort(compare);
    const cleared = sorted.filter((a) => a.cleared);
    for (const a of cleared.slice(MAX_CLEARED)) alerts.delete(a.id);
    for (const a of sorted.filter((x) => alerts.has(x.id)).slice(MAX_ALERTS)) {
      alerts.delete(a.id);
    }
  }

  function windowOf(a) {
    const window = a.window
      || (WINDOW_BUCKET_KINDS.has(a.kind) && a.bucket && String(a.bucket).split("|")[1]);
    return window ? names.window(window) : "";
  }

  function title(a, total = a.count) {
    const window = windowOf(a);
    return [label("alert.kind.", a.kind), total > 1 ? t("alert.count", { n: total }) : "",
      window ? `(${window})` : ""].filter(Boolean).join(" ");
  }

  function memberChip(a, name, active) {
    const isCase = a.subject && a.subject.case !== undefined;
    // a part's member is "case|department": the case opens, the department by its name
    const [caseId, part] = PART_KINDS.has(a.kind) ? name.split(PART_MEMBER_SEPARATOR)
      : [name, ""];
    return h("button", { type: "button", class: "chip member", dataset: { member: name,
      active: active ? "true" : "false" },
    onclick: (event) => {
      event.stopPropagation();
      if (isCase) onCase(caseId);
      else onWorker(name);
    } }, part ? `${caseId} ${names.department(part)}` : name);
  }

  /** Who or what the alert is about, and where: a worker and grid, a case, the members. */
  function who(a) {
    const members = membersOf(a);
    const where = a.cleared ? "" : a.department ? names.department(a.department)
      : a.station ? names.station(a.station) : "";
    if (members.length > 1) {
      const chips = members.slice(0, CHIPS).map(([name, on]) => memberChip(a, name, on));
      if (members.length > CHIPS) {
        chips.push(h("span", { class: "muted" }, t("alert.more", { n: members.length })));
      }
      const still = members.filter(([, on]) => on).length;
      return h("span", { class: "alert-who" }, where ? h("span", null, where) : null, ...chips,
        !a.cleared && still < members.length
          ? h("span", { class: "muted" }, t("alert.still", { n: still })) : null);
    }
    if (a.case) {
      return h("span", { class: "alert-who" }, `${a.case} ${a.item_name || ""}`.trim(),
        where ? ` · ${where}` : "");
    }
    const grid = a.grid ? `${a.grid} ${names.gridName(a.grid)}` : "";
    return h("span", { class: "alert-who" }, [a.worker, grid, where].filter(Boolean).join(" · "));
  }

  /** What the alert says beyond its kind and subject, in the page's language. */
  function details(a) {
    const battery = Number.isFinite(a.batt) ? Math.round(a.batt <= 1 ? a.batt * PERCENT : a.batt)
      : null;
    return [
      a.at_grid && a.at_grid !== a.grid ? t("alert.at_grid", { grid: a.at_grid }) : "",
      a.kind === "case_escalated" && a.level ? t("alert.level", { n: a.level }) : "",
      a.kind === "rework_limit" && a.rework_count ? t("alert.rework", { n: a.rework_count }) : "",
      PART_KINDS.has(a.kind) && a.part ? t("alert.part", { department: names.department(a.part),
        time: a.part_deadline ? formatClock(Number(a.part_deadline)) : "" }) : "",
      battery !== null ? t("alert.battery", { n: battery }) : "",
      !has(`alert.kind.${a.kind}`) && a.message ? a.message : "",
    ].filter(Boolean).join(" · ");
  }

  function stateText(a) {
    if (a.cleared) {
      const reason = a.resolved_by ? t("alert.resolved_by", { who: a.resolved_by,
        time: formatClock(Number(a.resolved_ts)) })
        : a.reason ? label("alert.reason.", a.reason) : "";
      return [t("alert.state.cleared"), reason].filter(Boolean).join(" · ");
    }
    if (a.state === "acked") {
      return t("alert.acked_by", { who: a.acked_by || "", time: formatClock(Number(a.acked_ts)) });
    }
    return t("alert.state.open");
  }

  async function submit(ids, action, note, key) {
    try {
      for (const id of ids) {
        const done = await api.post(`/api/v1/alerts/${encodeURIComponent(id)}/${action}`,
          { note });
        add(done);
      }
      form = null;
    } catch (error) {
      form = { ids, action, key, error: error.message, note };
    }
    render();
  }

  function noteForm(ids, action, key) {
    const required = action === "resolve";
    const input = h("input", { name: "note", maxlength: "2000",
      placeholder: t(required ? "alert.resolve_note" : "alert.note"),
      value: form && form.note ? form.note : "",
      oninput: () => {
        if (form) form.note = input.value;  // kept when a delta redraws the panel
      } });
    if (required) input.required = true;
    const el = h("form", { class: "alert-form", dataset: { action },
      onclick: (event) => event.stopPropagation(),
      onsubmit: (event) => {
        event.preventDefault();
        if (required && !input.value.trim()) return;
        submit(ids, action, input.value.trim(), key);
      } },
    input,
    h("button", { type: "submit" }, t("alert.submit")),
    h("button", { type: "button", class: "secondary", onclick: () => {
      form = null;
      render();
    } }, t("alert.cancel")),
    form && form.error ? h("span", { class: "notice error" },
      t("alert.failed", { message: form.error })) : null);
    setTimeout(() => input.focus(), 0);
    return el;
  }

  function buttons(ids, key, { ack = true, resolve = true } = {}) {
    const open = (action) => (event) => {
      event.stopPropagation();
      form = { ids, action, key, error: null, note: "" };
      render();
    };
    return h("span", { class: "alert-actions" },
      ack ? h("button", { type: "button", dataset: { act: "ack" }, onclick: open("ack") },
        t(ids.length > 1 ? "alert.ack_all" : "alert.ack")) : null,
      resolve ? h("button", { type: "button", class: "secondary", dataset: { act: "resolve" },
        onclick: open("resolve") }, t("alert.resolve")) : null);
  }

  function item(a, nested = false) {
    const acting = !a.cleared && api && canAct(a);
    const more = details(a);
    const li = h("li", { class: nested ? "alert nested" : "alert", dataset: { alert: a.id,
      kind: a.kind || "", severity: a.severity || "", state: a.state,
      cleared: a.cleared ? "true" : "false" },
    onclick: () => (a.case ? onCase(String(a.case)) : a.worker && onWorker(a.worker)) },
    h("span", { class: "alert-sev", title: label("alert.severity.", a.severity) },
      label("alert.severity.", a.severity)),
    h("span", { class: "alert-kind" }, title(a)),
    h("time", null, formatClock(a.ts)),
    who(a),
    more ? h("span", { class: "alert-message" }, more) : null,
    h("span", { class: a.cleared ? "alert-state alert-cleared" : "alert-state" }, stateText(a)),
    acting ? buttons([a.id], a.id, { ack: a.state === "open" }) : null);
    if (form && form.key === a.id) li.append(noteForm(form.ids, form.action, a.id));
    return li;
  }

  function fold(key, group) {
    const first = group[0];
    const total = group.reduce((n, a) => n + a.count, 0);
    const anyOpen = group.some((a) => a.state === "open");
    const open = group.filter((a) => a.state === "open" && api && canAct(a)).map((a) => a.id);
    const where = first.kind.startsWith("case_")
      ? t("alert.departments", { n: new Set(group.map((a) => a.department)).size })
      : t("alert.stations", { n: new Set(group.map((a) => a.station)).size });
    const shown = expanded.has(key);
    const li = h("li", { class: "alert fold", dataset: { fold: key, kind: first.kind,
      severity: first.severity || "", state: anyOpen ? "open" : "acked", cleared: "false" },
    onclick: () => {
      if (shown) expanded.delete(key);
      else expanded.add(key);
      render();
    } },
    h("span", { class: "alert-sev" }, label("alert.severity.", first.severity)),
    h("span", { class: "alert-kind" }, title(first, total)),
    h("time", null, formatClock(Math.max(...group.map((a) => a.ts)))),
    h("span", { class: "alert-who" }, where),
    h("span", { class: "alert-state" }, t(anyOpen ? "alert.state.open" : "alert.state.acked"),
      h("span", { class: "fold-toggle", title: t(shown ? "alert.collapse" : "alert.expand") },
        shown ? " ▾" : " ▸")),
    open.length ? buttons(open, key, { resolve: false }) : null);
    if (form && form.key === key) li.append(noteForm(form.ids, form.action, key));
    return [li, ...(shown ? group.map((a) => item(a, true)) : [])];
  }

  function render() {
    const sorted = [...alerts.values()].sort(compare);
    const groups = new Map();
    for (const a of sorted) {
      const key = foldKey(a);
      if (key) groups.set(key, [...(groups.get(key) || []), a]);
    }
    const rows = [];
    const done = new Set();
    for (const a of sorted) {
      const key = foldKey(a);
      if (key && groups.get(key).length >= FOLD_MIN) {
        if (!done.has(key)) rows.push(...fold(key, groups.get(key)));
        done.add(key);
      } else {
        rows.push(item(a));
      }
    }
    list.replaceChildren(...rows);
    empty.hidden = alerts.size > 0;
    const unacked = sorted.filter((a) => a.state === "open").length;
    count.textContent = t("alerts.unacked", { n: unacked });
    count.dataset.open = String(unacked);
  }

  return {
    replace(section) {
      alerts.clear();
      for (const a of asAlertList(section)) add(a);
      trim();
      render();
    },
    /** Add (or update) an alert from a delta; returns it as the feed keeps it. */
    add(message) {
      const alert = add(message);
      trim();
      render();
      return alert;
    },
    get: (id) => alerts.get(String(id)) || null,
    render,
  };
}
