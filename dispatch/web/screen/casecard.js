// A case's card: its summary at once, then its detail (GET /api/v1/cases/{id}) with the
// timeline and photos; a dispatcher may triage, reassign and approve an extension from it.

import { h } from "../common/dom.js";
import { formatDateTime } from "../common/format.js";
import { label, t } from "../common/i18n.js";
import { fields } from "./card.js";
import { CLOSED_STATES, lightOf, timeLeftText } from "./cases.js";

const TRIAGE = "triage";
const FAILED = "case.failed";

export function createCaseCard({ api, card, cases, names, canDispatch, onSelect = () => {} }) {
  // The open card: {id, detail, error, photos: Map(mediaId -> object URL), leftEl, notice}
  let open = null;

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
      [t("case.assignee"), c.assignee || ""],
      [t("case.reporter"), c.reporter || ""],
      [t("case.created"), Number.isFinite(c.created) ? formatDateTime(c.created) : ""],
      [t("case.deadline"), Number.isFinite(c.deadline) ? formatDateTime(c.deadline) : ""],
      [t("case.left"), open.leftEl],
      [t("case.severity"), c.severity ? label("severity.", c.severity) : ""],
      [t("case.description"), c.description || ""],
    ]);
  }

  function timeline(entries) {
    if (!entries || !entries.length) return null;
    const states = (e) => (e.from || e.to ? `${label("state.", e.from)} → ${label("state.", e.to)}` : "");
    const extra = (e) => [e.department ? names.department(e.department) : "",
      e.hours ? `${e.hours}h` : ""].filter(Boolean).join(" ");
    return h("section", { class: "timeline" },
      h("h4", null, t("case.timeline")),
      h("table", null,
        h("thead", null, h("tr", null, ["when", "who", "action", "states", "note"]
          .map((col) => h("th", null, t(`case.col.${col}`))))),
        h("tbody", null, entries.map((e) => h("tr", null,
          h("td", null, formatDateTime(e.ts)),
          h("td", null, e.by || ""),
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
      if (open && open.id === id) open.notice = ["case.done", {}];
    } catch (error) {
      if (open && open.id === id) open.notice = [FAILED, { message: error.message }];
    }
    if (open && open.id === id) await load(id);
  }

  function departmentForm(c) {
    const triage = c.state === TRIAGE;
    const select = h("select", { "aria-label": t("case.choose_department") },
      h("option", { value: "" }, t("case.choose_department")),
      names.departments().filter((d) => d.id !== c.department)
        .map((d) => h("option", { value: d.id }, d.name)));
    return h("form", { class: "action-form", dataset: { action: triage ? "triage" : "reassign" },
      onsubmit: (event) => {
        event.preventDefault();
        if (select.value) act("reassign", { department: select.value });
      } },
    h("label", null, t(triage ? "case.triage" : "case.reassign")), select,
    h("button", { type: "submit" }, t(triage ? "case.submit_triage" : "case.submit_reassign")));
  }

  function actions(c) {
    if (!canDispatch() || CLOSED_STATES.has(c.state)) return null;
    const box = h("section", { class: "actions" }, departmentForm(c));
    if (c.extension) {
      box.append(h("div", { class: "extension" },
        h("p", null, t("case.extension", { hours: c.extension.hours, reason: c.extension.reason || "" })),
        h("button", { type: "button", dataset: { action: "approve_extension" },
          onclick: () => act("approve_extension", {}) }, t("case.approve")),
        h("button", { type: "button", class: "secondary",
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
      open.error ? h("p", { class: "notice error" }, t("case.detail_unavailable", { message: open.error }))
        : null,
      open.detail ? null : open.error ? null : h("p", { class: "muted" }, t("card.loading")),
      actions(c),
      photos(c.media),
      timeline(c.timeline),
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
      open = { id, detail: null, error: null, photos: new Map(), leftEl: null, notice: null };
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
