// GabaCare service worker (served from /sw.js; see gabacare/web/pwa.py). The app shell and the public
// pages a person has opened work without a connection; journal, account and API answers are never
// stored here.
"use strict";
const CACHE = "{{ cache_name }}";
const SHELL = {{ shell | safe }};
const PRIVATE = {{ private | safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("gabacare-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

function isPrivate(url) {
  return PRIVATE.some((prefix) => url.pathname.startsWith(prefix));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || isPrivate(url)) {
    return; // the network, as without a service worker
  }
  if (url.pathname.startsWith("/static/")) {
    // Static files: from the cache first (their names change with their content's version).
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    })));
    return;
  }
  if (request.mode === "navigate") {
    // Public pages: the network first (always current), the stored copy when offline, else /offline.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request).then((hit) => hit || caches.match("/offline"))));
  }
});
