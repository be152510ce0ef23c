// The field app's service worker: the app opens with no signal (in a stairwell, in a village)
// and goes on recording. The server writes SHELL_VERSION and SHELL_FILES above this line:
// every file of the app, and a version that changes with any of them.
//
// - install: every file of the shell is fetched past the browser's HTTP cache into a cache of
//   this version; one failure and this version is not installed (the old one stays whole).
// - activate: older versions' caches are deleted; this version takes over the open pages.
// - fetch: the page (/app) and the shell's files come from this version's cache, so a page is
//   always made of one version's files; everything else (the API, photos, sockets) goes to the
//   network untouched, with its own errors, so an upload's progress is the real one.
//
// A new version is fetched in the background when the app opens; the next open runs it.

/* global SHELL_VERSION, SHELL_FILES */
const CACHE_PREFIX = "dispatch-app-shell-";
const CACHE_NAME = CACHE_PREFIX + SHELL_VERSION;
const PAGE = "/app";
const SHELL = new Set(SHELL_FILES);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE_NAME);
    await cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: "no-cache" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

/** The shell's copy of ``path``; the network only if this version's cache lost it. */
async function fromShell(path) {
  const cache = await caches.open(CACHE_NAME);
  const hit = await cache.match(path);
  if (hit) return hit;
  const fresh = await fetch(path, { cache: "no-cache" });
  if (fresh.ok) await cache.put(path, fresh.clone());
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname.replace(/\/$/, "") || "/";
  if (request.mode === "navigate" && path === PAGE) {
    event.respondWith(fromShell(PAGE));
  } else if (SHELL.has(path)) {
    event.respondWith(fromShell(path));
  }
});

/** The page asks which version runs (shown in the menu, checked by the tests). */
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "version" && event.ports[0]) {
    event.ports[0].postMessage({ version: SHELL_VERSION, files: SHELL_FILES.length });
  }
});
