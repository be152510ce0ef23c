// The district screen: sign in as the district centre, draw every street of the district,
// colour them by a chosen figure, list their figures and the district's totals, and show
// the cases escalated to the district as they happen. A street opens its command screen.

import { clearSession, createApi, loadSession, saveSession } from "../common/api.js";
import { byId, h } from "../common/dom.js";
import { formatClock, formatTime, SECOND_MS, setTimeZone } from "../common/format.js";
import { addTexts, label, localName, onLangChange, t, toggleLang, translate }
  from "../common/i18n.js";
import { bindLoginForm, showLoginMessage } from "../common/login.js";
import { createEscalations } from "./escalations.js";
import { legend, SHADE_FIGURES, shades, shown } from "./figures.js";
import { createDistrictMap } from "./map.js";
import { createDistrictStream } from "./stream.js";
import { createTable, streetHref } from "./table.js";
import { DISTRICT_TEXTS } from "./texts.js";

/** The command screen's session: a street opened from here is signed in already. */
const SESSION_KEY = "dispatch.screen.session";
const NOTICE_KEY = "dispatch.district.notice";
const SHADE_KEY = "dispatch.district.shade";
const WATCH_ROLES = new Set(["screen", "dispatcher", "assessor", "admin"]);
/** The socket's refusal of a street's user. */
const NOT_DISTRICT = "district_only";
const HTTP_UNAUTHORIZED = 401;
/** How often the escalations' "how long ago" is written again (s). */
const AGO_EVERY_S = 30;

addTexts(DISTRICT_TEXTS);

let session = loadSession(SESSION_KEY);
if (session && Number.isFinite(session.expires) && session.expires <= Date.now()) {
  clearSession(SESSION_KEY);
  session = null;
}

const api = createApi({
  getToken: () => (session ? session.token : null),
  onUnauthorized: () => signOut("login.expired"),
});

function signOut(noticeKey = null) {
  clearSession(SESSION_KEY);
  session = null;
  if (noticeKey) sessionStorage.setItem(NOTICE_KEY, noticeKey);
  location.reload();
}

function showLogin() {
  byId("district-view").hidden = true;
  byId("login-view").hidden = false;
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  if (notice) showLoginMessage(t(notice));
  byId("login-username").focus();
}

async function attemptLogin(username, password) {
  const result = await api.login(username, password);
  if (!WATCH_ROLES.has(result.user.role)) {
    fetch("/api/v1/logout", { method: "POST",
      headers: { Authorization: `Bearer ${result.token}` } }).catch(() => {});
    return t("district.login_forbidden", { user: result.user.username,
      role: label("role.", result.user.role) });
  }
  session = { token: result.token, expires: result.expires, user: result.user };
  saveSession(SESSION_KEY, session);
  startDistrict();
  return null;
}

async function startDistrict() {
  byId("login-view").hidden = true;
  byId("district-view").hidden = false;
  const user = session.user;
  let outlines;
  try {
    outlines = await api.get("/api/v1/district/map");
  } catch (error) {
    if (error.status === HTTP_UNAUTHORIZED) return; // signing out
    outlines = { district: null, streets: [] };
    byId("street-count").textContent = error.message;
  }
  const streets = outlines.streets || [];
  const names = new Map(streets.map((s) => [s.street, s]));
  // the first street's settings: its time zone, its district's name, the base map
  const first = streets.length ? await api.get(`/api/v1/street?street=${encodeURIComponent(
    streets[0].street)}`).catch(() => ({})) : {};
  if (first.tz) setTimeZone(first.tz);

  let shadeKey = SHADE_FIGURES.includes(localStorage.getItem(SHADE_KEY))
    ? localStorage.getItem(SHADE_KEY) : SHADE_FIGURES[0];
  let connection = { state: "connecting", info: {} };
  let figuresAt = null;

  const view = byId("district-view");
  const table = createTable({ names, onHover: (code) => map.highlight(code) });
  const map = createDistrictMap(byId("map"), streets, {
    tiles: (first.map && first.map.tiles) || null,
    onSelect: (code) => { location.href = streetHref(code); },
    tooltip: (code) => tooltipOf(code),
  });
  const escalations = createEscalations({ nameOf: table.nameOf, onChange: () => {
    view.dataset.escalations = String(escalations.count());
  } });

  function rowOf(code) {
    return table.rows().find((r) => r.street === code) || {};
  }

  function tooltipOf(code) {
    const row = rowOf(code);
    return [`<b>${table.nameOf(code)}</b>`, ...["open", "red", "closure_rate", "on_time_rate",
      "patrol_rate", "escalated"].map((key) => `${t(`dfig.${key}`)}: ${shown(key, row[key])}`)]
      .join("<br>");
  }

  function refresh() {
    const rows = table.rows();
    const levels = shades(rows, shadeKey);
    map.shade((code) => levels.get(code) || "none", (code) => shown(shadeKey, rowOf(code)[shadeKey]));
    byId("legend").replaceChildren(h("span", { class: "muted" }, t(`dfig.${shadeKey}`)),
      ...legend(rows, shadeKey).map(({ level, text }) => h("span", { class: "legend-item" },
        h("i", { class: "swatch", dataset: { shade: level } }), text)));
  }

  function renderShadeOptions() {
    byId("shade-figure").replaceChildren(...SHADE_FIGURES.map((key) => h("option", {
      value: key, selected: key === shadeKey }, t(`dfig.${key}`))));
  }

  function renderConnection() {
    const el = byId("conn");
    el.dataset.state = connection.state;
    const seconds = connection.info.at
      ? Math.max(0, Math.ceil((connection.info.at - Date.now()) / SECOND_MS)) : 0;
    el.textContent = t(`conn.${connection.state}`, { seconds });
  }

  function renderTexts() {
    translate();
    document.title = t("district.title");
    byId("district-name").textContent = localName({ name: first.district,
      name_en: first.district_en }, outlines.district || "");
    byId("user").textContent = t("header.user", { name: user.name || user.username,
      role: label("role.", user.role) });
    byId("street-count").textContent = t("district.streets_count", { count: streets.length });
    byId("figures-at").textContent = figuresAt === null ? ""
      : t("district.figures_at", { time: formatTime(figuresAt) });
    renderShadeOptions();
    renderConnection();
  }

  function showFigures(message) {
    figuresAt = message.at;
    view.dataset.at = String(message.at);
    table.replace(message);
    refresh();
    renderTexts();
  }

  function refuse() {
    stream.stop();
    const box = byId("refusal");
    box.replaceChildren(t("district.not_district", { user: user.username }), " ",
      h("a", { href: "/" }, t("district.to_screen")));
    box.hidden = false;
  }

  const stream = createDistrictStream({
    token: () => session.token,
    handlers: {
      snapshot(m) {
        showFigures(m);
        escalations.replace(m.escalations);
      },
      figures: showFigures,
      escalation: (m) => escalations.update({ ...m.alert, street: m.street }),
      error(m) {
        if (m.code === NOT_DISTRICT) refuse();
        else console.warn("district stream:", m.code, m.message);
      },
    },
    onState(state, info = {}) {
      connection = { state, info };
      renderConnection();
    },
    onFailure: () => api.get("/api/v1/me").catch(() => {}),
  });

  byId("shade-figure").addEventListener("change", (event) => {
    shadeKey = event.target.value;
    localStorage.setItem(SHADE_KEY, shadeKey);
    refresh();
  });
  byId("logout").addEventListener("click", async () => {
    await api.logout().catch(() => {});
    signOut();
  });
  onLangChange(() => {
    renderTexts();
    table.render();
    escalations.render();
    refresh();
  });

  renderTexts();
  table.render();
  escalations.render();
  refresh();
  stream.start();
  let ticks = 0;
  setInterval(() => {
    byId("clock").textContent = formatClock(Date.now());
    ticks += 1;
    if (ticks % AGO_EVERY_S === 0) escalations.render(); // "3 min ago" moves on
    if (connection.state === "waiting") renderConnection();
  }, SECOND_MS);
  byId("clock").textContent = formatClock(Date.now());
}

function init() {
  translate();
  document.title = t("district.title");
  for (const button of document.querySelectorAll(".lang-toggle")) {
    button.addEventListener("click", toggleLang);
  }
  onLangChange(() => translate());
  bindLoginForm(attemptLogin);
  if (session && WATCH_ROLES.has(session.user.role)) startDistrict();
  else showLogin();
}

init();
