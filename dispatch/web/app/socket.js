// The app's live sockets: WS /ws/phone (a grid worker: fixes out; acks, alerts and tasks in)
// and WS /ws/team (a disposal member: job offers and updates in). Both reconnect by
// themselves; listeners subscribe by message type.

import { LiveSocket } from "../common/ws.js";

/** The phone socket's keep-alive: an empty batch of fixes, which the server answers with nothing. */
const PHONE_KEEPALIVE = () => ({ type: "pings", items: [] });

function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/**
 * path: "/ws/phone" or "/ws/team"; token(): the current token; onFailure(): after a drop
 * (e.g. to ask whether the token still holds).
 */
export function createSocket(path, { token, onFailure = () => {} }) {
  const listeners = new Map(); // type -> Set(fn); "*" hears every message
  const stateListeners = new Set();
  let state = { name: "connecting", info: {} };

  function emit(type, message) {
    for (const fn of listeners.get(type) || []) fn(message);
  }

  const socket = new LiveSocket({
    url: () => wsUrl(path),
    auth: () => ({ type: "auth", token: token() }),
    onMessage(message) {
      if (!message || typeof message.type !== "string") return;
      emit(message.type, message);
      emit("*", message);
    },
    onState(name, info = {}) {
      state = { name, info };
      for (const fn of stateListeners) fn(name, info);
    },
    onFailure,
    ...(path === "/ws/phone" ? { keepalive: PHONE_KEEPALIVE } : {}),
  });

  return {
    start: () => socket.start(),
    stop: () => socket.stop(),
    restart: () => socket.restart(),
    send: (message) => socket.send(message),
    isOpen: () => socket.isOpen(),
    state: () => state,
    /** fn(message) for each message of ``type`` ("*": all); returns an unsubscribe. */
    on(type, fn) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type).add(fn);
      return () => listeners.get(type).delete(fn);
    },
    onState(fn) {
      stateListeners.add(fn);
      return () => stateListeners.delete(fn);
    },
  };
}
