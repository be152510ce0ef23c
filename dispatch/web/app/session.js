// The signed-in user of the phone: the token kept in localStorage until logout (or until the
// server refuses it), and the API client that sends it.

import { clearSession, createApi, loadSession, saveSession } from "../common/api.js";

export const SESSION_KEY = "dispatch.app.session";
const NOTICE_KEY = "dispatch.app.notice";

/** The roles this app serves, and what each sees: a grid worker and a grid assistant
 * (网格辅助员) patrol and report in their grid; an informant (信息员, 楼栋长) only reports
 * in their grid and follows their own reports: no tracking, no patrol. */
export const WORKER_ROLES = new Set(["grid_worker", "grid_assistant"]);
export const INFORMANT_ROLE = "informant";
export const MEMBER_ROLES = new Set(["disposal_member", "dept_lead"]);
export const LEAD_ROLE = "dept_lead";
/** The only role with a tracking app set-up of its own (OwnTracks, OsmAnd). */
export const TRACKING_SETUP_ROLE = "grid_worker";

let session = loadSession(SESSION_KEY);
if (session && Number.isFinite(session.expires) && session.expires <= Date.now()) {
  clearSession(SESSION_KEY);
  session = null;
}

export const api = createApi({
  getToken: () => (session ? session.token : null),
  onUnauthorized: () => signOut("login.expired"),
});

export function user() {
  return session ? session.user : null;
}

export function token() {
  return session ? session.token : null;
}

/** Whether this app serves ``role`` at all. */
export function servesRole(role) {
  return WORKER_ROLES.has(role) || MEMBER_ROLES.has(role) || role === INFORMANT_ROLE;
}

export async function signIn(username, password) {
  const result = await api.login(username, password);
  if (!servesRole(result.user.role)) {
    // not ours to keep: revoke the token it was given
    fetch("/api/v1/logout", { method: "POST",
      headers: { Authorization: `Bearer ${result.token}` } }).catch(() => {});
    return { refused: result.user };
  }
  session = { token: result.token, expires: result.expires, user: result.user };
  saveSession(SESSION_KEY, session);
  return { user: result.user };
}

/** Forget the session and start over at the sign-in form (with a notice to show there). */
export function signOut(noticeKey = null) {
  clearSession(SESSION_KEY);
  session = null;
  if (noticeKey) sessionStorage.setItem(NOTICE_KEY, noticeKey);
  location.reload();
}

/** The notice left by the last sign-out (shown once). */
export function takeNotice() {
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}

/** Revoke the token on the server (best effort), then sign out here. */
export async function logout() {
  await api.logout().catch(() => {});
  signOut();
}
