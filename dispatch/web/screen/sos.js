// SOS on the command screen: a banner over everything for each open SOS, with the worker,
// where they are and their phone's battery, and an alarm that repeats until someone
// acknowledges it. Browsers start audio only after a tap on the page: the sign-in tap does.

import { h } from "../common/dom.js";
import { formatClock } from "../common/format.js";
import { addTexts, t } from "../common/i18n.js";

const SOS = "sos";
const ALARM_EVERY_MS = 2500;
const TONES = [[988, 0.22], [740, 0.22], [988, 0.22], [740, 0.32]];
const GAIN = 0.3;

addTexts({
  zh: {
    "sos.title": "紧急求助 SOS",
    "sos.where": "位置 {lat}, {lon}",
    "sos.nowhere": "位置未知",
    "sos.battery": "电量 {batt}%",
    "sos.count": "第 {count} 次",
    "sos.ack": "确认已处置",
    "sos.show": "在地图上查看",
    "sos.ack_failed": "确认失败：{message}",
  },
  en: {
    "sos.title": "SOS",
    "sos.where": "at {lat}, {lon}",
    "sos.nowhere": "position unknown",
    "sos.battery": "battery {batt}%",
    "sos.count": "pressed {count} times",
    "sos.ack": "Acknowledge",
    "sos.show": "Show on the map",
    "sos.ack_failed": "Could not acknowledge: {message}",
  },
});

let audio = null;

function context() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  if (!audio) audio = new Context();
  return audio;
}

function unlock() {
  const ctx = context();
  if (ctx && ctx.state === "suspended") ctx.resume().catch(() => {});
}

function ring() {
  const ctx = context();
  if (!ctx) return;
  let at = ctx.currentTime;
  for (const [hz, seconds] of TONES) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "square";
    osc.frequency.value = hz;
    gain.gain.value = GAIN;
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + seconds);
    at += seconds;
  }
}

/** The SOS banners: ``update(alert)`` with each alert the screen gets (flat, normalised). */
export function createSos({ api, canAck, names, onWorker = () => {} }) {
  const open = new Map();
  const banner = h("section", { id: "sos-banner", class: "sos-banner", role: "alertdialog",
    hidden: true });
  document.body.append(banner);
  window.addEventListener("pointerdown", unlock, true);
  window.addEventListener("keydown", unlock, true);
  let timer = null;

  function alarm() {
    if (open.size && !timer) {
      ring();
      timer = setInterval(ring, ALARM_EVERY_MS);
    } else if (!open.size && timer) {
      clearInterval(timer);
      timer = null;
    }
    banner.dataset.ringing = String(Boolean(timer));
  }

  async function ack(alert, button) {
    button.disabled = true;
    try {
      await api.post(`/api/v1/alerts/${alert.id}/ack`, { note: "" });
      open.delete(String(alert.id));
      render();
    } catch (exc) {
      button.disabled = false;
      button.title = t("sos.ack_failed", { message: exc.message || "" });
    }
  }

  function card(a) {
    const grid = a.grid ? `${a.grid} ${names.gridName(a.grid)}` : "";
    const known = typeof a.lat === "number" && typeof a.lon === "number";
    const facts = [
      known ? t("sos.where", { lat: a.lat.toFixed(5), lon: a.lon.toFixed(5) })
        : t("sos.nowhere"),
      typeof a.batt === "number" ? t("sos.battery", { batt: Math.round(a.batt) }) : "",
      a.count > 1 ? t("sos.count", { count: a.count }) : "",
    ].filter(Boolean).join(" · ");
    const button = h("button", { type: "button", class: "sos-ack" }, t("sos.ack"));
    button.addEventListener("click", () => ack(a, button));
    const show = h("button", { type: "button", class: "sos-show" }, t("sos.show"));
    show.addEventListener("click", () => onWorker(a.worker));
    return h("article", { class: "sos-card", dataset: { alert: String(a.id),
      worker: a.worker || "" } },
    h("h2", null, t("sos.title")),
    h("p", { class: "sos-who" }, [a.worker, grid].filter(Boolean).join(" · ")),
    h("p", { class: "sos-facts" }, facts),
    h("time", null, formatClock(Number(a.ts))),
    h("div", { class: "sos-actions" }, show, canAck() ? button : null));
  }

  function render() {
    banner.replaceChildren(...[...open.values()].map(card));
    banner.hidden = open.size === 0;
    alarm();
  }

  return {
    /** An alert from the snapshot or a delta: an open SOS shows, any other state goes. */
    update(alert) {
      if (!alert || alert.kind !== SOS || alert.id === undefined) return;
      const key = String(alert.id);
      if (alert.state === "open") open.set(key, alert);
      else open.delete(key);
      render();
    },
    replace(list) {
      open.clear();
      for (const a of list) if (a && a.kind === SOS && a.state === "open") open.set(String(a.id), a);
      render();
    },
    render,
  };
}
