// The field app: sign in once, then the role decides what the phone shows. A grid worker
// patrols (position streamed while the page is open), reports and verifies; a grid assistant
// patrols and reports in their grid; an informant only reports in their grid (the place from
// one position asked when reporting, or a tap on the map: never tracked) and follows their
// own reports, solving a simple one on the spot with a photo; a disposal member
// takes jobs live and handles them; a department lead also sees the department's open jobs.
// Installed on the home screen, the app opens and records with no signal (offline.js).

import "./texts.js";
import { byId } from "../common/dom.js";
import { SECOND_MS } from "../common/format.js";
import { label, onLangChange, t, toggleLang, translate } from "../common/i18n.js";
import { bindLoginForm, showLoginMessage } from "../common/login.js";
import { createAlerts } from "./alerts.js";
import { createCaseSheet } from "./casesheet.js";
import { createJobs } from "./member/jobs.js";
import { createTeam } from "./member/team.js";
import { loadNames } from "./names.js";
import { registerShell, shellVersion } from "./offline.js";
import { FIXES, openOutbox, REPORTS } from "./outbox.js";
import {
  api, INFORMANT_ROLE, LEAD_ROLE, logout, servesRole, signIn, takeNotice, token,
  TRACKING_SETUP_ROLE, user, WORKER_ROLES,
} from "./session.js";
import { setPhotoLimits } from "./photo.js";
import { createSocket } from "./socket.js";
import { createSosButton } from "./sos.js";
import { unlockSoundOnFirstTap } from "./sound.js";
import { createViews } from "./views.js";
import { createWorkerCases } from "./worker/cases.js";
import { createPatrol } from "./worker/patrol.js";
import { createReport } from "./worker/report.js";
import { createTracker } from "./worker/tracker.js";

const TICK_MS = SECOND_MS;
/** Errors the team socket answers its keep-alive with: nothing to show. */
const QUIET_ERRORS = new Set(["unknown_type"]);

function showLogin() {
  byId("app-view").hidden = true;
  byId("login-view").hidden = false;
  const notice = takeNotice();
  if (notice) showLoginMessage(t(notice));
}

/** Sign in; a refusal's text when this user may not use the field app. */
async function attemptLogin(username, password) {
  const result = await signIn(username, password);
  if (result.refused) {
    return t("field.login_forbidden", { user: result.refused.username,
      role: label("role.", result.refused.role) });
  }
  byId("login-password").value = "";
  startApp();
  return null;
}

/** The header's connection light: the socket's state, or offline when the phone says so. */
function createConnection(socket) {
  const el = byId("conn");
  function render() {
    const { name, info } = socket.state();
    const state = navigator.onLine ? name : "offline";
    const seconds = info.at ? Math.max(0, Math.ceil((info.at - Date.now()) / SECOND_MS)) : 0;
    el.dataset.state = state;
    el.textContent = t(state === "offline" ? "field.offline" : `conn.${state}`, { seconds });
  }
  socket.onState(render);
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  return { render };
}

function createMenu(u, outbox) {
  const menu = byId("menu");
  const button = byId("menu-button");
  function setOpen(open) {
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) render();
  }
  async function render() {
    byId("menu-user").textContent = t("header.user", { name: u.name || u.username,
      role: label("role.", u.role) }) + ` · ${u.username}`;
    shellVersion().then((shell) => {
      const el = byId("menu-version");
      el.hidden = !shell;
      if (shell) el.textContent = t("field.version", { version: shell.version });
    });
    const box = byId("menu-outbox");
    if (!outbox) return;
    const [fixes, reports] = await Promise.all([outbox.count(FIXES), outbox.count(REPORTS)]);
    box.hidden = !(fixes || reports);
    box.textContent = t("field.outbox", { fixes, reports });
  }
  button.addEventListener("click", () => setOpen(menu.hidden));
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && event.target !== button) setOpen(false);
  });
  byId("logout").addEventListener("click", () => logout());
  byId("menu-tracking").hidden = u.role !== TRACKING_SETUP_ROLE;
  return { render };
}

async function startWorker(u, names, alerts) {
  const outbox = await openOutbox(u.username);
  const socket = createSocket("/ws/phone", { token,
    onFailure: () => api.get("/api/v1/me").catch(() => {}) });
  const views = createViews([
    { id: "patrol", title: "tab.patrol", icon: "pin" },
    { id: "report", title: "tab.report", icon: "camera" },
    { id: "cases", title: "tab.cases", icon: "list" },
  ]);
  let patrol = null;
  let report = null;
  let cases = null;
  const sheet = createCaseSheet({ api, names, me: u, onChanged: (c) => cases.update(c) });
  const tracker = createTracker({ api, socket, outbox, onChange: (status) => {
    if (patrol) patrol.trackingChanged(status);
    if (report) report.fixChanged();
  } });
  patrol = createPatrol({ api, user: u, grids: names.features, tracker, alerts, outbox,
    street: names.street, section: views.section("patrol") });
  report = createReport({ api, user: u, names, tracker, outbox, socket,
    section: views.section("report"), onSent: (c) => cases.update(c),
    onCount: (n) => views.setBadge("report", n) });
  socket.onState((name) => {
    if (name === "open") patrol.linkUp();
  });
  cases = createWorkerCases({ api, user: u, names, socket, sheet,
    section: views.section("cases"), onCount: (n) => views.setBadge("cases", n) });
  socket.on("alert", (message) => alerts.add(message));
  createSosButton({ socket, tracker });
  return { socket, outbox, views, parts: [patrol, report, cases, sheet], tracker,
    alertView: "patrol", alertsChanged: () => patrol.alertsChanged() };
}

/** One position, asked when the informant opens the app or taps for it: a report's place,
 * nothing streamed or kept. Shaped like the tracker's status for the report form. */
const PLACE_TIMEOUT_MS = 15 * SECOND_MS;
const PLACE_MAX_AGE_MS = 60 * SECOND_MS;
function createOnePlace(onChange) {
  let lastFix = null;
  function locate() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((p) => {
      lastFix = { lat: p.coords.latitude, lon: p.coords.longitude, acc: p.coords.accuracy,
        ts: p.timestamp || Date.now() };
      onChange();
    }, () => {}, { enableHighAccuracy: true, timeout: PLACE_TIMEOUT_MS,
      maximumAge: PLACE_MAX_AGE_MS });
  }
  return { status: () => ({ lastFix, tracking: false }), locate };
}

/** No socket for an informant (its phone is not a tracked device): the lists refresh on
 * their own, the header's light says whether the phone is online. */
function createQuietSocket() {
  const listeners = [];
  const state = () => ({ name: navigator.onLine ? "open" : "offline", info: {} });
  const tell = () => listeners.forEach((fn) => fn(state().name));
  window.addEventListener("online", tell);
  return { on: () => {}, onState: (fn) => listeners.push(fn), state, start: () => {},
    restart: () => {}, send: () => false };
}

async function startInformant(u, names) {
  const outbox = await openOutbox(u.username);
  const socket = createQuietSocket();
  const views = createViews([
    { id: "report", title: "tab.report", icon: "camera" },
    { id: "cases", title: "tab.my_reports", icon: "list" },
  ]);
  let report = null;
  let cases = null;
  const place = createOnePlace(() => report && report.fixChanged());
  const sheet = createCaseSheet({ api, names, me: u, onChanged: (c) => cases.update(c) });
  report = createReport({ api, user: u, names, tracker: place, outbox, socket,
    section: views.section("report"), onSent: (c) => cases.update(c),
    onCount: (n) => views.setBadge("report", n) });
  cases = createWorkerCases({ api, user: u, names, socket, sheet, grid: false,
    section: views.section("cases"), onCount: (n) => views.setBadge("cases", n) });
  place.locate();
  return { socket, outbox, views, parts: [report, cases, sheet], alertView: "report" };
}

async function startMember(u, names, alerts) {
  const socket = createSocket("/ws/team", { token,
    onFailure: () => api.get("/api/v1/me").catch(() => {}) });
  const lead = u.role === LEAD_ROLE;
  const views = createViews([
    { id: "jobs", title: "tab.jobs", icon: "briefcase" },
    ...(lead ? [{ id: "team", title: "tab.team", icon: "people" }] : []),
  ]);
  let jobs = null;
  const sheet = createCaseSheet({ api, names, me: u, onChanged: (c) => jobs.changed(c),
    onAccept: (id) => jobs.accept(id) });
  jobs = createJobs({ api, user: u, names, socket, sheet, alerts, section: views.section("jobs"),
    onCount: (n) => views.setBadge("jobs", n) });
  const team = lead ? createTeam({ api, user: u, names, socket, sheet,
    section: views.section("team") }) : null;
  window.addEventListener("online", () => socket.restart()); // the old connection may be dead
  socket.on("error", (message) => {
    if (!QUIET_ERRORS.has(message.code)) console.warn("team socket:", message.code, message.message);
  });
  return { socket, outbox: null, views, parts: [jobs, team, sheet].filter(Boolean),
    alertView: "jobs" };
}

async function startApp() {
  const u = user();
  byId("login-view").hidden = true;
  byId("app-view").hidden = false;
  document.body.dataset.role = u.role;
  unlockSoundOnFirstTap();
  const names = await loadNames(api);
  if (names.street) setPhotoLimits(names.street.limits);
  let app = null;
  const alerts = createAlerts({
    onOpen: () => app && app.views.show(app.alertView),
    onChange: () => app && app.alertsChanged && app.alertsChanged(),
  });
  app = WORKER_ROLES.has(u.role) ? await startWorker(u, names, alerts)
    : u.role === INFORMANT_ROLE ? await startInformant(u, names)
      : await startMember(u, names, alerts);
  const connection = createConnection(app.socket);
  const menu = createMenu(u, app.outbox);

  onLangChange(() => {
    translate();
    document.title = t("field.title");
    app.views.render();
    for (const part of app.parts) part.render();
    alerts.render();
    connection.render();
    menu.render();
  });

  document.title = t("field.title");
  app.socket.start();
  if (app.tracker) app.tracker.start();
  for (const part of app.parts) if (part.start) part.start();
  app.views.showInitial();
  connection.render();
  setInterval(() => {
    for (const part of app.parts) if (part.tick) part.tick();
    if (app.socket.state().name === "waiting") connection.render();
  }, TICK_MS);
  document.body.dataset.ready = "true";
}

/** A new version of the app took over: say so; one tap opens it now. */
function showUpdate() {
  const bar = byId("update");
  bar.hidden = false;
  byId("update-now").onclick = () => location.reload();
}

function init() {
  registerShell({ onUpdated: showUpdate });
  translate();
  document.title = t("field.title");
  for (const button of document.querySelectorAll(".lang-toggle")) {
    button.addEventListener("click", toggleLang);
  }
  onLangChange(() => translate());
  bindLoginForm(attemptLogin);
  const u = user();
  if (u && servesRole(u.role)) startApp();
  else showLogin();
}

init();
