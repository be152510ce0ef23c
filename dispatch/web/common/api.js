// The HTTP API client: JSON in and out, the bearer token on every call, the contract's error
// shape turned into ApiError (with every field the server sent, for texts that name them),
// uploads with byte progress, and a session (token + user) kept in localStorage.

const JSON_TYPE = "application/json";
const HTTP_UNAUTHORIZED = 401;

export class ApiError extends Error {
  /** details: the whole error object of the body (code, message, field and any extra). */
  constructor(status, code, message, field = null, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.details = details || {};
  }
}

/** The network failed (no answer at all): status 0. */
const NETWORK = "network";
const TIMEOUT = "timeout";

/** The stored session ({token, user, expires}) under ``key``, or null. */
export function loadSession(key) {
  try {
    const session = JSON.parse(localStorage.getItem(key) || "null");
    return session && session.token ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(key, session) {
  localStorage.setItem(key, JSON.stringify(session));
}

export function clearSession(key) {
  localStorage.removeItem(key);
}

function errorFromBody(status, statusText, body) {
  const err = body && body.error && typeof body.error === "object" ? body.error : {};
  return new ApiError(status, err.code || "http_error",
    err.message || statusText || String(status), err.field || null, err);
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's page): keep the status only
  }
  return errorFromBody(response.status, response.statusText, body);
}

/**
 * A client for one origin. ``getToken()`` gives the current token (or null);
 * ``onUnauthorized(error)`` is called when the server refuses it (401).
 */
export function createApi({ getToken = () => null, onUnauthorized = () => {} } = {}) {
  async function send(method, path, body, { timeoutMs = 0 } = {}) {
    const headers = { Accept: JSON_TYPE };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers };
    const timer = timeoutMs > 0 ? new AbortController() : null;
    if (timer) {
      init.signal = timer.signal;
      setTimeout(() => timer.abort(), timeoutMs);
    }
    if (body instanceof FormData) {
      init.body = body; // the browser sets the multipart type and boundary
    } else if (body !== undefined) {
      headers["Content-Type"] = JSON_TYPE;
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (exc) {
      if (timer && timer.signal.aborted) throw new ApiError(0, TIMEOUT, "no answer in time");
      throw new ApiError(0, NETWORK, exc.message || "network error");
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === HTTP_UNAUTHORIZED && token) onUnauthorized(error);
      throw error;
    }
    return response;
  }

  /**
   * A multipart upload through XMLHttpRequest, whose upload events tell the bytes sent:
   * onProgress(loaded, total) as they go; the JSON answer, or an ApiError.
   */
  function upload(path, formData, { onProgress = () => {} } = {}) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", path);
      xhr.setRequestHeader("Accept", JSON_TYPE);
      const token = getToken();
      if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
      xhr.responseType = "text";
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total);
      });
      xhr.addEventListener("error", () => reject(new ApiError(0, NETWORK, "network error")));
      xhr.addEventListener("abort", () => reject(new ApiError(0, NETWORK, "upload aborted")));
      xhr.addEventListener("timeout", () => reject(new ApiError(0, TIMEOUT, "no answer in time")));
      xhr.addEventListener("load", () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText || "null");
        } catch {
          // not JSON (a proxy's page)
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(body);
          return;
        }
        const error = errorFromBody(xhr.status, xhr.statusText, body);
        if (xhr.status === HTTP_UNAUTHORIZED && token) onUnauthorized(error);
        reject(error);
      });
      xhr.send(formData);
    });
  }

  return {
    /** GET as JSON; timeoutMs: give up (ApiError "timeout") when no answer comes by then. */
    async get(path, { timeoutMs = 0 } = {}) {
      return (await send("GET", path, undefined, { timeoutMs })).json();
    },
    async post(path, body = {}) {
      return (await send("POST", path, body)).json();
    },
    /** A multipart upload (e.g. a photo in the field ``file``); the JSON answer. */
    async postForm(path, formData) {
      return (await send("POST", path, formData)).json();
    },
    upload,
    /** A protected file (a photo) as an object URL; revoke it with URL.revokeObjectURL. */
    async blobUrl(path) {
      return URL.createObjectURL(await (await send("GET", path)).blob());
    },
    login(username, password) {
      return this.post("/api/v1/login", { username, password });
    },
    logout() {
      return this.post("/api/v1/logout");
    },
  };
}
