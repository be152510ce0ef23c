// The command screen: sign in, draw the street, follow the live stream, tick the clocks.

import { clearSession, createApi, loadSession, saveSession } from "../common/api.js";
import { byId } from "../common/dom.js";
import { formatClock, SECOND_MS, setTimeZone } from "../common/format.js";
import { addTexts, label, onLangChange, t, toggleLang, translate } from "../common/i18n.js";
import { bindLoginForm, showLoginMessage } from "../common/login.js";
import { createAlerts, normaliseAlert } from "./alerts.js";
import { createCard } from "./card.js";
import { createCaseCard } from "./casecard.js";
import { createCases } from "./cases.js";
import { DESK_TEXTS } from "./desktexts.js";
import { createFigures } from "./figures.js";
import { caseShade, renderLegend } from "./legend.js";
import { createMap } from "./map.js";
import { loadNames } from "./names.js";
import { createPatrols, patrolWindowText } from "./patrols.js";
import { createReplay } from "./replay.js";
import { createSearch } from "./search.js";
import { createSos } from "./sos.js";
import { createStream } from "./stream.js";
import { drilledStreet, streetApi } from "./street.js";
import { createWorkers } from "./workers.js";

const SESSION_KEY = "dispatch.screen.session";
const NOTICE_KEY = "dispatch.screen.notice";
const SHADE_KEY = "dispatch.screen.shade";
const SHADE_MODES = ["cases", "patrol"];
/** Roles that may watch the screen, and those that may also dispatch from it. */
const WATCH_ROLES = new Set(["screen", "dispatcher", "assessor", "dept_lead", "admin",
  "station_lead"]);
const DISPATCH_ROLES = new Set(["dispatcher", "admin"]);
/** A station's lead (网格站站长) watches the station's screen and blows the whistle on its
 * cases; the workers' tracks and patrols stay with the centre. */
const STATION_LEAD = "station_lead";
const OFFLINE_STATES = new Set(["offline", "unknown"]);
const OUT_OF_GRID = "out_of_grid";
const HTTP_UNAUTHORIZED = 401;
const TICK_MS = SECOND_MS;
const REFRESH_DELAY_MS = 60;
/** Where a district user who opened the street screen without a street is sent. */
const DISTRICT_PAGE = "/district";

addTexts(DESK_TEXTS);

let session = loadSession(SESSION_KEY);
if (session && Number.isFinite(session.expires) && session.expires <= Date.now()) {
  clearSession(SESSION_KEY);
  session = null;
}

/** The street a district user drilled down to (null: the user's own street). */
const drilled = drilledStreet();
const api = streetApi(createApi({
  getToken: () => (session ? session.token : null),
  onUnauthorized: () => signOut("login.expired"),
}), drilled);

/** Forget the session and start over on the sign-in form (with a notice to show there). */
function signOut(noticeKey = null) {
  clearSession(SESSION_KEY);
  session = null;
  if (noticeKey) sessionStorage.setItem(NOTICE_KEY, noticeKey);
  location.reload();
}

function showLogin() {
  byId("screen-view").hidden = true;
  byId("login-view").hidden = false;
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  if (notice) showLoginMessage(t(notice));
  byId("login-username").focus();
}

/** Sign in; a refusal's text when this role may not watch the screen. */
async function attemptLogin(username, password) {
  const result = await api.login(username, password);
  if (!WATCH_ROLES.has(result.user.role)) {
    fetch("/api/v1/logout", { method: "POST",
      headers: { Authorization: `Bearer ${result.token}` } }).catch(() => {});
    return t("login.forbidden", { user: result.user.username,
      role: label("role.", result.user.role) });
  }
  session = { token: result.token, expires: result.expires, user: result.user };
  saveSession(SESSION_KEY, session);
  startScreen();
  return null;
}

/** The desk acts on every alert; a department's lead on the department's own. */
function mayActOn(user, alert) {
  if (DISPATCH_ROLES.has(user.role)) return true;
  return user.role === "dept_lead" && Boolean(user.scope) && alert.department === user.scope;
}

/** The station a station lead's screen shows (null: the whole street). */
function stationOf(user) {
  return user.role === STATION_LEAD ? String(user.scope || "") : null;
}

/** The street's grids, or the station's own for a station lead. */
async function loadGrids(station) {
  try {
    const grids = await api.get("/api/v1/grids");
    if (station === null) return { grids, error: null };
    const own = (grids.features || []).filter((f) => String(f.properties.station) === station);
    return { grids: { ...grids, features: own }, error: null };
  } catch (error) {
    return { grids: { type: "FeatureCollection", features: [] }, error };
  }
}

async function startScreen() {
  byId("login-view").hidden = true;
  byId("screen-view").hidden = false;
  const user = session.user;
  if (user.district && drilled === null) { // the district's people work from its screen
    window.location.replace(DISTRICT_PAGE);
    return;
  }
  const station = stationOf(user);
  const [names, { grids, error: gridError }] = await Promise.all([loadNames(api),
    loadGrids(station)]);
  if (gridError && gridError.status === HTTP_UNAUTHORIZED) return; // signing out
  names.setGrids(grids.features || []);
  const street = names.meta();
  if (street.tz) setTimeZone(street.tz); // every time on the screen in the street's zone

  let shadeMode = SHADE_MODES.includes(localStorage.getItem(SHADE_KEY))
    ? localStorage.getItem(SHADE_KEY) : SHADE_MODES[0];
  let connection = { state: "connecting", info: {} };
  let refreshTimer = null;

  const card = createCard();
  const map = createMap(byId("map"), grids, { onBackgroundClick: () => card.close(),
    settings: street.map || {}, names });
  const replay = createReplay({ map, api, names, windowText: (p) => patrolWindowText(p, names) });
  let workers = null;
  const patrols = createPatrols({ api, card, names, replay,
    onWorker: (name) => workers.select(name, { reveal: true }) });
  workers = createWorkers({ map, card, api, names, patrols: station === null ? patrols : null,
    tracks: station === null, onChange: scheduleRefresh });
  let caseCard = null;
  const cases = createCases({ map, names, onSelect: (id) => caseCard.show(id),
    onChange: scheduleRefresh });
  map.onReproject(() => cases.render()); // case markers follow the zoom
  byId("patrols-open").addEventListener("click", () => patrols.openList());
  byId("patrols-open").hidden = station !== null;
  byId("district-back").hidden = drilled === null;
  caseCard = createCaseCard({ api, card, cases, names,
    canDispatch: () => DISPATCH_ROLES.has(user.role),
    canWhistle: (c) => DISPATCH_ROLES.has(user.role)
      || (station !== null && String(c.station || "") === station) });
  const alerts = createAlerts({ names, api, canAct: (a) => mayActOn(user, a),
    onWorker: (name) => workers.select(name, { reveal: true }), onCase: (id) => caseCard.show(id) });
  const search = createSearch({ api, names, onSelect: (id) => caseCard.show(id) });
  const sos = createSos({ api, names, canAck: () => DISPATCH_ROLES.has(user.role),
    onWorker: (name) => workers.select(name, { reveal: true }) });
  const figures = createFigures({ caption: station === null ? null : "fig.station_own",
    derive: () => {
    const counts = workers.counts();
    const known = Object.values(counts).reduce((a, b) => a + b, 0);
    const online = Object.entries(counts).filter(([state]) => !OFFLINE_STATES.has(state))
      .reduce((a, [, n]) => a + n, 0);
    return { workers_online: known ? online : null, overdue: cases.countByLight().red };
  } });

  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = null;
    const perGrid = cases.countByGrid();
    map.shade(shadeMode === "patrol"
      ? (id) => workers.stateOf((names.grid(id) || {}).worker) || "unknown"
      : (id) => caseShade(perGrid.get(id) || 0));
    renderLegend({ mode: shadeMode, workerCounts: workers.counts(),
      lightCounts: cases.countByLight() });
    figures.render();
    for (const button of document.querySelectorAll("[data-shade-mode]")) {
      button.setAttribute("aria-pressed", String(button.dataset.shadeMode === shadeMode));
    }
  }

  function scheduleRefresh() {
    if (refreshTimer === null) refreshTimer = setTimeout(refresh, REFRESH_DELAY_MS);
  }

  function renderTexts() {
    translate();
    document.title = t("app.title");
    byId("street-name").textContent = names.street();
    byId("user").textContent = t(station === null ? "header.user" : "header.station_user",
      { name: user.name || user.username, role: label("role.", user.role),
        station: names.station(station) });
    if (station !== null) {
      document.querySelector(".map-panel h2").textContent = t("map.station_title",
        { station: names.station(station) });
    }
    byId("grid-count").textContent = gridError
      ? t("map.no_grids", { message: gridError.message })
      : t("map.grids", { count: (grids.features || []).length });
    renderConnection();
  }

  function renderConnection() {
    const el = byId("conn");
    el.dataset.state = connection.state;
    const seconds = connection.info.at
      ? Math.max(0, Math.ceil((connection.info.at - Date.now()) / SECOND_MS)) : 0;
    el.textContent = t(`conn.${connection.state}`, { seconds });
  }

  for (const button of document.querySelectorAll("[data-shade-mode]")) {
    button.addEventListener("click", () => {
      shadeMode = button.dataset.shadeMode;
      localStorage.setItem(SHADE_KEY, shadeMode);
      refresh();
    });
  }
  byId("logout").addEventListener("click", async () => {
    await api.logout().catch(() => {});
    signOut();
  });

  const params = new URLSearchParams(location.search);
  const stream = createStream({
    token: () => session.token,
    filter: { station: params.get("station"), department: params.get("department"),
      street: drilled },
    handlers: {
      snapshot(m) {
        workers.replace(m.workers);
        cases.replace(m.cases);
        alerts.replace(m.alerts);
        sos.replace(Object.values(m.alerts || {}).map(normaliseAlert));
        figures.replace(m.figures);
      },
      positions: (m) => workers.update(m.items),
      case(m) {
        if (!m.case) return;
        cases.update(m.case);
        search.update(m.case);
        caseCard.changed(String(m.case.id));
      },
      alert(m) {
        const alert = alerts.add(m);
        sos.update(alert);
        // Out of grid opens and closes by the clock too, without a new fix to say so.
        if (alert && alert.kind === OUT_OF_GRID) {
          const members = alert.members && typeof alert.members === "object" ? alert.members
            : alert.worker ? { [alert.worker]: !alert.cleared } : {};
          for (const [name, active] of Object.entries(members)) {
            workers.patch(name, { out_of_grid: Boolean(active) && !alert.cleared });
          }
        }
      },
      figures: (m) => figures.replace(m.figures),  // each figures event is the whole set
      error: (m) => console.warn("screen stream:", m.code, m.message),
    },
    // The last seq seen, on the page for whoever inspects it (and the tests).
    onSeq: (seq) => {
      byId("screen-view").dataset.seq = String(seq ?? "");
    },
    onState(state, info = {}) {
      connection = { state, info };
      renderConnection();
    },
    // A socket refused at the handshake looks like any drop: ask whether the token still holds
    // (a 401 signs out).
    onFailure: () => api.get("/api/v1/me").catch(() => {}),
  });

  onLangChange(() => {
    renderTexts();
    cases.render();
    alerts.render();
    search.render();
    sos.render();
    workers.render();
    caseCard.render();
    map.render();
    patrols.render();
    replay.render();
    refresh();
  });

  renderTexts();
  refresh();
  cases.render();
  alerts.render();
  search.render();
  stream.start();
  setInterval(() => {
    byId("clock").textContent = formatClock(Date.now());
    cases.tick();
    caseCard.tick();
    workers.tick();
    if (connection.state === "waiting") renderConnection();
  }, TICK_MS);
  byId("clock").textContent = formatClock(Date.now());
}

function init() {
  translate();
  document.title = t("app.title");
  for (const button of document.querySelectorAll(".lang-toggle")) {
    button.addEventListener("click", toggleLang);
  }
  onLangChange(() => translate());
  bindLoginForm(attemptLogin);
  if (session && WATCH_ROLES.has(session.user.role)) startScreen();
  else showLogin();
}

init();
