// GabaCare service worker (served from /sw.js; see gabacare/web/pwa.py). The app shell and the public
// pages a person has opened work without a connection. Of the journal pages only a patient's Today
// page and Log page (the forms) are stored (the last one fetched, in their own cache, dropped at
// sign-out); journal, account and API answers are otherwise never stored here.
"use strict";
const CACHE = "{{ cache_name }}";
const TODAY_CACHE = "{{ today_cache }}";
const SHELL = {{ shell | safe }};
const PRIVATE = {{ private | safe }};
const TODAY = /^\/patients\/(\d+)\/today$/;
// The Log page's forms work offline too (the offline queue keeps what is written); only its plain
// address is stored, never a "saved" answer (?saved=…), which shows one entry's triage.
const LOG = /^\/patients\/(\d+)\/log$/;
const SIGN_OUT = ["/account/sign-out", "/account/delete"];

// The offline queue's sender (GabaCareQueue.flush), for Background Sync while no page is open.
importScripts("/static/offline-queue.js");

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // A new release drops every older cache, the stored Today pages included.
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("gabacare-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

function isPrivate(url) {
  return PRIVATE.some((prefix) => url.pathname.startsWith(prefix));
}

function two(n) {
  return String(n).padStart(2, "0");
}

// The stored Today page, marked as a copy: the page has an empty, hidden placeholder for the mark.
function markedCopy(stored) {
  const at = new Date(Number(stored.headers.get("x-gabacare-saved-at")) || Date.now());
  const mark = `<p id="offline-copy" class="warning" role="status">Saved copy from ${two(at.getHours())}:${two(at.getMinutes())}`
    + " — you are offline. What you tap or save is kept on this phone and sent when the connection returns.</p>";
  return stored.text().then((html) => new Response(html.replace('<p id="offline-copy" hidden></p>', mark), {
    status: 200, headers: stored.headers,
  }));
}

function today(event, url, store) {
  const key = url.origin + url.pathname; // one copy per patient and page, whatever the query
  event.respondWith(fetch(event.request).then((response) => {
    if (!store) {
      return response;
    }
    if (response.ok && response.type === "basic" && !response.redirected) {
      const headers = new Headers(response.headers);
      headers.set("x-gabacare-saved-at", String(Date.now()));
      const copy = response.clone();
      event.waitUntil(copy.blob().then((body) => caches.open(TODAY_CACHE)
        .then((cache) => cache.put(key, new Response(body, { status: 200, headers })))));
    } else if (response.type === "opaqueredirect" || response.redirected || response.status === 404) {
      // Signed out, or no longer this account's patient: the copy goes.
      event.waitUntil(caches.open(TODAY_CACHE).then((cache) => cache.delete(key)));
    }
    return response;
  }).catch(() => caches.open(TODAY_CACHE)
    .then((cache) => cache.match(key))
    .then((hit) => (hit ? markedCopy(hit) : caches.match("/offline")))));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && SIGN_OUT.includes(url.pathname)) {
    // Signing out (or deleting the account) drops the stored Today pages; the sign-out answer also
    // carries Clear-Site-Data: "cache".
    event.waitUntil(caches.delete(TODAY_CACHE));
    return;
  }
  if (request.method !== "GET") {
    return; // the network, as without a service worker
  }
  if (request.mode === "navigate" && TODAY.test(url.pathname)) {
    today(event, url, true);
    return;
  }
  if (request.mode === "navigate" && LOG.test(url.pathname)) {
    today(event, url, url.search === "");
    return;
  }
  if (isPrivate(url)) {
    if (request.mode === "navigate") {
      // Never stored; without a connection the offline page instead of the browser's error.
      event.respondWith(fetch(request).catch(() => caches.match("/offline")));
    }
    return;
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

// Background Sync, where the browser has it: the queue is sent even with no GabaCare page open.
// Pages send it too (the online event, every load), so browsers without it lose nothing.
self.addEventListener("sync", (event) => {
  if (event.tag === "gabacare-queue") {
    event.waitUntil(self.GabaCareQueue.flush().then((result) => {
      if (result.failed) {
        throw new Error("still offline"); // the browser tries the sync again later
      }
      if (result.sent > 0) {
        return self.clients.matchAll({ type: "window" })
          .then((pages) => pages.forEach((page) => page.postMessage({ gabacare: "queue-sent" })));
      }
      return undefined;
    }));
  }
});

// A dose reminder's notification (static/reminders.js) tapped: the patient's Today page, the tab
// already showing it brought to the front, else a new one. Only a Today address of this site is
// followed (the notification's data is the page's own; anything else opens the patient list).
function notificationTarget(data) {
  const wanted = data && typeof data.url === "string" ? new URL(data.url, self.location.origin) : null;
  if (wanted && wanted.origin === self.location.origin && TODAY.test(wanted.pathname)) {
    return wanted.origin + wanted.pathname;
  }
  return self.location.origin + "/patients";
}
self.GabaCareNotificationTarget = notificationTarget;

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = notificationTarget(event.notification.data);
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((pages) => {
    const open = pages.find((page) => page.url.split(/[?#]/)[0] === target);
    if (open && "focus" in open) {
      return open.focus();
    }
    return self.clients.openWindow ? self.clients.openWindow(target) : undefined;
  }));
});
