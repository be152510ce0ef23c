// The patrol view: one big start / end button, the window and the time left in it, the
// patrol's distance and coverage so far, the worker's grid with today's track, and how the
// phone's position is getting through (with the plain truth about background tracking).

import { h } from "../../common/dom.js";
import {
  formatClock, formatDuration, formatPercent, MINUTE_MS, SECOND_MS,
} from "../../common/format.js";
import { label, t } from "../../common/i18n.js";
import { linesOf } from "../../common/map.js";
import { createGridMap, mapBox } from "../gridmap.js";
import { errorText } from "../views.js";

const IN_PROGRESS = "in_progress";
/** The figures of a patrol in progress and the day's track are fetched again this often. */
const REFRESH_MS = 30 * SECOND_MS;
/** ... or this soon after new fixes reached the server. */
const REFRESH_AFTER_FIXES_MS = 3 * SECOND_MS;
/** A second tap within this ends the patrol (one tap only arms the button). */
const CONFIRM_MS = 4 * SECOND_MS;
/** The worker is warned this long before the window closes. */
export const WINDOW_WARNING_MS = 10 * MINUTE_MS;
const KM = 1000;

export function formatDistance(metres) {
  if (!Number.isFinite(metres)) return t("time.none");
  return metres < KM ? `${Math.round(metres)} m` : `${(metres / KM).toFixed(2)} km`;
}

/** Keeps the screen on while a patrol runs (tracking stops when the screen goes off). */
function createWakeLock() {
  let lock = null;
  let wanted = false;
  async function acquire() {
    if (!wanted || lock || !("wakeLock" in navigator) || document.visibilityState !== "visible") {
      return;
    }
    try {
      lock = await navigator.wakeLock.request("screen");
      lock.addEventListener("release", () => {
        lock = null;
      });
    } catch {
      lock = null; // refused (battery saver): the page says the screen must stay on
    }
  }
  document.addEventListener("visibilitychange", acquire);
  return {
    set(on) {
      wanted = on;
      if (on) acquire();
      else if (lock) lock.release().catch(() => {});
    },
    held: () => Boolean(lock),
  };
}

export function createPatrol({ api, user, grids, tracker, alerts, section }) {
  const me = user.username;
  const ownGrid = user.scope;
  let patrol = null; // the open patrol (or the last one of the day)
  let today = [];
  let message = null; // {key, vars} or {text}, and error: true for a failure
  let armedUntil = 0;
  let busy = false;
  let track = null;
  let refreshTimer = null;
  let lastRefresh = 0;
  let lastDelivered = 0;
  let soonTimer = null;
  const wakeLock = createWakeLock();

  const els = {
    state: h("p", { class: "patrol-state" }),
    window: h("p", { class: "patrol-window" }),
    figures: h("dl", { class: "figures" }),
    button: h("button", { type: "button", id: "patrol-button", class: "primary huge",
      onclick: onButton }),
    message: h("p", { class: "notice", role: "status", hidden: true }),
    map: mapBox(),
    tracking: h("div", { id: "tracking", class: "tracking" }),
    today: h("ol", { class: "patrol-list" }),
    alerts: h("ol", { id: "alert-list", class: "alert-list" }),
  };
  const mapTitle = h("h2", null);
  const todayTitle = h("h2", null);
  const alertsTitle = h("h2", null);
  const statusTitle = h("h2", null);
  section.append(
    h("div", { class: "panel patrol-panel" }, els.state, els.window, els.figures, els.button,
      els.message),
    h("div", { class: "panel" }, statusTitle, els.tracking),
    h("div", { class: "panel" }, mapTitle, els.map.el),
    h("div", { class: "panel" }, alertsTitle, els.alerts),
    h("div", { class: "panel" }, todayTitle, els.today),
  );

  const map = createGridMap(els.map.box, grids, { focus: { grids: [ownGrid] }, own: ownGrid,
    label: t("patrol.map") });

  const open = () => Boolean(patrol && patrol.status === IN_PROGRESS);

  function setMessage(next) {
    message = next;
    renderMessage();
  }

  function renderMessage() {
    els.message.hidden = !message;
    if (!message) return;
    els.message.textContent = message.text || t(message.key, message.vars || {});
    els.message.classList.toggle("error", Boolean(message.error));
  }

  async function load() {
    try {
      const found = await api.get("/api/v1/patrols");
      today = found.items || [];
      const running = today.find((p) => p.status === IN_PROGRESS);
      patrol = running || today[today.length - 1] || null;
      if (running) patrol = await api.get(`/api/v1/patrols/${encodeURIComponent(running.id)}`);
    } catch (error) {
      setMessage({ text: t("patrol.load_failed", { message: errorText(error) }), error: true });
    }
    lastRefresh = Date.now();
    wakeLock.set(open());
    render();
    loadTrack();
  }

  async function loadTrack() {
    try {
      track = await api.get(`/api/v1/workers/${encodeURIComponent(me)}/track`);
    } catch {
      return; // keep the last one: it comes back with the connection
    }
    map.setTrack(linesOf(track));
    renderTracking();
  }

  async function refresh() {
    lastRefresh = Date.now();
    if (open()) {
      try {
        const fresh = await api.get(`/api/v1/patrols/${encodeURIComponent(patrol.id)}`);
        patrol = fresh;
        today = today.map((p) => (p.id === fresh.id ? fresh : p));
        wakeLock.set(open());
        render();
      } catch {
        // offline: the figures wait for the connection
      }
    }
    loadTrack();
  }

  /** Fetch the figures again soon, at most once per REFRESH_AFTER_FIXES_MS. */
  function refreshSoon() {
    if (soonTimer !== null) return;
    const wait = Math.max(0, lastRefresh + REFRESH_AFTER_FIXES_MS - Date.now());
    soonTimer = setTimeout(() => {
      soonTimer = null;
      refresh();
    }, wait);
  }

  async function start() {
    busy = true;
    render();
    try {
      patrol = await api.post("/api/v1/patrols/start");
      today = [...today.filter((p) => p.id !== patrol.id), patrol];
      setMessage({ key: "patrol.started" });
      alerts.clearLocal();
    } catch (error) {
      const key = error.code === "outside_window" ? "patrol.outside_window" : "patrol.failed";
      setMessage({ text: t(key, { message: errorText(error) }), error: true });
    } finally {
      busy = false;
      wakeLock.set(open());
      render();
    }
  }

  async function end() {
    busy = true;
    render();
    try {
      const ended = await api.post(`/api/v1/patrols/${encodeURIComponent(patrol.id)}/end`);
      patrol = ended;
      today = today.map((p) => (p.id === ended.id ? ended : p));
      setMessage({ key: "patrol.ended", vars: { status: label("patrol.status.", ended.status) } });
      alerts.clearLocal();
    } catch (error) {
      setMessage({ text: t("patrol.failed", { message: errorText(error) }), error: true });
    } finally {
      busy = false;
      wakeLock.set(open());
      render();
      loadTrack();
    }
  }

  function onButton() {
    if (busy) return;
    if (!open()) {
      start();
      return;
    }
    if (Date.now() > armedUntil) {
      armedUntil = Date.now() + CONFIRM_MS;
      render();
      setTimeout(render, CONFIRM_MS + SECOND_MS / 10);
      return;
    }
    armedUntil = 0;
    end();
  }

  function figure(key, value, name) {
    return [h("dt", null, t(key)), h("dd", { dataset: { figure: name } }, value)];
  }

  function renderHead() {
    const now = Date.now();
    section.dataset.patrol = open() ? IN_PROGRESS : "none";
    if (open()) {
      els.state.textContent = t("patrol.on", { elapsed: formatDuration(now - patrol.start) });
      const left = patrol.window.end - now;
      els.window.textContent = t("patrol.window_left", { window: patrol.window.name,
        left: formatDuration(left) });
      els.window.dataset.warning = String(left <= WINDOW_WARNING_MS);
      if (left <= WINDOW_WARNING_MS && left > 0) {
        alerts.addLocal({ id: `window_closing:${patrol.id}`, kind: "window_closing",
          ts: now, window: patrol.window.name, minutes: Math.ceil(left / MINUTE_MS) });
      }
    } else {
      els.state.textContent = t("patrol.off");
      els.window.textContent = patrol
        ? t("patrol.last", { window: patrol.window.name,
          status: label("patrol.status.", patrol.status) })
        : t("patrol.hint");
      els.window.dataset.warning = "false";
    }
    const shown = patrol && (open() || patrol.status !== "missed") ? patrol : null;
    els.figures.replaceChildren(
      ...figure("patrol.distance", shown ? formatDistance(shown.distance_m) : "—", "distance"),
      ...figure("patrol.coverage", shown ? formatPercent(shown.coverage, 0) : "—", "coverage"),
      ...figure("patrol.outside", shown ? formatDuration(shown.outside_grid_s * SECOND_MS) : "—",
        "outside"),
      ...figure("patrol.points", shown ? String(shown.points) : "—", "points"),
    );
    const armed = open() && Date.now() <= armedUntil;
    els.button.textContent = t(busy ? "patrol.busy" : !open() ? "patrol.start"
      : armed ? "patrol.confirm_end" : "patrol.end");
    els.button.disabled = busy;
    els.button.dataset.action = open() ? "end" : "start";
    els.button.classList.toggle("danger", open());
    els.button.classList.toggle("armed", armed);
  }

  function renderToday() {
    els.today.replaceChildren(...today.slice().reverse().map((p) => h("li", {
      dataset: { patrol: p.id, status: p.status } },
    h("span", { class: "status-dot", dataset: { status: p.status } }),
    h("span", { class: "grow" }, `${p.window.name} · ${label("patrol.status.", p.status)}`),
    h("span", { class: "muted" }, p.status === "missed" ? ""
      : `${formatDistance(p.distance_m)} · ${formatPercent(p.coverage, 0)}`))));
    if (!today.length) els.today.append(h("li", { class: "muted" }, t("patrol.none_today")));
  }

  function linkState(s) {
    if (!s.online) return "offline";
    return s.link === "open" ? "live" : "connecting";
  }

  function renderTracking() {
    const s = tracker.status();
    const link = linkState(s);
    const geoText = s.geo === "ok" && s.lastFix
      ? t("tracking.geo_ok", { acc: Math.round(s.lastFix.acc ?? 0),
        at: formatClock(s.lastFix.ts) })
      : t(`tracking.geo_${s.geo}`);
    Object.assign(els.tracking.dataset, { geo: s.geo, link, taken: String(s.taken),
      queued: String(s.queued), delivered: String(s.delivered) });
    els.tracking.replaceChildren(...[
      h("p", { class: "tracking-line", dataset: { geo: s.geo } },
        h("span", { class: "dot" }), geoText),
      h("p", { class: "tracking-line", dataset: { link } }, h("span", { class: "dot" }),
        t(`tracking.link_${link}`)),
      s.queued ? h("p", { class: "tracking-line queued" }, h("span", { class: "dot" }),
        t("tracking.queued", { n: s.queued })) : null,
      h("p", { class: "muted" }, t("tracking.counts", { taken: s.taken, delivered: s.delivered,
        points: track && track.properties ? track.properties.points : "—" })),
      h("p", { class: "tracking-note" }, t("tracking.screen_on"), " ",
        h("a", { href: "/static/app/tracking.html", id: "tracking-setup" },
          t("tracking.setup_link"))),
    ].filter(Boolean));
    map.setPending(tracker.pendingPoints());
    map.setPosition(s.lastFix);
  }

  function render() {
    mapTitle.textContent = t("patrol.map");
    todayTitle.textContent = t("patrol.today");
    alertsTitle.textContent = t("alerts.mine");
    statusTitle.textContent = t("tracking.title");
    renderHead();
    renderMessage();
    renderToday();
    renderTracking();
    alerts.renderList(els.alerts);
  }

  return {
    start() {
      load();
      refreshTimer = setInterval(refresh, REFRESH_MS);
    },
    stop() {
      clearInterval(refreshTimer);
      wakeLock.set(false);
    },
    render,
    tick: renderHead,
    /** The tracker reported a change: show it (and fetch the figures when fixes went up). */
    trackingChanged(status) {
      renderTracking();
      if (status.delivered !== lastDelivered) {
        lastDelivered = status.delivered;
        refreshSoon();
      }
    },
    alertsChanged: () => alerts.renderList(els.alerts),
  };
}
