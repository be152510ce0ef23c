// The district screen's live stream (WS /ws/district): a snapshot, then `escalation`s as
// they happen in any street and `figures` every few seconds. A `resync` is followed by a
// fresh snapshot; after a drop the socket reconnects and starts again with a snapshot.

import { LiveSocket } from "../common/ws.js";

const KINDS = new Set(["snapshot", "figures", "escalation", "error"]);

/** handlers: {snapshot(msg), figures(msg), escalation(msg), error(msg)}. */
export function createDistrictStream({ token, handlers, onState, onFailure }) {
  const url = () => `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}`
    + "/ws/district";
  const onMessage = (message) => {
    if (message && KINDS.has(message.type)) handlers[message.type](message);
  };
  const socket = new LiveSocket({ url, onMessage, onState, onFailure,
    auth: () => ({ type: "auth", token: token() }) });
  return { start: () => socket.start(), stop: () => socket.stop() };
}
