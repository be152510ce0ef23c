// The phone's position while the page is open: every GPS fix is first kept in the outbox
// (IndexedDB), then sent on the phone socket as a ping with its seq; the server's ack (the
// highest seq stored) removes what it covers. Fixes taken with no connection, or sent but never
// acknowledged, go up later in batches through POST /api/v1/locations. The server stores a
// fix once per (worker, ts), so sending one twice never counts it twice; a fix leaves the
// outbox only once the server has it.

import { FIXES } from "../outbox.js";

const WATCH_OPTIONS = { enableHighAccuracy: true, maximumAge: 5000, timeout: 60000 };
/**
 * No first fix this long after tracking starts (or after asking again): the phone says so
 * (geo "no_fix") instead of waiting silently, and a patrol does not claim positions go up.
 */
export const FIRST_FIX_MS = 30000;
/** Asking again: one position request, this patient. */
const ASK_OPTIONS = { enableHighAccuracy: true, maximumAge: 0, timeout: FIRST_FIX_MS };
/** The most fixes in one late upload (the server takes up to 1000). */
const UPLOAD_BATCH = 500;
/** A fix sent on the socket and not acknowledged within this is taken as lost in transit. */
const ACK_TIMEOUT_MS = 20000;
const CHECK_MS = 5000;
/** Fixes still waiting are tried again over HTTP this often. */
const RETRY_MS = 15000;
/** A fix this close to the last kept one, and this soon after it, adds nothing: skipped. */
const SAME_PLACE_M = 2;
const SAME_PLACE_MS = 30000;
/**
 * Phones report a position only when it changes: standing still, one is asked for this often,
 * so that the server never takes a worker waiting at a crossing for a lost signal.
 */
const STILL_POLL_MS = 60000;
/** A GPS error shortly after a good fix is a hiccup, not a lost signal. */
const FIX_FRESH_MS = 60000;
const PERMISSION_DENIED = 1;
const EARTH_RADIUS_M = 6371008.8;
const DEG = Math.PI / 180;
const PERCENT = 100;
/** HTTP answers after which a batch is given up: the server will never take it. */
const REFUSED = new Set([400, 403, 413, 422]);
const RATE_LIMITED = "rate_limited";

function metresBetween(a, b) {
  const dLat = (b.lat - a.lat) * DEG;
  const dLon = (b.lon - a.lon) * DEG;
  const h = Math.sin(dLat / 2) ** 2
    + Math.cos(a.lat * DEG) * Math.cos(b.lat * DEG) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
}

/** The wire form of a fix (only the fields it has). */
function toPing(fix) {
  const ping = { seq: fix.seq, ts: fix.ts, lat: fix.lat, lon: fix.lon };
  for (const key of ["acc", "speed", "heading", "batt"]) {
    if (Number.isFinite(fix[key])) ping[key] = fix[key];
  }
  return ping;
}

/**
 * api: the HTTP client; socket: the phone socket; outbox: the user's outbox;
 * onChange(status) after anything the page shows changed.
 */
export function createTracker({ api, socket, outbox, onChange = () => {} }) {
  const queue = new Map(); // seq -> fix, as in the outbox
  const inflight = new Map(); // seq -> when it was sent on the current connection
  const status = {
    geo: "waiting", // waiting | ok | searching | no_fix | denied | unsupported | insecure
    error: "",
    lastFix: null,
    lastKept: null,
    taken: 0,
    delivered: 0,
    refused: 0,
    queued: 0,
    online: navigator.onLine,
    link: "connecting", // the phone socket's state
    uploading: false,
    asks: 0, // how often the phone was asked for a position again
    httpDelivered: 0, // fixes that went up late (HTTP)
  };
  let lateOldest = null; // the oldest fix gone up late since takeLate() was last called
  let watchId = null;
  let battery = null;
  let flushing = null;
  let flushAgain = false;
  let timer = null;
  let loaded = null;
  let retryAt = 0;
  let firstFixTimer = null;

  const changed = () => {
    status.queued = queue.size;
    onChange(status);
  };

  function linkUp() {
    return navigator.onLine && socket.isOpen();
  }

  async function forget(seqs, { refused = false } = {}) {
    const known = seqs.filter((seq) => queue.has(seq));
    if (!known.length) return;
    for (const seq of known) {
      queue.delete(seq);
      inflight.delete(seq);
    }
    if (refused) status.refused += known.length;
    else status.delivered += known.length;
    try {
      await outbox.remove(FIXES, known);
    } catch (error) {
      console.warn("tracker: could not clear delivered fixes", error);
    }
    changed();
  }

  function send(fix) {
    if (!linkUp()) return;
    if (socket.send({ type: "ping", ...toPing(fix) })) inflight.set(fix.seq, Date.now());
  }

  function batteryLevel() {
    return battery && Number.isFinite(battery.level) ? Math.round(battery.level * PERCENT) : null;
  }

  async function onPosition(position) {
    const c = position.coords;
    const fix = {
      ts: Math.round(position.timestamp || Date.now()),
      lat: c.latitude,
      lon: c.longitude,
      acc: Number.isFinite(c.accuracy) ? Math.round(c.accuracy * 10) / 10 : null,
      speed: Number.isFinite(c.speed) ? c.speed : null,
      heading: Number.isFinite(c.heading) ? c.heading : null,
      batt: batteryLevel(),
    };
    status.geo = "ok";
    status.error = "";
    status.lastFix = fix;
    clearTimeout(firstFixTimer);
    const last = status.lastKept;
    if (last && (fix.ts <= last.ts || (fix.ts - last.ts < SAME_PLACE_MS
        && metresBetween(last, fix) < SAME_PLACE_M))) {
      changed();
      return;
    }
    status.lastKept = fix;
    status.taken += 1;
    await loaded;
    let seq;
    try {
      seq = await outbox.add(FIXES, fix);
    } catch (error) {
      console.warn("tracker: could not keep a fix", error);
      return;
    }
    fix.seq = seq;
    queue.set(seq, fix);
    changed();
    send(fix);
  }

  function onPositionError(error) {
    if (error.code === PERMISSION_DENIED) {
      status.geo = "denied";
    } else if (!status.lastFix || Date.now() - status.lastFix.ts > FIX_FRESH_MS) {
      status.geo = "searching";
    }
    status.error = error.message || "";
    changed();
  }

  function onAck(message) {
    if (!Number.isInteger(message.seq)) return;
    forget([...inflight.keys()].filter((seq) => seq <= message.seq));
  }

  function onError(message) {
    if (!Number.isInteger(message.ref) || !inflight.has(message.ref)) return;
    if (message.code === RATE_LIMITED) {
      inflight.delete(message.ref); // still queued: it goes up with the next late upload
      return;
    }
    console.warn("tracker: fix refused", message.code, message.message);
    forget([message.ref], { refused: true });
  }

  /** Upload every fix not in flight on the socket, in batches, until none is left. */
  function flush() {
    if (flushing) {
      flushAgain = true;
      return flushing;
    }
    flushing = (async () => {
      await loaded;
      status.uploading = true;
      changed();
      try {
        do {
          flushAgain = false;
          while (navigator.onLine) {
            const batch = [...queue.values()].filter((fix) => !inflight.has(fix.seq))
              .slice(0, UPLOAD_BATCH);
            if (!batch.length) break;
            try {
              await api.post("/api/v1/locations", { items: batch.map(toPing) });
            } catch (error) {
              if (!REFUSED.has(error.status)) { // no network, server busy: later
                retryAt = Date.now() + RETRY_MS;
                return;
              }
              console.warn("tracker: a batch of fixes was refused", error.message);
              await forget(batch.map((fix) => fix.seq), { refused: true });
              continue;
            }
            status.httpDelivered += batch.length;
            for (const fix of batch) if (lateOldest === null || fix.ts < lateOldest) lateOldest = fix.ts;
            await forget(batch.map((fix) => fix.seq));
          }
        } while (flushAgain);
      } finally {
        status.uploading = false;
        flushing = null;
        changed();
      }
    })();
    return flushing;
  }

  /** Standing still: ask for a fresh fix (it is kept like any other, SAME_PLACE_MS apart). */
  function pollIfStill() {
    const last = status.lastFix;
    if (watchId === null || status.geo === "denied" || !last) return;
    if (Date.now() - last.ts < STILL_POLL_MS) return;
    navigator.geolocation.getCurrentPosition(onPosition, () => {}, WATCH_OPTIONS);
  }

  function check() {
    const now = Date.now();
    const stale = [...inflight.values()].some((sentAt) => now - sentAt > ACK_TIMEOUT_MS);
    if (stale) {
      inflight.clear(); // the connection is dead without knowing it: start over
      socket.restart();
    }
  }

  function onOnline() {
    status.online = true;
    changed();
    socket.restart(); // the old connection may be gone without a word
    flush();
  }

  function onOffline() {
    status.online = false;
    inflight.clear();
    changed();
  }

  /** Without a fix by FIRST_FIX_MS from now, say so. */
  function awaitFirstFix() {
    clearTimeout(firstFixTimer);
    firstFixTimer = setTimeout(() => {
      if (status.geo === "waiting" || (status.geo === "searching" && !status.lastFix)) {
        status.geo = "no_fix";
        changed();
      }
    }, FIRST_FIX_MS);
  }

  function watch() {
    if (!window.isSecureContext) {
      status.geo = "insecure";
      return;
    }
    if (!navigator.geolocation) {
      status.geo = "unsupported";
      return;
    }
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = navigator.geolocation.watchPosition(onPosition, onPositionError, WATCH_OPTIONS);
    awaitFirstFix();
  }

  /** Ask the phone for its position again (the browser asks for permission again if it may). */
  function askAgain() {
    status.asks += 1;
    if (status.geo !== "ok") {
      status.geo = "waiting";
      status.error = "";
    }
    changed();
    if (!window.isSecureContext || !navigator.geolocation) {
      watch();
      changed();
      return;
    }
    navigator.geolocation.getCurrentPosition(onPosition, onPositionError, ASK_OPTIONS);
    watch();
  }

  async function load() {
    try {
      for (const fix of await outbox.all(FIXES)) queue.set(fix.seq, fix);
    } catch (error) {
      console.warn("tracker: could not read the outbox", error);
    }
    changed();
  }

  return {
    status: () => status,
    /** The fixes not delivered yet, as [[lon, lat], ...] (for the map). */
    pendingPoints: () => [...queue.values()].map((fix) => [fix.lon, fix.lat]),
    start() {
      loaded = load();
      socket.on("ack", onAck);
      socket.on("error", onError);
      socket.onState((state) => {
        status.link = state;
        inflight.clear();
        if (state === "open") flush();
        changed();
      });
      window.addEventListener("online", onOnline);
      window.addEventListener("offline", onOffline);
      timer = setInterval(() => {
        check();
        pollIfStill();
        const waiting = queue.size > inflight.size;
        if (waiting && navigator.onLine && !flushing && Date.now() >= retryAt) flush();
      }, CHECK_MS);
      if (navigator.getBattery) {
        navigator.getBattery().then((b) => {
          battery = b;
        }).catch(() => {});
      }
      watch();
      loaded.then(() => flush());
      changed();
    },
    stop() {
      if (watchId !== null) navigator.geolocation.clearWatch(watchId);
      watchId = null;
      clearInterval(timer);
      clearTimeout(firstFixTimer);
      window.removeEventListener("online", onOnline);
      window.removeEventListener("offline", onOffline);
    },
    flush,
    askAgain,
    firstFixMs: FIRST_FIX_MS,
    /** The oldest fix that went up late since the last call (null: none): a page holding
     * the track up to some time fetches it whole again when this is older. */
    takeLate() {
      const oldest = lateOldest;
      lateOldest = null;
      return oldest;
    },
    /** The time of the oldest fix not delivered yet (null: none waits). */
    oldestWaiting() {
      let oldest = null;
      for (const fix of queue.values()) if (oldest === null || fix.ts < oldest) oldest = fix.ts;
      return oldest;
    },
    /** Whether positions are being taken now (a fix, and no error since). */
    locating: () => status.geo === "ok",
  };
}
