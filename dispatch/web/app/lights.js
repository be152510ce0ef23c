// A case's time light (green / yellow / red) and the time left until its deadline.

import { formatTimeLeft } from "../common/format.js";
import { t } from "../common/i18n.js";

export const LIGHTS = Object.freeze(["red", "yellow", "green"]);
const NO_LIGHT = "none";
/** The clock is paused (挂账): no countdown. */
const PAUSED_STATES = new Set(["suspended"]);
/** The states in which the time limit runs (the light follows the clock). */
const RUNNING_STATES = new Set(["reported", "dispatched", "accepted", "triage", "reopened"]);
/** Finished: no countdown either. */
export const CLOSED_STATES = new Set(["closed", "cancelled", "duplicate"]);

/** The case's light: the server's when it says, else from its deadline and yellow time. */
export function lightOf(c, now = Date.now()) {
  if (CLOSED_STATES.has(c.state)) return NO_LIGHT;
  const running = RUNNING_STATES.has(c.state) && Number.isFinite(c.deadline);
  if (LIGHTS.includes(c.light) && !running) return c.light;
  // the server's light is as of its message: a running clock moves on by itself
  if (running && now >= c.deadline) return "red";
  if (running && Number.isFinite(c.yellow_at) && now >= c.yellow_at && c.light !== "red") {
    return "yellow";
  }
  if (LIGHTS.includes(c.light)) return c.light;
  if (!Number.isFinite(c.deadline)) return NO_LIGHT;
  if (now >= c.deadline) return "red";
  if (Number.isFinite(c.yellow_at) && now >= c.yellow_at) return "yellow";
  return "green";
}

export function timeLeftText(c, now = Date.now()) {
  if (PAUSED_STATES.has(c.state)) return t("time.paused");
  // a resolved case waits for verification: its clock is stopped
  if (!RUNNING_STATES.has(c.state) || !Number.isFinite(c.deadline)) return t("time.none");
  return formatTimeLeft(c.deadline - now);
}
