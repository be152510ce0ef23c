// The app on the phone's home screen: registers the service worker (sw.js) that keeps every
// file of the app for a phone without signal, looks for a new version at every open (not
// left to the browser, which may put its own check off), whenever the network comes back
// and hourly, and says when one is ready: it runs at the next open, or now
// with one tap. The version that runs is shown in the menu.

const WORKER_URL = "/app/sw.js";
const SCOPE = "/app";
const UPDATE_CHECK_MS = 60 * 60 * 1000;
const ASK_TIMEOUT_MS = 2000;

/** onUpdated(): a new version took over while this page was open (its files are older). */
export function registerShell({ onUpdated = () => {} } = {}) {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (hadController) onUpdated(); // the first install is no update
  });
  navigator.serviceWorker.register(WORKER_URL, { scope: SCOPE, updateViaCache: "none" })
    .then((registration) => {
      const check = () => {
        if (navigator.onLine) registration.update().catch(() => {});
      };
      if (hadController) check(); // a first install has just fetched the newest
      window.addEventListener("online", check);
      setInterval(check, UPDATE_CHECK_MS);
    })
    .catch((error) => console.warn("offline: the app cannot be kept for use without signal",
      error));
}

/** The version of the app the service worker serves ({version, files}), or null. */
export function shellVersion() {
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!worker) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), ASK_TIMEOUT_MS);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data || null);
    };
    worker.postMessage({ type: "version" }, [channel.port2]);
  });
}
