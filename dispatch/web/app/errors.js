// What a failure means to the person holding the phone, in their language: every error the
// server sends has a code, and each code the app knows has a text ("error.code.<code>",
// filled with what the server named: the case, the limit); an unknown code gets a plain
// fallback that still names the code for a call to the centre. The server's own English
// message is never shown.

import { has, t } from "../common/i18n.js";

const MB = 1024 * 1024;
/** Answers a retry may fix: the item waits and goes again (no network, server busy, sign-in). */
const HTTP_UNAUTHORIZED = 401;
const HTTP_TOO_MANY = 429;
const HTTP_SERVER = 500;

/** Whether ``error`` may pass by itself (keep the item and try again later). */
export function transient(error) {
  return !error || error.status === 0 || error.status >= HTTP_SERVER
    || error.status === HTTP_TOO_MANY || error.status === HTTP_UNAUTHORIZED;
}

/** What a text may name: the server's extra fields, sizes in MB, the photo's number. */
function vars(error) {
  const d = error.details || {};
  const out = { ...d, status: error.status, code: error.code || "" };
  if (Number.isFinite(d.limit_bytes)) out.limit_mb = Math.floor(d.limit_bytes / MB);
  const photo = /^media\.(\d+)$/.exec(error.field || "");
  if (photo) out.photo = Number(photo[1]) + 1;
  return out;
}

/** The index of the photo an error is about (field ``media.N``), or -1. */
export function photoIndex(error) {
  const found = /^media\.(\d+)$/.exec((error && error.field) || "");
  return found ? Number(found[1]) : -1;
}

/** A failure as a short text for people (never the server's English message). */
export function errorText(error) {
  if (!error) return "";
  if (error.status === 0) return t(error.code === "timeout" ? "error.timeout" : "error.network");
  const key = `error.code.${error.code}`;
  if (error.code && has(key)) return t(key, vars(error));
  return t("error.unknown", vars(error));
}

/** A stored failure ({status, code, field, details}) back as an error for errorText (a
 * record kept by an older version holds only the server's text: it is not shown). */
export function storedError(failure) {
  if (!failure) return null;
  if (typeof failure === "string") return { status: -1, code: "", field: null, details: {} };
  return failure;
}

/** What to keep of an error in the outbox (plain data, re-read in any language later). */
export function keepError(error) {
  return { status: error.status, code: error.code, field: error.field || null,
    details: error.details || {} };
}

/** errorText of a stored failure (an old record may hold a text already). */
export function failureText(failure) {
  const error = storedError(failure);
  return error ? errorText(error) : "";
}
