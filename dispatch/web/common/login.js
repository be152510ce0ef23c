// The sign-in form both pages share: busy state, messages, and the server's refusals.
import { byId } from "./dom.js";
import { t } from "./i18n.js";

const HTTP_TOO_MANY = 429;

export function showLoginMessage(text) {
  const el = byId("login-message");
  el.textContent = text;
  el.hidden = !text;
}

/**
 * Wire the page's #login-form. ``attempt(username, password)`` signs in and returns null,
 * or the text to show when the user may not use this page; it throws the API's errors.
 */
export function bindLoginForm(attempt) {
  byId("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = byId("login-submit");
    submit.disabled = true;
    submit.textContent = t("login.busy");
    showLoginMessage("");
    try {
      const refusal = await attempt(byId("login-username").value.trim(),
        byId("login-password").value);
      if (refusal) showLoginMessage(refusal);
    } catch (error) {
      const key = error.code === "bad_credentials" ? "login.failed"
        : error.status === HTTP_TOO_MANY ? "login.rate_limited" : null;
      showLoginMessage(key ? t(key) : t("login.error", { message: error.message }));
    } finally {
      submit.disabled = false;
      submit.textContent = t("login.submit");
    }
  });
}
