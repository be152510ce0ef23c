// The SOS button of a grid worker's phone: held down for a moment (so a pocket does not
// press it), it sends {"type":"sos"} on the phone socket with the last fix and the battery,
// and keeps sending until the server answers that the alert is raised (the socket may be
// reconnecting in a stairwell). The command centre and the worker's station see it at once.

import { h } from "../common/dom.js";
import { addTexts, onLangChange, t } from "../common/i18n.js";

const HOLD_MS = 1200;
const RETRY_MS = 2000;
const SENT_SHOWN_MS = 8000;

addTexts({
  zh: { "sos.button": "SOS 紧急求助", "sos.hold": "按住不放…", "sos.sending": "正在发送…",
    "sos.sent": "已发出，指挥中心已收到", "sos.hint": "按住 1 秒发出紧急求助" },
  en: { "sos.button": "SOS", "sos.hold": "Keep holding…", "sos.sending": "Sending…",
    "sos.sent": "Sent: the command centre has it", "sos.hint": "Hold for a second to call for help" },
});

/** socket: the phone socket; tracker: the position tracker (for the last fix). */
export function createSosButton({ socket, tracker }) {
  let battery = null;
  if (navigator.getBattery) navigator.getBattery().then((b) => { battery = b; }).catch(() => {});
  const label = h("span", { class: "sos-label" }, t("sos.button"));
  const button = h("button", { type: "button", id: "sos-button", class: "sos-button",
    title: t("sos.hint"), "aria-label": t("sos.hint") }, label);
  document.body.append(button);
  let holdTimer = null;
  let retry = null;
  let pending = null;
  let seq = 0;

  function show(key) {
    label.textContent = t(key);
    button.dataset.state = key.replace("sos.", "");
  }

  function message() {
    const status = tracker ? tracker.status() : {};
    const fix = status.lastFix;
    const out = { type: "sos", seq, ts: Date.now() };
    if (fix) Object.assign(out, { lat: fix.lat, lon: fix.lon, acc: fix.acc ?? undefined });
    if (battery && typeof battery.level === "number") out.batt = Math.round(battery.level * 100);
    return out;
  }

  function trySend() {
    if (pending && socket.send(pending)) return;
  }

  function fire() {
    seq += 1;
    pending = message();
    show("sos.sending");
    trySend();
    clearInterval(retry);
    retry = setInterval(trySend, RETRY_MS);
  }

  socket.on("sos.raised", (reply) => {
    if (!pending || (reply.ref !== undefined && reply.ref !== pending.seq)) return;
    pending = null;
    clearInterval(retry);
    show("sos.sent");
    setTimeout(() => { if (!pending) show("sos.button"); }, SENT_SHOWN_MS);
  });

  function start(event) {
    event.preventDefault();
    show("sos.hold");
    holdTimer = setTimeout(() => { holdTimer = null; fire(); }, HOLD_MS);
  }

  function cancel() {
    if (holdTimer) {
      clearTimeout(holdTimer);
      holdTimer = null;
      show(pending ? "sos.sending" : "sos.button");
    }
  }

  button.addEventListener("pointerdown", start);
  button.addEventListener("pointerup", cancel);
  button.addEventListener("pointerleave", cancel);
  button.addEventListener("pointercancel", cancel);
  button.addEventListener("contextmenu", (event) => event.preventDefault());
  onLangChange(() => show(button.dataset.state ? `sos.${button.dataset.state}` : "sos.button"));
  show("sos.button");
  return { fire, element: button };
}
