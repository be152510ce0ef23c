// The report pages for the three rhythms (每日一汇总, 每周一督促, 每月一调度): figures per
// station and department, charts, rankings, downloads, and the cases behind every count.

import { clearSession, createApi, loadSession, saveSession } from "../common/api.js";
import { byId, clear, h } from "../common/dom.js";
import { formatPercent } from "../common/format.js";
import { label, lang, localName, onLangChange, t, toggleLang, translate } from "../common/i18n.js";
import { bindLoginForm, showLoginMessage } from "../common/login.js";
import { barChart, lineChart } from "./charts.js";
import "./texts.js";

const SESSION_KEY = "dispatch.reports.session";
const READ_ROLES = new Set(["dispatcher", "assessor", "admin", "dept_lead", "screen"]);
const KINDS = ["daily", "weekly", "monthly"];
const CURRENT = { daily: "day", weekly: "week", monthly: "month" };
const RATES = new Set(["closure_rate", "on_time_rate", "patrol_rate"]);
const TILES = ["reported", "duplicates", "closed", "closure_rate", "due", "closed_in_time",
  "on_time_rate", "overdue", "reworks", "supervised", "patrols_complete",
  "patrols_incomplete", "patrols_missed", "patrols_extra", "rating_mean"];
const DEPT_COLUMNS = ["reported", "closed", "closure_rate", "due", "closed_in_time",
  "on_time_rate", "overdue", "reworks", "supervised", "rating_mean", "parts_due",
  "parts_in_time", "parts_overdue", "parts_reworks", "summoned", "checkins_on_time",
  "checkins_late", "arrival_mean_s"];
const STATION_COLUMNS = ["reported", "closed", "closure_rate", "on_time_rate", "overdue",
  "patrols_complete", "patrols_incomplete", "patrols_missed", "patrol_rate"];
const MEMBERS_SHOWN = 50;
const HTTP_FORBIDDEN = 403;

let session = loadSession(SESSION_KEY);
if (session && Number.isFinite(session.expires) && session.expires <= Date.now()) {
  clearSession(SESSION_KEY);
  session = null;
}
const api = createApi({ getToken: () => (session ? session.token : null),
  onUnauthorized: () => { clearSession(SESSION_KEY); location.reload(); } });

const params = new URLSearchParams(location.search);
const state = {
  kind: KINDS.includes(params.get("kind")) ? params.get("kind") : "daily",
  period: params.get("period") || null, // a label or a day; null: the current period
  street: null, report: null, scores: null, scoresError: null, workerGrids: new Map(),
  workerNames: new Map(),
};

function zone() {
  return (state.street && state.street.tz) || "Asia/Shanghai";
}

/** A time in the street's zone, whatever the browser's. */
function streetTime(ms) {
  return new Intl.DateTimeFormat(lang() === "en" ? "en-GB" : "zh-CN", { timeZone: zone(),
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hour12: false }).format(new Date(ms));
}

/** The street's local date of an instant, YYYY-MM-DD. */
function streetDate(ms) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone(), year: "numeric",
    month: "2-digit", day: "2-digit" }).format(new Date(ms));
}

function value(key, v) {
  if (v === null || v === undefined) return t("time.none");
  if (RATES.has(key)) return formatPercent(v);
  return String(v);
}

function groupName(group, id) {
  const names = (state.report && state.report.names) || {};
  const found = (names[`${group}s`] || {})[id];
  return found ? localName(found, id) : id;
}

function countCell(key, v, group, name) {
  if (RATES.has(key) || key === "rating_mean" || !v) return value(key, v);
  return h("button", { type: "button", class: "count-link",
    dataset: { figure: key, group, name: name || "" },
    onclick: () => openMembers(key, group, name) }, String(v));
}

function renderTiles() {
  const totals = state.report.totals;
  byId("totals").replaceChildren(...TILES.map((key) => h("div", {
    class: "tile", dataset: { figure: key, tone: key === "overdue" && totals[key] ? "red" : "" },
  }, h("span", { class: "value" }, countCell(key, totals[key], "total", "")),
  h("span", { class: "name" }, t(`figure.${key}`)))));
}

function table(el, group, rows, columns) {
  const head = h("tr", {}, h("th", {}, t("table.name")),
    ...columns.map((c) => h("th", {}, t(`figure.${c}`))));
  const body = Object.entries(rows).map(([id, figs]) => h("tr", { dataset: { [group]: id } },
    h("td", {}, groupName(group, id)),
    ...columns.map((c) => h("td", { dataset: { figure: c } }, countCell(c, figs[c], group, id)))));
  el.replaceChildren(h("thead", {}, head), h("tbody", {}, body));
}

function renderCharts() {
  const r = state.report;
  const series = r.series || [];
  lineChart(byId("chart-rates"), series.map((p) => p.label.slice(5)), [
    { name: t("figure.closure_rate"), cls: "line-closure", values: series.map((p) => p.closure_rate) },
    { name: t("figure.on_time_rate"), cls: "line-ontime", values: series.map((p) => p.on_time_rate) },
  ]);
  const depts = Object.entries(r.departments);
  barChart(byId("chart-overdue"), depts.map(([id]) => groupName("department", id)),
    [{ name: t("figure.overdue"), cls: "bar-overdue", values: depts.map(([, f]) => f.overdue) }],
    { onBar: (i) => openMembers("overdue", "department", depts[i][0]) });
  const stations = Object.entries(r.stations);
  barChart(byId("chart-patrols"), stations.map(([id]) => groupName("station", id)), [
    { name: t("figure.patrols_complete"), cls: "bar-complete",
      values: stations.map(([, f]) => f.patrols_complete) },
    { name: t("figure.patrols_incomplete"), cls: "bar-incomplete",
      values: stations.map(([, f]) => f.patrols_incomplete) },
    { name: t("figure.patrols_missed"), cls: "bar-missed",
      values: stations.map(([, f]) => f.patrols_missed) },
  ]);
}

function rankRows(items, nameOf) {
  return items.map((s) => h("tr", { class: s.warned ? "warned" : "",
    dataset: { subject: s.subject, rank: String(s.rank ?? "") } },
  h("td", {}, s.rank ?? "—"),
  h("td", {}, nameOf(s.subject), s.warned ? h("span", { class: "warn-badge" }, t("rank.warned")) : null),
  h("td", {}, s.score === null ? t("rank.na") : s.score.toFixed(2))));
}

/** A grid worker's own name (their user name when the street does not say). */
function workerName(username) {
  return state.workerNames.get(username) || username;
}

function renderRankings() {
  const head = () => h("thead", {}, h("tr", {}, h("th", {}, t("rank.rank")),
    h("th", {}, t("rank.subject")), h("th", {}, t("rank.score"))));
  for (const [id, kind, nameOf] of [
    ["rank-departments", "departments", (d) => groupName("department", d)],
    ["rank-workers", "workers", (w) => {
      const grid = state.workerGrids.get(w);
      const name = workerName(w);
      return grid ? `${name} · ${grid}` : name;
    }]]) {
    const el = byId(id);
    if (!state.scores) {
      el.replaceChildren(h("tbody", {}, h("tr", {}, h("td", {}, state.scoresError || ""))));
      continue;
    }
    el.replaceChildren(head(), h("tbody", {}, rankRows(state.scores[kind], nameOf)));
  }
}

function render() {
  translate();
  document.title = `${t("reports.title")} · ${t(`kind.${state.kind}`)}`;
  for (const b of document.querySelectorAll("[data-kind]")) {
    b.setAttribute("aria-selected", String(b.dataset.kind === state.kind));
  }
  if (state.street) byId("street-name").textContent = localName(state.street);
  const r = state.report;
  if (!r) return;
  byId("label").textContent = r.label;
  byId("as-of").textContent = t("period.as_of", { time: streetTime(r.at), tz: zone(),
    state: r.finished ? t("period.finished") : t("period.running") });
  renderTiles();
  table(byId("departments"), "department", r.departments, DEPT_COLUMNS);
  table(byId("stations"), "station", r.stations, STATION_COLUMNS);
  renderCharts();
  renderRankings();
  byId("report-view").dataset.label = r.label;
  byId("report-view").dataset.kind = r.kind;
}

function periodParam() {
  return state.period || CURRENT[state.kind];
}

async function load() {
  byId("report-error").hidden = true;
  try {
    state.report = await api.get(`/api/v1/reports/${state.kind}?period=${encodeURIComponent(periodParam())}`);
  } catch (error) {
    byId("report-error").textContent = t("report.error", { message: error.message });
    byId("report-error").hidden = false;
    return;
  }
  try {
    state.scores = await api.get(`/api/v1/scores?period=${encodeURIComponent(state.report.label)}`);
    state.scoresError = null;
  } catch (error) {
    state.scores = null;
    state.scoresError = error.status === HTTP_FORBIDDEN ? t("rank.none") : error.message;
  }
  render();
}

function go(kind, period) {
  state.kind = kind;
  state.period = period;
  const query = new URLSearchParams({ kind, ...(period ? { period } : {}) });
  history.replaceState(null, "", `${location.pathname}?${query}`);
  closeMembers();
  load();
}

function closeMembers() {
  byId("members").hidden = true;
}

async function describe(item, subject) {
  if (subject === "patrol") {
    const p = await api.get(`/api/v1/patrols/${item.id}`).catch(() => null);
    if (!p) return item.id;
    const window = p.kind === "extra" ? t("members.extra") : (p.window && p.window.name) || "";
    return `${p.id} · ${t("members.patrol", { worker: workerName(p.worker), window: `${p.date} ${window}`,
      status: label("patrol.status.", p.status) })}`;
  }
  const c = await api.get(`/api/v1/cases/${item.id}`).catch(() => null);
  if (!c) return item.id;
  const dept = c.department ? groupName("department", c.department) : "";
  const times = item.n > 1 ? ` ×${item.n}` : "";
  return `${c.id}${times} · ${c.item_name || c.item} · ${dept} · ${label("state.", c.state)}`;
}

async function openMembers(figure, group, name) {
  const r = state.report;
  const query = new URLSearchParams({ period: r.label });
  if (group === "station") query.set("station", name);
  if (group === "department") query.set("department", name);
  const found = await api.get(`/api/v1/reports/${r.kind}/figures/${figure}?${query}`);
  const where = group === "total" ? t("members.street") : groupName(group, name);
  byId("members-title").textContent = t("members.title", { group: where,
    figure: t(`figure.${figure}`), count: found.count, label: r.label });
  const list = byId("members-list");
  clear(list);
  const shown = found.items.slice(0, MEMBERS_SHOWN);
  const texts = await Promise.all(shown.map((item) => describe(item, found.subject)));
  list.replaceChildren(...shown.map((item, i) => h("li", { dataset: { id: item.id } }, texts[i])));
  if (found.items.length > shown.length) {
    list.append(h("li", { class: "muted" }, t("members.more",
      { count: found.items.length - shown.length })));
  }
  byId("members-empty").hidden = found.items.length > 0;
  const panel = byId("members");
  panel.dataset.figure = figure;
  panel.dataset.count = String(found.count);
  panel.hidden = false;
}

async function download(what, format) {
  const r = state.report;
  const path = what === "scores" ? `/api/v1/scores?period=${encodeURIComponent(r.label)}&format=${format}`
    : `/api/v1/reports/${r.kind}?period=${encodeURIComponent(r.label)}&format=${format}`;
  const response = await fetch(path, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) return;
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || `report.${format}`;
  const url = URL.createObjectURL(await response.blob());
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function step(direction) {
  const r = state.report;
  if (!r) return;
  go(state.kind, direction < 0 ? streetDate(r.start - 1) : streetDate(r.end));
}

async function start() {
  byId("login-view").hidden = true;
  byId("report-view").hidden = false;
  const [street, grids] = await Promise.all([api.get("/api/v1/street").catch(() => null),
    api.get("/api/v1/grids").catch(() => null)]);
  state.street = street;
  for (const f of (grids && grids.features) || []) {
    if (f.properties.worker) state.workerGrids.set(f.properties.worker, localName(f.properties, f.properties.id));
    if (f.properties.worker_name) state.workerNames.set(f.properties.worker, f.properties.worker_name);
  }
  for (const b of document.querySelectorAll("[data-kind]")) {
    b.addEventListener("click", () => go(b.dataset.kind, null));
  }
  byId("prev").addEventListener("click", () => step(-1));
  byId("next").addEventListener("click", () => step(1));
  byId("current").addEventListener("click", () => go(state.kind, null));
  byId("members-close").addEventListener("click", closeMembers);
  for (const b of document.querySelectorAll(".download")) {
    b.addEventListener("click", () => download(b.dataset.what, b.dataset.format));
  }
  byId("logout").addEventListener("click", async () => {
    await api.logout().catch(() => {});
    clearSession(SESSION_KEY);
    location.reload();
  });
  onLangChange(render);
  await load();
  const figure = params.get("figure");
  if (figure && state.report) {
    await openMembers(figure, params.get("group") || "total", params.get("name") || "");
  }
}

async function attemptLogin(username, password) {
  const result = await api.login(username, password);
  if (!READ_ROLES.has(result.user.role)) {
    return t("login.forbidden", { user: result.user.username, role: label("role.", result.user.role) });
  }
  session = { token: result.token, expires: result.expires, user: result.user };
  saveSession(SESSION_KEY, session);
  start();
  return null;
}

function init() {
  translate();
  for (const b of document.querySelectorAll(".lang-toggle")) b.addEventListener("click", toggleLang);
  onLangChange(() => translate());
  bindLoginForm(attemptLogin);
  if (session && READ_ROLES.has(session.user.role)) start();
  else {
    byId("login-view").hidden = false;
    showLoginMessage("");
  }
}

init();
