// The live stream of the command screen (WS /ws/screen): a snapshot, then deltas with a
// growing seq. It resumes with since=<last seq seen> after a drop; a `resync` is followed
// by a fresh snapshot that replaces everything.

import { LiveSocket } from "../common/ws.js";

const DELTAS = new Set(["positions", "case", "alert", "figures"]);

/**
 * handlers: {snapshot(msg), positions(msg), case(msg), alert(msg), figures(msg), error(msg)};
 * filter: {station, department} from the page's address (optional), and the street a
 * district user drilled down to.
 */
export function createStream({ token, filter = {}, handlers, onState, onFailure,
                               onSeq = () => {} }) {
  let lastSeq = null;

  function url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams();
    if (lastSeq !== null) params.set("since", String(lastSeq));
    for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
    const query = params.toString();
    return `${scheme}//${location.host}/ws/screen${query ? `?${query}` : ""}`;
  }

  function onMessage(message) {
    if (!message || typeof message !== "object") return;
    if (message.type === "snapshot") {
      if (Number.isFinite(message.seq)) lastSeq = message.seq;
      handlers.snapshot(message);
      onSeq(lastSeq);
      return;
    }
    if (message.type === "error") {
      handlers.error?.(message);
      return;
    }
    if (!DELTAS.has(message.type)) return; // resync (a snapshot follows), pong, new kinds
    if (Number.isFinite(message.seq)) {
      if (lastSeq !== null && message.seq <= lastSeq) return; // already seen
      lastSeq = message.seq;
    }
    handlers[message.type](message);
    onSeq(lastSeq);
  }

  const auth = () => ({ type: "auth", token: token() });
  const socket = new LiveSocket({ url, onMessage, onState, onFailure, auth });
  return {
    start: () => socket.start(),
    stop: () => socket.stop(),
    lastSeq: () => lastSeq,
  };
}
