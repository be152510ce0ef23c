// Reporting an event (即拍即传): the item from the catalogue (by category or by name), the place
// (the current fix, or a tap on the grid map), a description, the severity and photos. Every
// report is first kept in the outbox with a client_id of its own, then sent: photos first
// (their ids kept with the report), then the case. With no network it waits and goes once the
// connection is back; the server answers a repeated client_id with the first case, so a report
// is never filed twice.

import { h } from "../../common/dom.js";
import { formatDateTime, SECOND_MS } from "../../common/format.js";
import { label, localName, t } from "../../common/i18n.js";
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
/** Answers after which a report will never be taken as it is: it waits for the worker. */
const TRANSIENT = (error) => error.status === 0 || error.status >= 500 || error.status === 429
  || error.status === 401;
const DUPLICATE = "duplicate";
const SHOWN_RESULTS = 5;

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

export function createReport({ api, user, names, tracker, outbox, socket, section,
                               onSent = () => {} }) {
  const ownGrid = user.scope;
  const state = { category: null, item: null, search: "", severity: DEFAULT_SEVERITY,
    picked: null };
  let queued = [];
  let results = [];
  let sending = null;
  let sendAgain = false;

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
  const photos = createPhotoPicker({ name: "report" });
  const submit = h("button", { type: "submit", id: "report-submit", class: "primary big" });
  const formMessage = h("p", { class: "notice error", role: "alert", hidden: true });
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
  labelled("report.item", chosen, search, categories, itemList),
  labelled("report.place", mapFrame.el, place, hereButton),
  labelled("report.description", description),
  labelled("report.severity", severity),
  labelled("report.photos", photos.el),
  formMessage,
  submit);
  const queueTitle = h("h2", null);
  const queuePanel = h("div", { class: "panel", hidden: true }, queueTitle, queueList);
  section.append(result, form, queuePanel);

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

  function renderQueue() {
    queuePanel.hidden = !queued.length;
    queueTitle.textContent = t("report.queue", { n: queued.length });
    queueList.replaceChildren(...queued.map((r) => h("li", { dataset: { clientId: r.client_id,
      failed: String(Boolean(r.failed)) } },
    h("span", { class: "grow" }, `${names.item(r.item)} · ${formatDateTime(r.created)}`,
      h("br"), h("small", { class: r.failed ? "error" : "muted" },
        r.failed ? t("report.failed", { message: r.failed })
          : t("report.waiting", { photos: r.photos.length }))),
    r.failed ? h("button", { type: "button", class: "secondary", onclick: () => drop(r) },
      t("report.discard")) : null)));
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
    await outbox.remove(REPORTS, [record.client_id]);
    await reloadQueue();
  }

  /** Send one report: its photos not yet uploaded, then the case. */
  async function deliver(record) {
    for (let i = 0; i < record.photos.length; i += 1) {
      if (record.media[i]) continue;
      record.media[i] = await uploadPhoto(api, record.photos[i]);
      await outbox.put(REPORTS, record);
    }
    const body = { client_id: record.client_id, item: record.item, lat: record.lat,
      lon: record.lon, description: record.description, severity: record.severity,
      media: record.media };
    return api.post("/api/v1/cases", body);
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
          for (const record of queued.filter((r) => !r.failed)) {
            if (!navigator.onLine) return;
            let sent;
            try {
              sent = await deliver(record);
            } catch (error) {
              if (TRANSIENT(error)) return;
              record.failed = errorText(error);
              await outbox.put(REPORTS, record);
              continue;
            }
            await outbox.remove(REPORTS, [record.client_id]);
            results = [sent, ...results.filter((c) => c.id !== sent.id)];
            toast(reportOutcome(sent, names));
            onSent(sent);
          }
        } while (sendAgain);
      } finally {
        sending = null;
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

  async function onSubmit() {
    const at = chosenPlace();
    if (!state.item) return showFormMessage(t("report.need_item"));
    if (!at) return showFormMessage(t("report.need_place"));
    showFormMessage("");
    submit.disabled = true;
    try {
      const shots = await photos.photos();
      const record = { client_id: newClientId(), created: Date.now(), item: state.item,
        lat: Number(at.lat.toFixed(7)), lon: Number(at.lon.toFixed(7)),
        description: description.value.trim(), severity: state.severity, photos: shots,
        media: shots.map(() => null), failed: null };
      await outbox.put(REPORTS, record);
      Object.assign(state, { category: null, item: null, search: "", picked: null,
        severity: DEFAULT_SEVERITY });
      search.value = "";
      description.value = "";
      photos.clear();
      renderAll();
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
  socket.onState((name) => {
    if (name === "open") sendQueued();
  });
  setInterval(() => {
    if (queued.some((r) => !r.failed) && navigator.onLine) sendQueued();
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
