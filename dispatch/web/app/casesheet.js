// One case over the whole screen: its summary and time left, its place on a small map, the
// reporter's and handlers' photos, the timeline, and what the person holding the phone may do
// with it now: accept, progress, resolve with photos, return as not ours, ask for more time
// (a handler), or verify on site with a note and a photo (the reporting grid worker); the
// department's own part of a joint case (协办: accept, progress, resolve), and the check-in on
// site when a whistle summoned the department (报到: the phone's position is sent first).

import { h } from "../common/dom.js";
import { formatDateTime } from "../common/format.js";
import { label, t } from "../common/i18n.js";
import { personName } from "../common/people.js";
import { createGridMap, mapBox } from "./gridmap.js";
import { createPhotoPicker, uploadPhoto } from "./photo.js";
import { lightOf, timeLeftText } from "./lights.js";
import { errorText, toast } from "./views.js";

const MAX_EXTENSION_HOURS = 720;
const DEFAULT_EXTENSION_HOURS = 24;

const TEAM_ROLES = new Set(["disposal_member", "dept_lead"]);
const LEAD = "dept_lead";
const GRID_WORKER = "grid_worker";
/** A grid's helpers (一格多员): a grid assistant and an informant. */
const GRID_HELPERS = new Set(["grid_assistant", "informant"]);
const WORKING = new Set(["dispatched", "accepted", "reopened"]);
const FIX_TIMEOUT_MS = 20000;
/** Part actions: the app's name -> the path under /parts/{department}/. */
const PART_PATHS = { part_accept: "accept", part_progress: "progress", part_resolve: "resolve" };

/** The phone's position now (for a check-in): {lat, lon, ts, acc}. */
function currentFix() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error(t("checkin.no_location")));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, ts: Date.now(),
        acc: p.coords.accuracy }),
      () => reject(new Error(t("checkin.no_location"))),
      { enableHighAccuracy: true, timeout: FIX_TIMEOUT_MS, maximumAge: 0 });
  });
}

/**
 * What ``me`` may do with case ``c`` from this app (the server's rules: a department's member
 * takes or returns a job offered to it, its holder works on it, its lead may act for the
 * holder, the reporter or the grid's worker verifies the result).
 */
export function allowedActions(c, me) {
  const mine = c.assignee === me.username;
  // a grid's helper holds only a simple problem they reported, solved on the spot (现场处置)
  // with a photo; the grid's worker verifies it
  if (GRID_HELPERS.has(me.role)) return c.state === "accepted" && mine ? ["progress", "resolve"] : [];
  const team = TEAM_ROLES.has(me.role) && Boolean(me.scope) && c.department === me.scope;
  const lead = team && me.role === LEAD;
  const handling = mine || lead;
  const found = [];
  if ((c.state === "dispatched" && team) || (c.state === "reopened" && mine)) found.push("accept");
  if (c.state === "accepted" && handling) found.push("progress", "resolve");
  if ((c.state === "accepted" || c.state === "reopened") && handling) found.push("extend");
  if (c.state === "dispatched" && team) found.push("reject");
  else if ((c.state === "accepted" || c.state === "reopened") && handling) found.push("reject");
  const verifier = c.reporter === me.username
    || (me.role === GRID_WORKER && Boolean(c.grid) && c.grid === me.scope);
  if (c.state === "resolved" && verifier) found.push("verify");
  const part = TEAM_ROLES.has(me.role) && me.scope
    ? (c.parts || []).find((p) => p.department === me.scope) : null;
  if (part && WORKING.has(c.state)) {
    const holding = part.assignee === me.username || me.role === LEAD;
    if (part.state === "offered") found.push("part_accept");
    if (part.state === "accepted" && holding) found.push("part_progress", "part_resolve");
  }
  const summoned = c.whistle && TEAM_ROLES.has(me.role)
    ? c.whistle.departments.find((d) => d.department === me.scope) : null;
  if (summoned && !summoned.checkin) found.push("checkin");
  return found;
}

/**
 * api, names, me (the user); onChanged(case) after an action succeeded; onAccept(id) runs an
 * accept (the job list does it, to handle "someone else won").
 */
export function createCaseSheet({ api, names, me, onChanged = () => {}, onAccept = null }) {
  const body = h("div", { class: "sheet-body" });
  const title = h("h2", { class: "sheet-title" });
  const sheet = h("div", { id: "case-sheet", class: "sheet", role: "dialog", "aria-modal": "true",
    hidden: true },
  h("header", { class: "bar sheet-bar" },
    h("button", { type: "button", class: "bar-button back", "aria-label": t("card.close"),
      onclick: () => close() }, "‹"),
    title),
  body);
  document.body.append(sheet);

  // {id, summary, detail, error, photos: Map(id -> object URL), busy, notice, leftEl}
  let open = null;

  function current() {
    return open ? { ...(open.summary || {}), ...(open.detail || {}) } : null;
  }

  function close() {
    if (!open) return;
    for (const url of open.photos.values()) URL.revokeObjectURL(url);
    open = null;
    sheet.hidden = true;
    document.body.classList.remove("sheet-open");
  }

  function row(key, value) {
    return value ? [h("dt", null, t(key)), h("dd", null, value)] : [];
  }

  function summary(c) {
    open.leftEl = h("span", { class: "case-left" }, timeLeftText(c));
    return h("dl", { class: "facts" },
      ...row("case.state", label("state.", c.state)),
      ...row("case.left", h("span", { class: "left-line" },
        h("span", { class: "light", dataset: { light: lightOf(c) } }), open.leftEl)),
      ...row("case.category", names.category(c.category)),
      ...row("case.grid", c.grid ? `${c.grid} ${names.grid(c.grid)}` : ""),
      ...row("case.department", names.department(c.department)),
      ...row("case.assignee", personName(c, c.assignee)),
      ...row("case.reporter", personName(c, c.reporter)),
      ...row("case.created", Number.isFinite(c.created) ? formatDateTime(c.created) : ""),
      ...row("case.deadline", Number.isFinite(c.deadline) ? formatDateTime(c.deadline) : ""),
      ...row("case.severity", c.severity ? label("severity.", c.severity) : ""),
      ...row("case.description", c.description || ""));
  }

  function place(c) {
    if (!Number.isFinite(c.lat) || !Number.isFinite(c.lon)) return null;
    const frame = mapBox();
    const map = createGridMap(frame.box, names.features, {
      focus: { grids: c.grid ? [c.grid] : [], lon: c.lon, lat: c.lat }, own: c.grid });
    map.setMarker({ lon: c.lon, lat: c.lat }, "case");
    return frame.el;
  }

  function photos(ids) {
    if (!ids || !ids.length) return null;
    const box = h("div", { class: "photos" });
    const openId = open.id;
    for (const id of ids) {
      const img = h("img", { alt: t("case.photo_alt", { id }), dataset: { media: id } });
      box.append(h("a", { class: "photo", target: "_blank" }, img));
      const known = open.photos.get(id);
      if (known) {
        img.src = known;
        img.parentElement.href = known;
        continue;
      }
      api.blobUrl(`/api/v1/media/${encodeURIComponent(id)}`).then((url) => {
        if (!open || open.id !== openId) {
          URL.revokeObjectURL(url);
          return;
        }
        open.photos.set(id, url);
        img.src = url;
        img.parentElement.href = url;
      }).catch(() => img.classList.add("missing"));
    }
    return h("section", { class: "panel" }, h("h3", null, t("case.photos")), box);
  }

  function timeline(entries, c) {
    if (!entries || !entries.length) return null;
    return h("section", { class: "panel" }, h("h3", null, t("case.timeline")),
      h("ol", { class: "timeline" }, entries.map((e) => h("li", null,
        h("time", { class: "muted" }, formatDateTime(e.ts)),
        h("span", null, `${personName(c, e.by)} · ${label("action.", e.action)}`,
          e.from !== e.to && e.to ? ` → ${label("state.", e.to)}` : ""),
        e.note ? h("p", { class: "note" }, e.note) : null))));
  }

  async function act(action, payload, photoPicker = null) {
    const id = open.id;
    open.busy = action;
    open.notice = null;
    render();
    try {
      if (photoPicker) {
        const shots = await photoPicker.photos();
        payload.media = [];
        for (const blob of shots) payload.media.push(await uploadPhoto(api, blob));
      }
      const base = `/api/v1/cases/${encodeURIComponent(id)}`;
      let updated;
      if (action === "accept" && onAccept) updated = await onAccept(id);
      else if (PART_PATHS[action]) {
        updated = await api.post(`${base}/parts/${encodeURIComponent(me.scope)}/${PART_PATHS[action]}`,
          payload);
      } else if (action === "checkin") {
        await api.post("/api/v1/locations", { items: [await currentFix()] });
        updated = await api.post(`${base}/checkin`, payload);
      } else updated = await api.post(`${base}/${action}`, payload);
      if (open && open.id === id && updated) {
        open.detail = updated;
        open.notice = { text: t("case.done") };
        open.formsKey = null; // fresh forms: the note just sent is gone
      }
      toast(t("case.action_done", { action: label("action.", action), id }));
      if (updated) onChanged(updated);
      if (action === "reject") close(); // returned: no longer the department's job
    } catch (error) {
      if (open && open.id === id) {
        open.notice = { text: t("case.failed", { message: errorText(error) }), error: true };
      }
    } finally {
      if (open && open.id === id) {
        open.busy = null;
        render();
      }
    }
  }

  function noteField(key, required = true) {
    return h("textarea", { rows: 2, placeholder: t(key), required, dataset: { note: key } });
  }

  function actionForm(action, c) {
    switch (action) {
      case "accept":
        return h("button", { type: "button", class: "primary big", dataset: { action },
          onclick: () => act("accept", {}) }, t("job.accept"));
      case "progress": {
        const note = noteField("job.progress_hint");
        return h("form", { class: "action-form", dataset: { action }, onsubmit: (event) => {
          event.preventDefault();
          if (note.value.trim()) act("progress", { note: note.value.trim() });
        } }, h("h3", null, t("action.progress")), note,
        h("button", { type: "submit" }, t("job.send_progress")));
      }
      case "resolve": {
        const note = noteField("job.resolve_hint");
        const picker = createPhotoPicker({ name: "resolve" });
        return h("form", { class: "action-form", dataset: { action }, onsubmit: (event) => {
          event.preventDefault();
          if (note.value.trim()) act("resolve", { note: note.value.trim() }, picker);
        } }, h("h3", null, t("action.resolve")), note, picker.el,
        h("button", { type: "submit", class: "primary" },
          t("job.resolve")));
      }
      case "extend": {
        const hours = h("input", { type: "number", min: 1, max: MAX_EXTENSION_HOURS,
          value: DEFAULT_EXTENSION_HOURS, inputmode: "numeric", "aria-label": t("job.hours") });
        const reason = noteField("job.extend_hint");
        return h("form", { class: "action-form", dataset: { action }, onsubmit: (event) => {
          event.preventDefault();
          const n = Number(hours.value);
          if (Number.isInteger(n) && n >= 1 && reason.value.trim()) {
            act("extend", { hours: n, reason: reason.value.trim() });
          }
        } }, h("h3", null, t("action.extend")),
        h("label", { class: "inline" }, hours, " ", t("job.hours")), reason,
        c.extension ? h("p", { class: "muted" }, t("case.extension", {
          hours: c.extension.hours, reason: c.extension.reason || "" })) : null,
        h("button", { type: "submit" }, t("job.extend")));
      }
      case "reject": {
        const reason = noteField("job.reject_hint");
        return h("form", { class: "action-form", dataset: { action }, onsubmit: (event) => {
          event.preventDefault();
          if (reason.value.trim()) act("reject", { reason: reason.value.trim() });
        } }, h("h3", null, t("job.reject_title")), reason,
        h("button", { type: "submit", class: "danger" },
          t("job.reject")));
      }
      case "verify": {
        const note = noteField("verify.note_hint", false);
        const picker = createPhotoPicker({ name: "verify" });
        const send = (ok) => act("verify", { ok, note: note.value.trim() }, picker);
        return h("form", { class: "action-form verify", dataset: { action },
          onsubmit: (event) => event.preventDefault() },
        h("h3", null, t("verify.title")), note, picker.el,
        h("div", { class: "button-row" },
          h("button", { type: "button", class: "primary", dataset: { verify: "pass" },
            onclick: () => send(true) }, t("verify.pass")),
          h("button", { type: "button", class: "danger", dataset: { verify: "fail" },
            onclick: () => send(false) }, t("verify.fail"))));
      }
      case "part_accept":
        return h("button", { type: "button", class: "primary big", dataset: { action },
          onclick: () => act("part_accept", {}) }, t("part.accept"));
      case "part_progress": {
        const note = noteField("job.progress_hint");
        return h("form", { class: "action-form", dataset: { action }, onsubmit: (event) => {
          event.preventDefault();
          if (note.value.trim()) act("part_progress", { note: note.value.trim() });
        } }, h("h3", null, t("part.progress")), note,
        h("button", { type: "submit" }, t("job.send_progress")));
      }
      case "part_resolve": {
        const note = noteField("job.resolve_hint");
        const picker = createPhotoPicker({ name: "part_resolve" });
        return h("form", { class: "action-form", dataset: { action }, onsubmit: (event) => {
          event.preventDefault();
          if (note.value.trim()) act("part_resolve", { note: note.value.trim() }, picker);
        } }, h("h3", null, t("part.resolve")), note, picker.el,
        h("button", { type: "submit", class: "primary" }, t("part.resolve")));
      }
      case "checkin":
        return h("button", { type: "button", class: "primary big", dataset: { action },
          onclick: () => act("checkin", {}) }, t("checkin.button", {
          due: formatDateTime(c.whistle.due) }));
      default:
        return null;
    }
  }

  /** The assisting departments' parts (协办), each with its own light. */
  function parts(c) {
    if (!c.parts || !c.parts.length) return null;
    return h("section", { class: "panel parts" }, h("h3", null, t("case.parts")),
      h("ul", null, c.parts.map((p) => h("li", { dataset: { part: p.department,
        partState: p.state } },
      h("span", { class: "light", dataset: { light: p.light || "green" } }),
      ` ${names.department(p.department)} · ${label("part.state.", p.state)}`,
      p.assignee ? ` · ${personName(c, p.assignee)}` : ""))));
  }

  function render() {
    if (!open) return;
    const c = current();
    sheet.dataset.case = open.id;
    sheet.dataset.state = c.state || "";
    title.textContent = `${open.id} ${names.item(c.item, c.item_name)}`;
    const actions = allowedActions(c, me);
    // the forms are kept while the same actions apply, so a socket update never wipes a note
    const formsKey = `${c.state}|${actions.join(",")}`;
    if (open.formsKey !== formsKey) {
      open.formsKey = formsKey;
      open.forms = actions.length ? h("section", { class: "actions" },
        actions.map((action) => actionForm(action, c))) : null;
    }
    if (open.forms) {
      open.forms.dataset.busy = String(Boolean(open.busy));
      for (const button of open.forms.querySelectorAll("button")) {
        button.disabled = Boolean(open.busy);
      }
    }
    body.replaceChildren(...[
      summary(c),
      open.error ? h("p", { class: "notice error" },
        t("case.detail_unavailable", { message: open.error })) : null,
      open.detail || open.error ? null : h("p", { class: "muted" }, t("card.loading")),
      parts(c),
      photos(c.media),
      place(c),
      open.notice ? h("p", { class: open.notice.error ? "notice error" : "notice" },
        open.notice.text) : null,
      open.forms,
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
      open.error = errorText(error);
    }
    render();
  }

  return {
    show(id, summaryOfCase = null) {
      if (open && open.id !== id) close();
      if (!open) {
        open = { id, summary: summaryOfCase, detail: null, error: null, photos: new Map(),
          busy: null, notice: null, leftEl: null, forms: null, formsKey: null };
      }
      sheet.hidden = false;
      document.body.classList.add("sheet-open");
      sheet.scrollTop = 0;
      render();
      load(id);
    },
    close,
    isOpen: (id) => Boolean(open && (id === undefined || open.id === id)),
    /** The case changed elsewhere (a socket message): show and fetch it again. */
    changed(c) {
      if (!open || open.id !== c.id) return;
      open.summary = { ...(open.summary || {}), ...c };
      if (open.detail) open.detail = { ...open.detail, ...c };
      render();
      if (!open.busy) load(c.id);
    },
    render,
    tick() {
      if (open && open.leftEl) open.leftEl.textContent = timeLeftText(current());
    },
  };
}
