// Reporting an event (即拍即传): the item from the catalogue (by category or by name), the place
// (the current fix, or a tap on the grid map), a description, the severity and photos. Every
// report is first kept in the outbox with a client_id of its own, then sent: photos first
// (their ids kept with the report), then the case. With no network it waits and goes once the
// connection is back; the server answers a repeated client_id with the first case, so a report
// is never filed twice.
//
// No report is ever lost by the phone: the outbox list sits above the form and shows each
// report as it is (等待网络, 上传中 n% by the bytes sent, 已上报 with its case); one the server
// refuses stays in the outbox with its text and photos, says in the worker's language what to
// do, and offers to edit it (then send it again) or, after a confirmation, to delete it.

import { h } from "../../common/dom.js";
import { formatDateTime, SECOND_MS } from "../../common/format.js";
import { label, localName, t } from "../../common/i18n.js";
import { failureText, keepError, photoIndex, storedError, transient } from "../errors.js";
import { createGridMap, mapBox } from "../gridmap.js";
import { REPORTS } from "../outbox.js";
import { createPhotoPicker, uploadPhoto } from "../photo.js";
import { errorText, toast } from "../views.js";

const SEVERITIES = ["low", "normal", "high", "critical"];
const DEFAULT_SEVERITY = "normal";
const MAX_DESCRIPTION = 2000;
const SEARCH_RESULTS = 30;
const RETRY_MS = 30 * SECOND_MS;
const COORD_DECIMALS = 6;
const DUPLICATE = "duplicate";
const SHOWN_RESULTS = 5;
/** A report delivered stays in the list, marked 已上报, this long. */
const SENT_SHOWN_MS = 20 * SECOND_MS;
/** What the case's own request weighs next to its photos, for the progress by bytes. */
const CASE_REQUEST_BYTES = 1024;
const PERCENT = 100;
/** A report being sent shows at most this until the server has filed it. */
const BEFORE_FILED_PERCENT = 99;

/** A random id for a report (crypto.randomUUID needs a secure page; this does not). */
function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `r-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function matches(item, query) {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [item.code, item.name, item.name_en].some((s) => s && s.toLowerCase().includes(q));
}

/** The server's answer to a report, for people. */
export function reportOutcome(c, names) {
  if (c.state === DUPLICATE) return t("report.duplicate", { id: c.id, of: c.duplicate_of || "" });
  if (!c.department) return t("report.to_triage", { id: c.id });
  return t("report.routed", { id: c.id, department: names.department(c.department),
    deadline: Number.isFinite(c.deadline) ? formatDateTime(c.deadline) : t("time.none") });
}

/** The state of a kept report: waiting | uploading | sent | failed. */
function stateOf(record, current) {
  if (record.sent) return "sent";
  if (record.failure || record.failed) return "failed";
  return record.client_id === current ? "uploading" : "waiting";
}

export function createReport({ api, user, names, tracker, outbox, socket, section,
                               onSent = () => {}, onCount = () => {} }) {
  const ownGrid = user.scope;
  const state = { category: null, item: null, search: "", severity: DEFAULT_SEVERITY,
    picked: null };
  let queued = [];
  let results = [];
  let sending = null;
  let sendAgain = false;
  let current = null; // the client_id being sent
  const progress = new Map(); // client_id -> share sent (0..1)
  const delivered = new Map(); // client_id -> {record, case} shown for a while as 已上报
  const confirming = new Set(); // client_ids whose delete waits for a confirmation
  const rows = new Map(); // client_id -> {status, bar} to update progress in place
  let editing = null; // {client_id, media: Map(blob -> media id), failure}

  const search = h("input", { type: "search", id: "report-search", class: "search",
    autocomplete: "off", oninput: () => {
      state.search = search.value;
      renderItems();
    } });
  const categories = h("div", { class: "chips", id: "report-categories" });
  const itemList = h("div", { class: "item-list", id: "report-items" });
  const chosen = h("div", { class: "chosen-item", id: "report-item" });
  const place = h("p", { class: "place", id: "report-place" });
  const hereButton = h("button", { type: "button", class: "secondary", onclick: () => {
    state.picked = null;
    renderPlace();
  } });
  const description = h("textarea", { id: "report-description", rows: 3,
    maxlength: MAX_DESCRIPTION });
  const severity = h("div", { class: "segmented", role: "radiogroup", id: "report-severity" });
  const photos = createPhotoPicker({ name: "report",
    onRefused: (text) => toast(text, "error") });
  const submit = h("button", { type: "submit", id: "report-submit", class: "primary big" });
  const formMessage = h("p", { class: "notice error", role: "alert", hidden: true });
  const editNotice = h("div", { id: "report-editing", class: "notice warn edit-notice",
    hidden: true });
  const result = h("div", { id: "report-result", class: "result", hidden: true });
  const queueList = h("ol", { id: "report-queue", class: "queue" });
  const mapFrame = mapBox();
  const labels = {};
  const labelled = (key, ...children) => {
    labels[key] = h("span", { class: "field-label" });
    return h("div", { class: "field" }, labels[key], ...children);
  };

  const form = h("form", { id: "report-form", class: "panel report-form", novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      onSubmit();
    } },
  editNotice,
  labelled("report.item", chosen, search, categories, itemList),
  labelled("report.place", mapFrame.el, place, hereButton),
  labelled("report.description", description),
  labelled("report.severity", severity),
  labelled("report.photos", photos.el),
  formMessage,
  submit);
  const queueTitle = h("h2", null);
  const queuePanel = h("div", { id: "report-outbox", class: "panel outbox-panel", hidden: true },
    queueTitle, queueList);
  section.append(queuePanel, result, form);

  const map = createGridMap(mapFrame.box, names.features, { focus: { grids: [ownGrid] },
    own: ownGrid, onPick: (lon, lat) => {
      state.picked = { lon, lat };
      renderPlace();
    } });

  function chosenPlace() {
    if (state.picked) return { ...state.picked, source: "map" };
    const fix = tracker.status().lastFix;
    return fix ? { lon: fix.lon, lat: fix.lat, acc: fix.acc, source: "gps" } : null;
  }

  function renderCategories() {
    categories.replaceChildren(...names.catalogue.categories.map((c) => h("button", {
      type: "button", class: "chip", dataset: { category: c.code },
      "aria-pressed": String(state.category === c.code),
      onclick: () => {
        state.category = state.category === c.code ? null : c.code;
        renderCategories();
        renderItems();
      } }, localName(c, c.code))));
  }

  function renderItems() {
    const searching = state.search.trim() !== "";
    const shown = names.catalogue.items.filter((item) => (searching ? matches(item, state.search)
      : item.category === state.category)).slice(0, SEARCH_RESULTS);
    itemList.hidden = state.item !== null || (!searching && !state.category);
    search.hidden = state.item !== null;
    categories.hidden = state.item !== null;
    itemList.replaceChildren(...shown.map((item) => h("button", { type: "button",
      class: "item-option", dataset: { item: item.code },
      onclick: () => {
        state.item = item.code;
        renderAll();
      } },
    h("span", null, localName(item, item.code)),
    h("small", { class: "muted" }, `${names.category(item.category)} · ${item.code}`))));
    if (!shown.length && searching) {
      itemList.append(h("p", { class: "muted" }, t("report.no_match")));
    }
    const item = state.item ? names.itemRecord(state.item) : null;
    chosen.hidden = !item;
    chosen.replaceChildren(...(item ? [
      h("strong", null, localName(item, item.code)),
      h("span", { class: "muted" }, ` ${names.category(item.category)} · ${item.code}`),
      h("button", { type: "button", class: "link", onclick: () => {
        state.item = null;
        renderAll();
        search.focus();
      } }, t("report.change_item")),
    ] : []));
  }

  function renderPlace() {
    const at = chosenPlace();
    map.setPosition(tracker.status().lastFix);
    map.setMarker(state.picked); // at the phone's own position the blue dot says it
    hereButton.hidden = !state.picked;
    hereButton.textContent = t("report.use_gps");
    if (!at) {
      place.textContent = t("report.no_fix");
      place.dataset.source = "none";
      return;
    }
    const coords = `${at.lat.toFixed(COORD_DECIMALS)}, ${at.lon.toFixed(COORD_DECIMALS)}`;
    place.dataset.source = at.source;
    place.textContent = at.source === "map" ? t("report.place_map", { coords })
      : t("report.place_gps", { coords, acc: Math.round(at.acc ?? 0) });
  }

  function renderSeverity() {
    severity.replaceChildren(...SEVERITIES.map((value) => h("button", { type: "button",
      role: "radio", "aria-checked": String(state.severity === value), dataset: { severity: value },
      onclick: () => {
        state.severity = value;
        renderSeverity();
      } }, label("severity.", value))));
  }

  function statusText(record, st) {
    if (st === "sent") {
      const c = delivered.get(record.client_id);
      return t("report.sent", { id: c ? c.case.id : "" });
    }
    if (st === "failed") {
      return t("report.refused", { reason: failureText(record.failure || record.failed) });
    }
    if (st === "uploading") {
      const pct = Math.floor((progress.get(record.client_id) || 0) * PERCENT);
      return t("report.uploading", { pct });
    }
    return t(navigator.onLine ? "report.queued" : "report.waiting",
      { photos: record.photos.length });
  }

  function actions(record) {
    if (confirming.has(record.client_id)) {
      return h("div", { class: "queue-confirm", role: "group" },
        h("p", { class: "error" }, t("report.discard_confirm", { photos: record.photos.length })),
        h("div", { class: "queue-actions" },
          h("button", { type: "button", class: "danger", dataset: { action: "discard-confirm" },
            onclick: () => drop(record) }, t("report.discard_yes")),
          h("button", { type: "button", class: "secondary", dataset: { action: "discard-cancel" },
            onclick: () => {
              confirming.delete(record.client_id);
              renderQueue();
            } }, t("report.discard_no"))));
    }
    return h("div", { class: "queue-actions" },
      h("button", { type: "button", class: "primary", dataset: { action: "edit" },
        onclick: () => edit(record) }, t("report.edit")),
      h("button", { type: "button", class: "secondary", dataset: { action: "discard" },
        onclick: () => {
          confirming.add(record.client_id);
          renderQueue();
        } }, t("report.discard")));
  }

  function queueRow(record) {
    const st = stateOf(record, current);
    const status = h("span", { class: "queue-status" }, statusText(record, st));
    const bar = st === "uploading" ? h("progress", { max: PERCENT,
      value: Math.floor((progress.get(record.client_id) || 0) * PERCENT) }) : null;
    rows.set(record.client_id, { status, bar, record });
    const editingThis = editing && editing.client_id === record.client_id;
    return h("li", { dataset: { clientId: record.client_id, state: st,
      failed: String(st === "failed"), editing: String(Boolean(editingThis)) } },
    h("div", { class: "queue-main" },
      h("p", { class: "queue-head" }, h("strong", null, names.item(record.item)),
        h("span", { class: "muted" }, ` · ${formatDateTime(record.created)}`)),
      record.description ? h("p", { class: "queue-text" }, record.description) : null,
      h("p", { class: st === "failed" ? "error" : st === "sent" ? "ok" : "muted" }, status),
      bar),
    st === "failed" && !editingThis ? actions(record) : null);
  }

  function renderQueue() {
    rows.clear();
    const shown = [...queued, ...[...delivered.values()].map((d) => d.record)
      .filter((r) => !queued.some((q) => q.client_id === r.client_id))];
    queuePanel.hidden = !shown.length;
    const waiting = queued.length;
    queueTitle.textContent = waiting ? t("report.queue", { n: waiting }) : t("report.sent_title");
    queueList.replaceChildren(...shown.map(queueRow));
    onCount(waiting);
  }

  /** The progress of the report being sent, without building the list again. */
  function renderProgress(clientId) {
    const row = rows.get(clientId);
    if (!row) return renderQueue();
    const pct = Math.floor((progress.get(clientId) || 0) * PERCENT);
    row.status.textContent = t("report.uploading", { pct });
    if (row.bar) row.bar.value = pct;
    return null;
  }

  function renderResult() {
    result.hidden = !results.length;
    result.replaceChildren(...results.slice(0, SHOWN_RESULTS).map((c, i) => h("p", {
      class: i === 0 ? "result-line newest" : "result-line muted",
      dataset: { case: c.id, state: c.state } }, reportOutcome(c, names))));
  }

  function renderAll() {
    search.placeholder = t("report.search");
    description.placeholder = t("report.description_hint");
    submit.textContent = t("report.submit");
    for (const [key, el] of Object.entries(labels)) el.textContent = t(key);
    renderCategories();
    renderItems();
    renderPlace();
    renderSeverity();
    renderQueue();
    renderResult();
    renderEditNotice();
    photos.render();
  }

  async function reloadQueue() {
    try {
      queued = (await outbox.all(REPORTS)).sort((a, b) => a.created - b.created);
    } catch (error) {
      console.warn("report: could not read the outbox", error);
    }
    renderQueue();
  }

  async function drop(record) {
    confirming.delete(record.client_id);
    await outbox.remove(REPORTS, [record.client_id]);
    if (editing && editing.client_id === record.client_id) stopEditing();
    await reloadQueue();
    toast(t("report.discarded"));
  }

  function setProgress(clientId, share) {
    progress.set(clientId, Math.min(share, BEFORE_FILED_PERCENT / PERCENT));
    renderProgress(clientId);
  }

  /** Send one report: its photos not yet uploaded (progress by bytes), then the case. */
  async function deliver(record) {
    const left = record.photos.map((blob, i) => (record.media[i] ? 0 : blob.size));
    const total = left.reduce((a, b) => a + b, 0) + CASE_REQUEST_BYTES;
    let done = 0;
    setProgress(record.client_id, 0);
    for (let i = 0; i < record.photos.length; i += 1) {
      if (record.media[i]) continue;
      const blob = record.photos[i];
      try {
        record.media[i] = await uploadPhoto(api, blob, { onProgress: (loaded, size) => {
          setProgress(record.client_id, (done + blob.size * Math.min(1, loaded / size)) / total);
        } });
      } catch (error) {
        if (!error.field || error.field === "file") error.field = `media.${i}`;
        throw error;
      }
      done += blob.size;
      setProgress(record.client_id, done / total);
      await outbox.put(REPORTS, record);
    }
    const body = { client_id: record.client_id, item: record.item, lat: record.lat,
      lon: record.lon, description: record.description, severity: record.severity,
      media: record.media };
    return api.post("/api/v1/cases", body);
  }

  function showDelivered(record, sent) {
    delivered.set(record.client_id, { record: { ...record, sent: true }, case: sent });
    setTimeout(() => {
      delivered.delete(record.client_id);
      renderQueue();
    }, SENT_SHOWN_MS);
  }

  /** Send every waiting report in order; stops at the first network failure. */
  function sendQueued() {
    if (sending) {
      sendAgain = true;
      return sending;
    }
    sending = (async () => {
      try {
        do {
          sendAgain = false;
          await reloadQueue();
          for (const record of queued.filter((r) => !r.failure && !r.failed)) {
            if (!navigator.onLine) return;
            let sent;
            current = record.client_id;
            renderQueue();
            try {
              sent = await deliver(record);
            } catch (error) {
              if (transient(error)) return;
              record.failure = keepError(error);
              record.failed_at = Date.now();
              await outbox.put(REPORTS, record);
              toast(t("report.refused_toast", { item: names.item(record.item),
                reason: errorText(error) }), "error");
              continue;
            } finally {
              current = null;
              progress.delete(record.client_id);
            }
            await outbox.remove(REPORTS, [record.client_id]);
            showDelivered(record, sent);
            results = [sent, ...results.filter((c) => c.id !== sent.id)];
            toast(reportOutcome(sent, names));
            onSent(sent);
          }
        } while (sendAgain);
      } finally {
        sending = null;
        current = null;
        await reloadQueue();
        renderResult();
      }
    })();
    return sending;
  }

  function showFormMessage(text) {
    formMessage.hidden = !text;
    formMessage.textContent = text || "";
  }

  function clearForm() {
    Object.assign(state, { category: null, item: null, search: "", picked: null,
      severity: DEFAULT_SEVERITY });
    search.value = "";
    description.value = "";
    photos.clear();
  }

  function renderEditNotice() {
    editNotice.hidden = !editing;
    if (!editing) return;
    editNotice.replaceChildren(
      h("p", null, h("strong", null, t("report.editing")), " ", failureText(editing.failure)),
      h("button", { type: "button", class: "link", dataset: { action: "edit-cancel" },
        onclick: () => {
          stopEditing();
          clearForm();
          renderAll();
        } }, t("report.edit_cancel")));
  }

  function stopEditing() {
    editing = null;
    renderEditNotice();
  }

  /** Put a refused report back in the form; it stays in the outbox until sent again. */
  function edit(record) {
    const failure = storedError(record.failure || record.failed);
    editing = { client_id: record.client_id, failure,
      media: new Map(record.photos.map((blob, i) => [blob, record.media[i]])) };
    const known = names.itemRecord(record.item);
    Object.assign(state, { category: null, item: known ? record.item : null, search: "",
      picked: { lon: record.lon, lat: record.lat }, severity: record.severity
        || DEFAULT_SEVERITY });
    search.value = "";
    description.value = record.description || "";
    photos.load(record.photos, photoIndex(failure));
    showFormMessage("");
    renderAll();
    form.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  async function onSubmit() {
    const at = chosenPlace();
    if (!state.item) return showFormMessage(t("report.need_item"));
    if (!at) return showFormMessage(t("report.need_place"));
    showFormMessage("");
    submit.disabled = true;
    try {
      const shots = await photos.photos();
      const reuse = editing ? editing.media : new Map();
      const record = { client_id: newClientId(), created: Date.now(), item: state.item,
        lat: Number(at.lat.toFixed(7)), lon: Number(at.lon.toFixed(7)),
        description: description.value.trim(), severity: state.severity, photos: shots,
        media: shots.map((blob) => reuse.get(blob) || null), failure: null };
      if (editing) await outbox.replace(REPORTS, editing.client_id, record);
      else await outbox.put(REPORTS, record);
      stopEditing();
      clearForm();
      renderAll();
      window.scrollTo({ top: 0, behavior: "smooth" }); // the outbox: how the report is doing
      if (!navigator.onLine) toast(t("report.saved_offline"));
      await sendQueued();
    } catch (error) {
      showFormMessage(t("report.failed", { message: errorText(error) }));
    } finally {
      submit.disabled = false;
    }
    return null;
  }

  window.addEventListener("online", () => sendQueued());
  window.addEventListener("offline", () => renderQueue());
  socket.onState((name) => {
    if (name === "open") sendQueued();
  });
  setInterval(() => {
    if (queued.some((r) => !r.failure && !r.failed) && navigator.onLine) sendQueued();
  }, RETRY_MS);

  return {
    start() {
      renderAll();
      sendQueued();
    },
    render: renderAll,
    /** A new fix: the place follows it unless one was picked on the map. */
    fixChanged() {
      if (!state.picked) renderPlace();
    },
    pending: () => queued.length,
  };
}
