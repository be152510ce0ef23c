// The HTTP API client: JSON in and out, the bearer token on every call, the contract's error
// shape turned into ApiError, and a session (token + user) kept in localStorage.

const JSON_TYPE = "application/json";
const HTTP_UNAUTHORIZED = 401;

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

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

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's page): keep the status only
  }
  const err = body && body.error ? body.error : {};
  return new ApiError(response.status, err.code || "http_error",
    err.message || response.statusText || String(response.status), err.field || null);
}

/**
 * A client for one origin. ``getToken()`` gives the current token (or null);
 * ``onUnauthorized(error)`` is called when the server refuses it (401).
 */
export function createApi({ getToken = () => null, onUnauthorized = () => {} } = {}) {
  async function send(method, path, body) {
    const headers = { Accept: JSON_TYPE };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers };
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
      throw new ApiError(0, "network", exc.message || "network error");
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === HTTP_UNAUTHORIZED && token) onUnauthorized(error);
      throw error;
    }
    return response;
  }

  return {
    async get(path) {
      return (await send("GET", path)).json();
    },
    async post(path, body = {}) {
      return (await send("POST", path, body)).json();
    },
    /** A multipart upload (e.g. a photo in the field ``file``); the JSON answer. */
    async postForm(path, formData) {
      return (await send("POST", path, formData)).json();
    },
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
