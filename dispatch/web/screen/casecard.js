// A case's card: its summary at once, then its detail (GET /api/v1/cases/{id}) with the
// timeline and photos; a dispatcher works it from here: triage, supervise (督办), assign to a
// member, reassign, return to triage, suspend and resume, mark duplicate, cancel, reopen a
// closed case, approve or refuse an extension; add and remove assisting departments (协办),
// whose parts show with their own lights.

import { h } from "../common/dom.js";
import { formatDateTime } from "../common/format.js";
import { label, t } from "../common/i18n.js";
import { personName as person } from "../common/people.js";
import { fields } from "./card.js";
import { lightOf, timeLeftText } from "./cases.js";

const TRIAGE = "triage";
const FAILED = "case.failed";
const WORKING = ["supervise", "assign", "reassign", "assist", "whistle", "return", "suspend",
  "duplicate", "cancel"];
/** Parts still being worked on, and the case states in which their clocks run. */
const OPEN_PARTS = new Set(["offered", "accepted"]);
const RUNNING = new Set(["reported", "dispatched", "accepted", "triage", "reopened"]);
/** Where the desk may remove an assisting department. */
const UNASSIST_STATES = new Set(["dispatched", "accepted", "reopened", "triage", "suspended"]);

/** A part's light now: red once its own deadline passed while it is open and the case runs. */
export function partLight(part, c, now = Date.now()) {
  if (OPEN_PARTS.has(part.state) && RUNNING.has(c.state) && Number.isFinite(part.deadline)
      && now >= part.deadline) return "red";
  return part.light || "green";
}
/** What the desk may do to a case in each state (the server decides; this is the menu). */
const DESK_ACTIONS = {
  reported: ["duplicate", "cancel"],
  triage: ["triage", "assign", "whistle", "suspend", "duplicate", "cancel"],
  dispatched: WORKING,
  accepted: WORKING,
  reopened: WORKING,
  resolved: ["whistle", "cancel"],
  suspended: ["resume", "duplicate", "cancel"],
  closed: ["reopen"],
};
/** What a station's lead may do from the desk: blow the whistle (吹哨) on the station's cases. */
const WHISTLE_ONLY = new Set(["whistle"]);
/** Who may be assigned a case by name. */
const ASSIGNABLE_ROLES = new Set(["disposal_member", "dept_lead"]);

export function createCaseCard({ api, card, cases, names, canDispatch, canWhistle = () => false,
  onSelect = () => {} }) {
  // The open card: {id, detail, error, photos: Map(mediaId -> object URL), leftEl, notice,
  // form: the desk action whose form shows}
  let open = null;
  let people = null;

  function current() {
    if (!open) return null;
    return { id: open.id, ...(open.detail || {}), ...(cases.get(open.id) || {}) };
  }

  function summaryRows(c) {
    open.leftEl = h("time", { class: "case-left" }, timeLeftText(c));
    return fields([
      [t("case.state"), label("state.", c.state)],
      [t("case.category"), names.category(c.category)],
      [t("case.grid"), c.grid ? `${c.grid} ${names.gridName(c.grid)}` : ""],
      [t("case.department"), names.department(c.department)],
      [t("case.assignee"), person(c, c.assignee)],
      [t("case.reporter"), person(c, c.reporter)],
      [t("case.created"), Number.isFinite(c.created) ? formatDateTime(c.created) : ""],
      [t("case.deadline"), Number.isFinite(c.deadline) ? formatDateTime(c.deadline) : ""],
      [t("case.left"), open.leftEl],
      [t("case.severity"), c.severity ? label("severity.", c.severity) : ""],
      [t("case.duplicate_of"), c.duplicate_of || ""],
      [t("case.rework"), c.rework_count ? String(c.rework_count) : ""],
      [t("case.level"), c.escalation_level ? String(c.escalation_level) : ""],
      [t("case.description"), c.description || ""],
    ]);
  }

  /** The assisting departments' parts (协办): each with its light, state, holder, limit. */
  function parts(c) {
    if (!c.parts || !c.parts.length) return null;
    const removable = canDispatch() && UNASSIST_STATES.has(c.state);
    return h("section", { class: "parts" },
      h("h4", null, t("case.parts")),
      h("ul", null, c.parts.map((p) => h("li", { dataset: { part: p.department,
        partState: p.state, light: partLight(p, c) } },
      h("span", { class: "light", dataset: { light: partLight(p, c) } }),
      h("strong", null, names.department(p.department)),
      h("span", { class: "part-state" }, label("part.state.", p.state)),
      h("span", null, person(c, p.assignee)),
      h("time", null, Number.isFinite(p.deadline) ? formatDateTime(p.deadline) : ""),
      removable ? h("button", { type: "button", class: "secondary", dataset: { unassist: p.department },
        onclick: () => {
          open.form = `unassist:${p.department}`;
          open.notice = null;
          render();
        } }, t("case.act.unassist")) : null))),
      removable && open.form && open.form.startsWith("unassist:") ? unassistForm(open.form.slice(9))
        : null);
  }

  /** The latest whistle (吹哨): each summoned department on site or not, by the limit. */
  function whistle(c) {
    const w = c.whistle;
    if (!w) return null;
    const status = (d) => {
      if (d.checkin) {
        return t(d.late ? "whistle.late_in" : "whistle.in", { member: person(c, d.checkin.member),
          at: formatDateTime(d.checkin.ts), m: Math.round(d.checkin.distance_m) });
      }
      return t(d.late ? "whistle.missing" : "whistle.waiting");
    };
    return h("section", { class: "whistle", dataset: { n: String(w.n) } },
      h("h4", null, t("case.whistle", { due: formatDateTime(w.due) })),
      h("ul", null, w.departments.map((d) => h("li", { dataset: { summoned: d.department,
        checked: String(Boolean(d.checkin)), late: String(Boolean(d.late)) } },
      h("span", { class: "light", dataset: { light: d.late ? "red" : d.checkin ? "green" : "yellow" } }),
      h("strong", null, names.department(d.department)),
      h("span", { class: "whistle-status" }, status(d))))));
  }

  /** A desk form's submit button (its text by ``submitKey``) and, unless told not to, its
   * cancel button. */
  function formButtons(submitKey = "case.form.submit", { cancel = true } = {}) {
    return [h("button", { type: "submit" }, t(submitKey)),
      cancel ? h("button", { type: "button", class: "secondary", onclick: () => {
        open.form = null;
        render();
      } }, t("case.form.cancel")) : null];
  }

  function whistleForm(c) {
    const boxes = names.departments().filter((d) => d.id !== "centre")
      .map((d) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: "departments", value: d.id }), d.name));
    const minutes = h("input", { name: "respond_min", type: "number", min: "1", max: "1440",
      value: "30", "aria-label": t("case.form.respond_min") });
    const el = h("form", { class: "action-form", dataset: { action: "whistle" },
      onsubmit: (event) => {
        event.preventDefault();
        const chosen = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked)
          .map((i) => i.value);
        if (!chosen.length) return;
        act("whistle", { departments: chosen, respond_min: Number(minutes.value) || 30 });
      } },
    h("label", null, t("case.act.whistle")), h("div", { class: "checks" }, boxes),
    h("label", null, t("case.form.respond_min"), minutes),
    ...formButtons());
    return el;
  }

  function unassistForm(department) {
    const reason = textField("reason", "case.form.reason");
    const el = h("form", { class: "action-form", dataset: { action: "unassist" },
      onsubmit: (event) => {
        event.preventDefault();
        if (!reason.value) return;
        act("unassist", { department, reason: reason.value });
      } },
    h("label", null, `${t("case.act.unassist")} ${names.department(department)}`), reason,
    ...formButtons());
    return el;
  }

  function timeline(entries, c) {
    if (!entries || !entries.length) return null;
    // an action that keeps the state (a whistle, a check-in, 督办) shows the state once
    const states = (e) => (!e.from && !e.to ? ""
      : e.from === e.to || !e.to ? label("state.", e.from || e.to)
        : `${label("state.", e.from)} → ${label("state.", e.to)}`);
    const extra = (e) => [e.department ? names.department(e.department) : "",
      e.part ? t("case.part_of", { department: names.department(e.part) }) : "", person(c, e.member),
      e.duplicate_of ? `→ ${e.duplicate_of}` : "", e.case || "",
      e.level ? t("alert.level", { n: e.level }) : "",
      e.hours ? `${e.hours}h` : ""].filter(Boolean).join(" ");
    return h("section", { class: "timeline" },
      h("h4", null, t("case.timeline")),
      h("table", null,
        h("thead", null, h("tr", null, ["when", "who", "action", "states", "note"]
          .map((col) => h("th", null, t(`case.col.${col}`))))),
        h("tbody", null, entries.map((e) => h("tr", null,
          h("td", null, formatDateTime(e.ts)),
          h("td", null, person(c, e.by)),
          h("td", null, label("action.", e.action)),
          h("td", null, states(e)),
          h("td", null, [e.note || "", extra(e)].filter(Boolean).join(" · ")))))));
  }

  function photos(ids) {
    if (!ids || !ids.length) return null;
    const box = h("section", { class: "photos" }, h("h4", null, t("case.photos")));
    for (const id of ids) {
      const img = h("img", { alt: t("case.photo_alt", { id }), dataset: { media: id } });
      box.append(img);
      const known = open.photos.get(id);
      if (known) {
        img.src = known;
        continue;
      }
      const openId = open.id;
      api.blobUrl(`/api/v1/media/${encodeURIComponent(id)}`).then((url) => {
        if (!open || open.id !== openId) {
          URL.revokeObjectURL(url);
          return;
        }
        open.photos.set(id, url);
        img.src = url;
      }).catch(() => img.classList.add("missing"));
    }
    return box;
  }

  async function act(action, body) {
    const id = open.id;
    try {
      await api.post(`/api/v1/cases/${encodeURIComponent(id)}/${action}`, body);
      if (open && open.id === id) {
        open.notice = ["case.done", {}];
        open.form = null;
      }
    } catch (error) {
      if (open && open.id === id) open.notice = [FAILED, { message: error.message }];
    }
    if (open && open.id === id) await load(id);
  }

  /** Members and leads of every department, by department (loaded once, for assigning). */
  async function loadPeople() {
    if (people) return people;
    try {
      const found = await api.get("/api/v1/users");
      people = new Map();
      for (const u of found.items || []) {
        if (!ASSIGNABLE_ROLES.has(u.role) || !u.scope || u.disabled) continue;
        people.set(u.scope, [...(people.get(u.scope) || []), u]);
      }
    } catch {
      people = new Map();
    }
    return people;
  }

  function departmentSelect(c) {
    return h("select", { name: "department", "aria-label": t("case.choose_department") },
      h("option", { value: "" }, t("case.choose_department")),
      names.departments().filter((d) => d.id !== c.department)
        .map((d) => h("option", { value: d.id }, d.name)));
  }

  function assistSelect(c) {
    const taken = new Set([c.department, ...(c.parts || []).map((p) => p.department)]);
    return h("select", { name: "department", "aria-label": t("case.choose_department") },
      h("option", { value: "" }, t("case.choose_department")),
      names.departments().filter((d) => !taken.has(d.id) && d.id !== "centre")
        .map((d) => h("option", { value: d.id }, d.name)));
  }

  function memberSelect(c) {
    const select = h("select", { name: "member", "aria-label": t("case.form.member") },
      h("option", { value: "" }, t("case.form.member")));
    const fill = (found) => {
      const first = c.department && c.department !== "centre" ? [c.department] : [];
      const order = [...first, ...names.departments().map((d) => d.id)
        .filter((d) => !first.includes(d))];
      for (const dept of order) {
        const members = (found.get(dept) || []).filter((u) => u.username !== c.assignee);
        if (!members.length) continue;
        select.append(h("optgroup", { label: names.department(dept) },
          members.map((u) => h("option", { value: u.username },
            `${u.name || u.username}（${u.username}）`))));
      }
    };
    if (people) fill(people);
    else loadPeople().then(fill);
    return select;
  }

  function textField(name, placeholder, required = true) {
    const el = h("textarea", { name, rows: "2", maxlength: "2000", placeholder: t(placeholder) });
    if (required) el.required = true;
    return el;
  }

  /** The form of one desk action: its fields, and the body it posts. */
  function deskForm(c, name) {
    const spec = {
      triage: () => [[departmentSelect(c)], (f) => ({ department: f.department.value })],
      reassign: () => [[departmentSelect(c)], (f) => ({ department: f.department.value })],
      assign: () => [[memberSelect(c)], (f) => ({ member: f.member.value })],
      assist: () => [[assistSelect(c), h("input", { name: "limit_hours", type: "number", min: "1",
        max: "720", placeholder: t("case.form.limit_hours"), "aria-label": t("case.form.limit_hours") })],
      (f) => ({ department: f.department.value,
        ...(f.limit_hours.value ? { limit_hours: Number(f.limit_hours.value) } : {}) })],
      supervise: () => [[textField("note", "case.form.note")], (f) => ({ note: f.note.value })],
      return: () => [[textField("reason", "case.form.reason")], (f) => ({ reason: f.reason.value })],
      suspend: () => [[textField("reason", "case.form.reason")], (f) => ({ reason: f.reason.value })],
      cancel: () => [[textField("reason", "case.form.reason")], (f) => ({ reason: f.reason.value })],
      reopen: () => [[textField("reason", "case.form.reason")], (f) => ({ reason: f.reason.value })],
      duplicate: () => [[h("input", { name: "of", required: true, maxlength: "32",
        placeholder: t("case.form.of") })], (f) => ({ of: f.of.value.trim() })],
      resume: () => [[], () => ({})],
    }[name]();
    const [inputs, body] = spec;
    const action = name === "triage" ? "reassign" : name;
    const el = h("form", { class: "action-form", dataset: { action: name },
      onsubmit: (event) => {
        event.preventDefault();
        const values = body(el.elements);
        if (Object.values(values).some((v) => v === "")) return;
        act(action, values);
      } },
    h("label", null, t(name === "triage" ? "case.triage" : `case.act.${name}`)), ...inputs,
    ...(name === "triage" ? formButtons("case.submit_triage", { cancel: false }) : formButtons()));
    return el;
  }

  /** The desk actions ``c`` offers this user: the desk's menu, or the whistle alone for a
   * station's lead on the station's own case. */
  function offered(c) {
    const menu = DESK_ACTIONS[c.state] || [];
    if (canDispatch()) return menu;
    return canWhistle(c) ? menu.filter((a) => WHISTLE_ONLY.has(a)) : null;
  }

  function actions(c) {
    const available = offered(c);
    if (available === null) return null;
    const desk = canDispatch();
    if (!available.length && !(c.extension && desk) && !open.notice) return null;
    if (open.form === null && c.state === TRIAGE && desk) open.form = "triage";
    const box = h("section", { class: "actions" });
    const bar = h("div", { class: "desk-bar" }, available.filter((a) => a !== "triage")
      .map((name) => h("button", { type: "button", dataset: { desk: name },
        "aria-pressed": String(open.form === name),
        onclick: () => {
          open.form = open.form === name ? null : name;
          open.notice = null;
          render();
        } }, t(`case.act.${name}`))));
    if (bar.childElementCount) box.append(bar);
    if (open.form === "whistle" && available.includes("whistle")) box.append(whistleForm(c));
    else if (open.form && available.includes(open.form)) box.append(deskForm(c, open.form));
    if (c.extension && desk) {
      box.append(h("div", { class: "extension" },
        h("p", null, t("case.extension", { hours: c.extension.hours, reason: c.extension.reason || "" })),
        h("button", { type: "button", dataset: { action: "approve_extension" },
          onclick: () => act("approve_extension", {}) }, t("case.approve")),
        h("button", { type: "button", class: "secondary", dataset: { action: "refuse_extension" },
          onclick: () => act("approve_extension", { approve: false }) }, t("case.refuse"))));
    }
    if (open.notice) {
      const [key, vars] = open.notice;
      box.append(h("p", { class: key === FAILED ? "notice error" : "notice" }, t(key, vars)));
    }
    return box;
  }

  function render() {
    if (!open) return;
    const c = current();
    const body = document.getElementById("card-body");
    card.setTitle(h("span", { class: "light", dataset: { light: lightOf(c) } }),
      `${c.id} ${names.item(c.item, c.item_name) || ""}`);
    body.replaceChildren(...[
      summaryRows(c),
      parts(c),
      whistle(c),
      open.error ? h("p", { class: "notice error" }, t("case.detail_unavailable", { message: open.error }))
        : null,
      open.detail ? null : open.error ? null : h("p", { class: "muted" }, t("card.loading")),
      actions(c),
      photos(c.media),
      timeline(c.timeline, c),
    ].filter(Boolean));
  }

  async function load(id) {
    try {
      const detail = await api.get(`/api/v1/cases/${encodeURIComponent(id)}`);
      if (!open || open.id !== id) return;
      open.detail = detail;
      open.error = null;
    } catch (error) {
      if (!open || open.id !== id) return;
      open.error = error.message;
    }
    render();
  }

  function close() {
    if (!open) return;
    for (const url of open.photos.values()) URL.revokeObjectURL(url);
    open = null;
    cases.select(null);
    onSelect(null);
  }

  return {
    show(id) {
      card.open("case", id, { onClose: close });
      open = { id, detail: null, error: null, photos: new Map(), leftEl: null, notice: null,
        form: null };
      cases.select(id);
      onSelect(id);
      render();
      load(id);
    },
    /** A delta changed the case: show it, and fetch the timeline again. */
    changed(id) {
      if (!open || open.id !== id) return;
      render();
      load(id);
    },
    render,
    tick() {
      if (open && open.leftEl) open.leftEl.textContent = timeLeftText(current());
    },
  };
}
