// The patrol view: one big start / end button, the window and the time left in it, the
// patrol's distance and coverage so far, the worker's grid with today's track, and how the
// phone's position is getting through (with the plain truth about background tracking).
//
// A start or an end tapped without signal is kept on the phone with the time of the tap and
// sent when the network is back: a patrol can be walked in a stairwell from start to end.
// Outside the patrol windows the button starts an extra patrol (额外巡查), which counts toward
// no window. The page never claims positions go up when the phone has none: without
// permission or without a first fix, starting warns, asks again, and offers a patrol without
// location (无定位巡查), which the record keeps. The day's track is fetched whole once, then
// only the fixes after the last one the page holds (since=).

import { ApiError } from "../../common/api.js";
import { h } from "../../common/dom.js";
import {
  formatClock, formatDuration, formatPercent, MINUTE_MS, SECOND_MS,
} from "../../common/format.js";
import { label, t } from "../../common/i18n.js";
import { errorText, transient } from "../errors.js";
import { createGridMap, mapBox } from "../gridmap.js";
import { PATROLS } from "../outbox.js";
import { toast } from "../views.js";

const IN_PROGRESS = "in_progress";
const EXTRA = "extra";
/** The figures of a patrol in progress and the day's track are fetched again this often. */
const REFRESH_MS = 30 * SECOND_MS;
/** ... or this soon after new fixes reached the server. */
const REFRESH_AFTER_FIXES_MS = 3 * SECOND_MS;
/** A second tap within this ends the patrol (one tap only arms the button). */
const CONFIRM_MS = 4 * SECOND_MS;
/** The worker is warned this long before the window closes. */
export const WINDOW_WARNING_MS = 10 * MINUTE_MS;
/** A fix older than this no longer counts as "positions go up now". */
const FIX_STALE_MS = 2 * MINUTE_MS;
/** Taps kept offline are tried again this often while the network is up. */
const SYNC_RETRY_MS = 15 * SECOND_MS;
const KM = 1000;
const CACHE_PREFIX = "dispatch.app.patrol.";

export function formatDistance(metres) {
  if (!Number.isFinite(metres)) return t("time.none");
  return metres < KM ? `${Math.round(metres)} m` : `${(metres / KM).toFixed(2)} km`;
}

/** A patrol's name: its window's, or 额外巡查. */
export function patrolName(p) {
  if (!p) return "";
  if (p.kind === EXTRA || !p.window) return t("patrol.extra");
  return p.window.name;
}

/** "HH:MM" of ``ts`` in the time zone ``tz`` (the street's). */
function wallClock(ts, tz) {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit",
      hourCycle: "h23" }).format(new Date(ts));
  } catch {
    const d = new Date(ts);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }
}

/** The street's window open at ``ts`` ({name, start, end} as /api/v1/street tells), or null. */
export function windowAt(ts, street) {
  if (!street || !Array.isArray(street.patrol_windows)) return null;
  const now = wallClock(ts, street.tz);
  return street.patrol_windows.find((w) => (w.start < w.end ? w.start <= now && now < w.end
    : now >= w.start || now < w.end)) || null;
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

/** The day's track as the page holds it: fetched whole once, then what is new (since=). */
function createTrack(api, me) {
  const held = { coords: [], since: null, points: null, date: null };
  let late = null; // the oldest fix gone up late and not yet in a fetched track
  let loading = null;
  const base = `/api/v1/workers/${encodeURIComponent(me)}/track`;

  async function fetchOnce() {
    const whole = held.since === null || (late !== null && late <= held.since);
    const found = await api.get(whole ? base : `${base}?since=${held.since}`);
    const props = found.properties || {};
    const geometry = found.geometry;
    const coords = !geometry ? [] : geometry.type === "Point" ? [geometry.coordinates]
      : geometry.coordinates || [];
    if (whole || props.date !== held.date) { // the first time, after late fixes, a new day
      held.coords = coords;
      held.points = props.points ?? 0;
    } else {
      held.coords = held.coords.concat(coords);
      held.points = (held.points || 0) + (props.points || 0);
    }
    // an empty day: everything from the start of it next time (since=0)
    held.since = Number.isFinite(props.end_ts) ? props.end_ts : held.since ?? 0;
    held.date = props.date || held.date;
    late = null;
  }

  return {
    held,
    /** Bring the track up to date (one request at a time); false when it could not.
     * lateOldest: the oldest fix that went up late meanwhile (the whole day again if it is
     * older than the track held). */
    async refresh(lateOldest) {
      if (lateOldest !== null && (late === null || lateOldest < late)) late = lateOldest;
      if (loading) return loading;
      loading = fetchOnce().then(() => true, () => false).finally(() => {
        loading = null;
      });
      return loading;
    },
  };
}

export function createPatrol({ api, user, grids, tracker, alerts, section, outbox,
                               street = null }) {
  const me = user.username;
  const ownGrid = user.scope;
  const cacheKey = CACHE_PREFIX + me;
  let patrol = null; // the server's open patrol (or the last one of the day)
  let today = [];
  let ops = []; // starts and ends tapped and not yet delivered, in order
  let message = null; // {key, vars} or {text}, and error: true for a failure
  let armedUntil = 0;
  let asking = false; // the location warning is shown (a start waits for the worker)
  let syncing = null;
  let syncAgain = false;
  let locationKey = "";
  let refreshTimer = null;
  let lastRefresh = 0;
  let lastDelivered = 0;
  let soonTimer = null;
  const wakeLock = createWakeLock();
  const track = createTrack(api, me);

  const els = {
    state: h("p", { class: "patrol-state" }),
    window: h("p", { class: "patrol-window" }),
    figures: h("dl", { class: "figures" }),
    button: h("button", { type: "button", id: "patrol-button", class: "primary huge",
      onclick: onButton }),
    location: h("div", { id: "patrol-location", class: "notice warn location-warning",
      role: "alert", hidden: true }),
    message: h("p", { id: "patrol-message", class: "notice", role: "status", hidden: true }),
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
    h("div", { class: "panel patrol-panel" }, els.state, els.window, els.figures,
      els.location, els.button, els.message),
    h("div", { class: "panel" }, statusTitle, els.tracking),
    h("div", { class: "panel" }, mapTitle, els.map.el),
    h("div", { class: "panel" }, alertsTitle, els.alerts),
    h("div", { class: "panel" }, todayTitle, els.today),
  );

  const map = createGridMap(els.map.box, grids, { focus: { grids: [ownGrid] }, own: ownGrid,
    label: t("patrol.map") });

  const lastOp = () => ops[ops.length - 1] || null;
  /** Whether a patrol runs, as the phone knows it (a start tapped offline counts). */
  const open = () => {
    const last = lastOp();
    if (last) return last.op === "start";
    return Boolean(patrol && patrol.status === IN_PROGRESS);
  };
  const unsent = () => ops.some((op) => op.op === "start");
  const startedAt = () => {
    const last = lastOp();
    return last && last.op === "start" ? last.ts : patrol ? patrol.start : Date.now();
  };
  const withoutLocation = () => {
    const last = lastOp();
    return last && last.op === "start" ? Boolean(last.without_location)
      : Boolean(patrol && patrol.without_location);
  };
  const extraNow = () => {
    const last = lastOp();
    if (last && last.op === "start") return !windowAt(last.ts, street);
    return Boolean(patrol && (patrol.kind === EXTRA || !patrol.window));
  };
  const locatingNow = () => {
    const s = tracker.status();
    return s.geo === "ok" && s.lastFix && Date.now() - s.lastFix.ts < FIX_STALE_MS;
  };

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

  function remember() {
    try {
      localStorage.setItem(cacheKey, JSON.stringify({ patrol, today, at: Date.now() }));
    } catch {
      // storage full: the page shows what the server says once online
    }
  }

  function recall() {
    try {
      const kept = JSON.parse(localStorage.getItem(cacheKey) || "null");
      if (kept) ({ patrol, today } = kept);
    } catch {
      // nothing kept
    }
  }

  async function reloadOps() {
    try {
      ops = (await outbox.all(PATROLS)).sort((a, b) => a.id - b.id);
    } catch (error) {
      console.warn("patrol: could not read the outbox", error);
    }
  }

  async function load() {
    recall();
    await reloadOps();
    render();
    try {
      const found = await api.get("/api/v1/patrols");
      today = found.items || [];
      const running = today.find((p) => p.status === IN_PROGRESS);
      patrol = running || today[today.length - 1] || null;
      if (running) patrol = await api.get(`/api/v1/patrols/${encodeURIComponent(running.id)}`);
      remember();
    } catch (error) {
      if (!transient(error)) {
        setMessage({ text: t("patrol.load_failed", { message: errorText(error) }), error: true });
      }
    }
    lastRefresh = Date.now();
    wakeLock.set(open());
    render();
    loadTrack();
    sync();
  }

  async function loadTrack() {
    if (await track.refresh(tracker.takeLate())) {
      map.setTrack([track.held.coords]);
      renderTracking();
    }
  }

  function updateRecord(fresh) {
    patrol = fresh;
    today = [...today.filter((p) => p.id !== fresh.id), fresh].sort((a, b) => a.start - b.start);
    remember();
  }

  async function refresh() {
    lastRefresh = Date.now();
    if (patrol && patrol.status === IN_PROGRESS && !ops.length) {
      try {
        updateRecord(await api.get(`/api/v1/patrols/${encodeURIComponent(patrol.id)}`));
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

  /** Send one kept tap; the record the server answers with (null: nothing to end). */
  async function deliver(op) {
    if (op.op === "start") {
      return api.post("/api/v1/patrols/start", { ts: op.ts,
        without_location: Boolean(op.without_location) });
    }
    if (!patrol || patrol.status !== IN_PROGRESS) return null; // already ended (the clock)
    // the server measures a patrol when it ends: the fixes walked before the end go first
    await tracker.flush();
    const oldest = tracker.oldestWaiting();
    if (oldest !== null && oldest <= op.ts) throw new ApiError(0, "network", "fixes wait");
    return api.post(`/api/v1/patrols/${encodeURIComponent(patrol.id)}/end`, { ts: op.ts });
  }

  /** Send the kept taps in order; stops at the first that must wait for the network. */
  function sync() {
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    syncing = (async () => {
      try {
        do {
          syncAgain = false;
          await syncOnce();
        } while (syncAgain && ops.length && navigator.onLine);
      } finally {
        syncing = null;
        wakeLock.set(open());
        render();
      }
      if (!ops.length) refresh();
    })();
    return syncing;
  }

  async function syncOnce() {
    await reloadOps();
    for (const op of ops.slice()) {
      if (!navigator.onLine) return;
      let record;
      try {
        record = await deliver(op);
      } catch (error) {
        if (transient(error)) return;
        toast(t("patrol.refused", { reason: errorText(error) }), "error");
        setMessage({ text: t("patrol.refused", { reason: errorText(error) }), error: true });
      }
      await outbox.remove(PATROLS, [op.id]);
      ops = ops.filter((o) => o.id !== op.id);
      if (record) {
        updateRecord(record);
        if (op.op === "end") {
          setMessage({ key: "patrol.ended", vars: { status: label("patrol.status.",
            record.status) } });
        }
      }
    }
  }

  async function tap(op, fields = {}) {
    try {
      await outbox.add(PATROLS, { op, ts: Date.now(), ...fields });
    } catch (error) {
      setMessage({ text: t("patrol.failed", { message: String(error) }), error: true });
      return;
    }
    await reloadOps();
    wakeLock.set(open());
    render();
    await sync();
    if (ops.length) {
      setMessage({ key: op === "start" ? "patrol.started_offline" : "patrol.ended_offline" });
    }
  }

  async function start(noLocation) {
    asking = false;
    alerts.clearLocal();
    await tap("start", { without_location: noLocation });
    if (!ops.length && open()) {
      setMessage({ key: noLocation ? "patrol.started_without_location" : "patrol.started" });
    }
  }

  function end() {
    alerts.clearLocal();
    tap("end");
  }

  function onButton() {
    if (!open()) {
      if (!locatingNow()) {
        asking = true; // warn first: the worker chooses to ask again or to go without
        render();
        return;
      }
      start(false);
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

  /** Why there is no position, in words, and what the worker can do. */
  function noLocationText() {
    const s = tracker.status();
    if (s.geo === "denied") return t("patrol.location_denied");
    if (s.geo === "insecure" || s.geo === "unsupported") return t(`tracking.geo_${s.geo}`);
    if (s.geo === "ok") return t("patrol.location_stale", { at: formatClock(s.lastFix.ts) });
    if (s.geo === "waiting") return t("patrol.location_waiting");
    return t("patrol.location_none", { seconds: Math.round(tracker.firstFixMs / SECOND_MS) });
  }

  function renderLocation() {
    const running = open();
    const show = (asking && !running) || (running && !locatingNow() && !withoutLocation());
    const text = show ? noLocationText() : "";
    const key = [show, running, tracker.status().geo, text, t("patrol.ask_again")].join("|");
    if (key === locationKey) return; // unchanged: keep the buttons under the worker's thumb
    locationKey = key;
    els.location.hidden = !show;
    els.location.dataset.geo = tracker.status().geo;
    if (!show) return;
    const buttons = [h("button", { type: "button", class: "secondary", id: "patrol-ask-again",
      onclick: () => tracker.askAgain() }, t("patrol.ask_again"))];
    if (!running) {
      buttons.push(h("button", { type: "button", class: "secondary",
        id: "patrol-without-location", onclick: () => start(true) },
      t("patrol.start_without_location")));
      buttons.push(h("button", { type: "button", class: "link", onclick: () => {
        asking = false;
        render();
      } }, t("patrol.cancel")));
    }
    els.location.replaceChildren(
      h("p", null, h("strong", null, t(running ? "patrol.running_no_location"
        : "patrol.no_location")), " ", text),
      h("div", { class: "location-actions" }, buttons));
  }

  function renderHead() {
    const now = Date.now();
    const running = open();
    section.dataset.patrol = running ? IN_PROGRESS : "none";
    section.dataset.kind = running && extraNow() ? EXTRA : "window";
    section.dataset.withoutLocation = String(running && withoutLocation());
    section.dataset.unsent = String(unsent());
    section.dataset.pending = String(ops.length);
    if (asking && locatingNow()) {
      asking = false; // the fix came: the warning has done its work
      setMessage({ key: "patrol.location_back" });
    }
    if (running) {
      const marks = [extraNow() ? t("patrol.extra") : null,
        withoutLocation() ? t("patrol.without_location") : null].filter(Boolean);
      els.state.textContent = t("patrol.on", { elapsed: formatDuration(now - startedAt()) })
        + (marks.length ? ` · ${marks.join(" · ")}` : "");
      const known = patrol && patrol.status === IN_PROGRESS && !unsent() ? patrol : null;
      if (unsent()) {
        els.window.textContent = t("patrol.unsent", { at: formatClock(startedAt()) });
        els.window.dataset.warning = "false";
      } else if (known && known.window && known.kind !== EXTRA) {
        const left = known.window.end - now;
        els.window.textContent = t("patrol.window_left", { window: known.window.name,
          left: formatDuration(left) });
        els.window.dataset.warning = String(left <= WINDOW_WARNING_MS);
        if (left <= WINDOW_WARNING_MS && left > 0) {
          alerts.addLocal({ id: `window_closing:${known.id}`, kind: "window_closing",
            ts: now, window: known.window.name, minutes: Math.ceil(left / MINUTE_MS) });
        }
      } else {
        els.window.textContent = t("patrol.extra_note");
        els.window.dataset.warning = "false";
      }
    } else {
      els.state.textContent = t("patrol.off");
      const inWindow = windowAt(now, street);
      els.window.textContent = patrol
        ? t("patrol.last", { window: patrolName(patrol),
          status: label("patrol.status.", patrol.status) })
        : street && !inWindow ? t("patrol.hint_extra") : t("patrol.hint");
      els.window.dataset.warning = "false";
    }
    const shown = patrol && !unsent() && (running || patrol.status !== "missed") ? patrol : null;
    els.figures.replaceChildren(
      ...figure("patrol.distance", shown ? formatDistance(shown.distance_m) : "—", "distance"),
      ...figure("patrol.coverage", shown ? formatPercent(shown.coverage, 0) : "—", "coverage"),
      ...figure("patrol.outside", shown ? formatDuration(shown.outside_grid_s * SECOND_MS) : "—",
        "outside"),
      ...figure("patrol.points", shown ? String(shown.points) : "—", "points"),
    );
    const armed = running && Date.now() <= armedUntil;
    const extraStart = street && !windowAt(now, street);
    els.button.textContent = t(!running ? (extraStart ? "patrol.start_extra" : "patrol.start")
      : armed ? "patrol.confirm_end" : "patrol.end");
    els.button.dataset.action = running ? "end" : "start";
    els.button.classList.toggle("danger", running);
    els.button.classList.toggle("armed", armed);
    renderLocation();
  }

  function renderToday() {
    els.today.replaceChildren(...today.slice().reverse().map((p) => h("li", {
      dataset: { patrol: p.id, status: p.status, kind: p.kind || "window" } },
    h("span", { class: "status-dot", dataset: { status: p.status } }),
    h("span", { class: "grow" }, `${patrolName(p)} · ${label("patrol.status.", p.status)}`,
      p.without_location ? ` · ${t("patrol.without_location")}` : ""),
    h("span", { class: "muted" }, p.status === "missed" ? ""
      : `${formatDistance(p.distance_m)} · ${formatPercent(p.coverage, 0)}`))));
    if (unsent()) {
      els.today.prepend(h("li", { dataset: { patrol: "unsent", status: IN_PROGRESS,
        kind: extraNow() ? EXTRA : "window" } },
      h("span", { class: "status-dot", dataset: { status: IN_PROGRESS } }),
      h("span", { class: "grow" }, `${extraNow() ? t("patrol.extra") : t("patrol.on_phone")} · `
        + label("patrol.status.", IN_PROGRESS)),
      h("span", { class: "muted" }, t("patrol.not_sent"))));
    }
    if (!today.length && !unsent()) {
      els.today.append(h("li", { class: "muted" }, t("patrol.none_today")));
    }
  }

  function linkState(s) {
    if (!s.online) return "offline";
    return s.link === "open" ? "live" : "connecting";
  }

  function renderTracking() {
    const s = tracker.status();
    const link = linkState(s);
    const locating = locatingNow();
    const held = track.held;
    const geoText = s.geo === "ok" && s.lastFix
      ? t(locating ? "tracking.geo_ok" : "tracking.geo_stale", {
        acc: Math.round(s.lastFix.acc ?? 0), at: formatClock(s.lastFix.ts) })
      : t(`tracking.geo_${s.geo}`, { seconds: Math.round(tracker.firstFixMs / SECOND_MS) });
    Object.assign(els.tracking.dataset, { geo: s.geo, link, locating: String(locating),
      asks: String(s.asks), points: String(held.points ?? ""),
      taken: String(s.taken), queued: String(s.queued), delivered: String(s.delivered) });
    els.tracking.replaceChildren(...[
      h("p", { class: "tracking-line", dataset: { geo: locating ? "ok" : s.geo } },
        h("span", { class: "dot" }), geoText),
      h("p", { class: "tracking-line", dataset: { link: locating ? link : `${link}-no-fix` } },
        h("span", { class: "dot" }), t(`tracking.link_${link}${locating ? "" : "_no_fix"}`)),
      s.queued ? h("p", { class: "tracking-line queued" }, h("span", { class: "dot" }),
        t("tracking.queued", { n: s.queued })) : null,
      locating || s.geo === "waiting" ? null : h("button", { type: "button", class: "secondary",
        id: "tracking-ask-again", onclick: () => tracker.askAgain() }, t("patrol.ask_again")),
      h("p", { class: "muted" }, t("tracking.counts", { taken: s.taken, delivered: s.delivered,
        points: held.points ?? "—" })),
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

  window.addEventListener("online", () => sync());

  return {
    start() {
      load();
      refreshTimer = setInterval(() => {
        refresh();
        if (ops.length && navigator.onLine) sync();
      }, REFRESH_MS);
      setInterval(() => {
        if (ops.length && navigator.onLine && !syncing) sync();
      }, SYNC_RETRY_MS);
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
      renderLocation();
      if (status.delivered !== lastDelivered) {
        lastDelivered = status.delivered;
        refreshSoon();
      }
    },
    /** The phone socket is back: send what was tapped meanwhile. */
    linkUp: () => sync(),
    alertsChanged: () => alerts.renderList(els.alerts),
  };
}
