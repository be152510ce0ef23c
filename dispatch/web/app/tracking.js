// The tracking setup page: the server's public address, the device id and login, and a QR
// code per app (drawn by the server), from GET /api/v1/me/tracking.

import { createApi, loadSession } from "../common/api.js";
import { SESSION_KEY } from "./session.js";

const session = loadSession(SESSION_KEY);
const api = createApi({ getToken: () => (session ? session.token : null) });

function fill(selector, text) {
  for (const el of document.querySelectorAll(selector)) el.textContent = text;
}

function image(selector, src) {
  for (const el of document.querySelectorAll(selector)) el.src = src;
}

async function load() {
  if (!session || !session.user) {
    location.href = "/app";
    return;
  }
  fill(".username", session.user.username);
  const setup = await api.get("/api/v1/me/tracking");
  fill(".traccar-url", setup.traccar.url);
  fill(".device-id", setup.traccar.device_id);
  fill(".owntracks-url", setup.owntracks.url);
  fill(".username", setup.owntracks.username);
  image(".qr-traccar", setup.traccar.qr);
  image(".qr-owntracks", setup.owntracks.qr);
  for (const a of document.querySelectorAll(".owntracks-link")) a.href = setup.owntracks.config_url;
  for (const el of document.querySelectorAll(".setup-warning")) el.hidden = setup.reachable;
  document.body.dataset.ready = "true";
}

load().catch((exc) => {
  console.warn("tracking setup:", exc);
  document.body.dataset.ready = "error";
});
