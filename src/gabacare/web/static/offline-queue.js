// GabaCare offline queue (issue 15; see gabacare/web/pwa.py and docs/pwa.md).
//
// A dose tap on the Today page made without a connection, or whose send fails on the network, is
// kept in this browser's IndexedDB with a client-made UUID and shown as "saved on this phone, not yet
// sent". The queue is sent when the connection returns: the `online` event, every page load that
// has this script, and Background Sync where the browser has it (the service worker imports this
// file for that). Each tap is sent with its UUID as `client_id`; the server logs a tap once however
// often it arrives, so a send that is repeated (two tabs, a lost answer, a retried sync) never
// doubles a dose. The CSRF token is fetched fresh before each round (the stored page's may have expired).
//
// Runs in a page (window) and in the service worker (self); nothing here needs a CDN.
(function (scope) {
  "use strict";
  var DB_NAME = "gabacare-offline";
  var STORE = "taps";
  var QUEUED = "saved on this phone, not yet sent";

  function newId() {
    if (scope.crypto && typeof scope.crypto.randomUUID === "function") { return scope.crypto.randomUUID(); }
    // Pages served over plain http (no secure context) have no randomUUID: a version 4 UUID by hand.
    var b = scope.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = scope.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        t.onerror = function () { db.close(); reject(t.error); };
        t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() {
    return tx("readonly", function (store) { return store.getAll(); }).then(function (items) {
      // In the order they were written: "tapped" has whole seconds, so two entries written within one
      // second are ordered by the millisecond clock each carries (the store itself orders by random id).
      return (items || []).sort(function (a, b) {
        if (a.tapped !== b.tapped) { return a.tapped < b.tapped ? -1 : 1; }
        return (a.written || 0) - (b.written || 0);
      });
    });
  }
  function put(item) { return tx("readwrite", function (store) { store.put(item); }); }
  function remove(id) { return tx("readwrite", function (store) { store.delete(id); }); }

  function two(n) { return String(n).padStart(2, "0"); }
  function localIso(d) {
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" + two(d.getHours()) + ":" +
      two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  // One round, at most one at a time per browser (tabs and the worker share the lock where the
  // browser has Web Locks; the server's client_id check covers the rest).
  function withLock(work) {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request("gabacare-queue", work);
    }
    return work();
  }

  function freshToken() {
    return fetch("/pwa/csrf-token", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok) { throw new Error("no token"); }
      return r.json();
    }).then(function (body) { return body.csrf_token; });
  }

  function reasonOf(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text).detail || ""; } catch (e) { /* an HTML fragment or page */ }
      // A page answered with the form again: its "Please check the form" box says why.
      var box = text.match(/<div class="refused"[^>]*>([\s\S]*?)<\/div>/);
      var said = box ? box[1].replace(/<strong>[^<]*<\/strong>/, "") : text;
      return said.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300);
    }).catch(function () { return ""; });
  }

  // Send every queued tap; resolves {sent, waiting, failed}: failed is true when the network failed.
  function flush() {
    return withLock(function () {
      return all().then(function (items) {
        var queued = items.filter(function (i) { return i.state === "queued"; });
        var out = { sent: 0, waiting: queued.length, failed: false };
        if (!queued.length) { return out; }
        return freshToken().then(function (token) {
          return queued.reduce(function (chain, item) {
            return chain.then(function () {
              if (out.failed) { return undefined; }
              return sendOne(item, token, out);
            });
          }, Promise.resolve()).then(function () { return out; });
        }, function () { out.failed = true; return out; });
      });
    });
  }

  function sendOne(item, token, out) {
    var body = new URLSearchParams(item.fields);
    body.set("client_id", item.id);
    return fetch(item.action, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "HX-Request": "true", "X-CSRF-Token": token },
    }).then(function (r) {
      if (r.ok || r.status === 409) {
        // 409: this tap reached the server before and its entry was changed or deleted since.
        out.sent += 1;
        out.waiting -= 1;
        return remove(item.id);
      }
      if (r.status === 400 || r.status === 422) {
        return reasonOf(r).then(function (reason) {
          item.state = "refused";
          item.reason = reason;
          out.waiting -= 1;
          return put(item);
        });
      }
      // Signed out (a redirect), another account (404), the server in trouble: it stays queued.
      return undefined;
    }, function () { out.failed = true; });
  }

  // A queued form of the Log page (scores, trigger, side effect, lab, note), not a dose tap.
  function isEntry(item) { return !/\/doses$/.test(item.action || ""); }

  function clip(text) {
    var t = String(text || "").replace(/\s+/g, " ").trim();
    return t.length > 60 ? t.slice(0, 59) + "…" : t;
  }

  // What a queued Log form says about itself, in words (its own fields, on this phone only).
  function describeEntry(item) {
    var f = item.fields;
    var kind = (item.action.match(/\/([a-z-]+)$/) || [])[1];
    var what;
    if (kind === "symptoms") {
      var scores = Object.keys(f).filter(function (k) {
        return k !== "at" && k !== "csrf_token" && /^[a-z_]+$/.test(k) && f[k] !== "";
      }).map(function (k) { return k.replace(/_/g, " ") + " " + f[k]; });
      what = "Scores: " + scores.join(", ");
    } else if (kind === "triggers") {
      what = "Trigger: " + clip(f.tag);
    } else if (kind === "side-effects") {
      what = "Side effect: " + clip(f.text) + " (checked when it is sent)";
    } else if (kind === "notes") {
      what = "Note: " + clip(f.text);
    } else if (kind === "labs") {
      what = (f.test === "gabapentin" ? "Gabapentin level: " : "Creatinine: ") + clip(f.value) + " " + (f.unit || "");
    } else {
      what = "An entry";
    }
    return what + ", written at " + item.tapped.slice(11, 16);
  }

  // What a queued tap says about itself, in words.
  function describe(item) {
    if (isEntry(item)) { return describeEntry(item); }
    var f = item.fields;
    var at = f.scheduled ? f.scheduled.slice(11, 16) : "";
    var mg = f.mg ? f.mg + " mg" : "";
    var what = f.status === "skipped" ? "Skipped" : f.status === "prn" ? "As-needed dose taken" : "Taken";
    return what + (at ? ": the " + at + " dose" : "") + (mg ? " (" + mg + ")" : "") + ", tapped at " +
      item.tapped.slice(11, 16);
  }

  scope.GabaCareQueue = { flush: flush, all: all, describe: describe, QUEUED: QUEUED };

  if (typeof document === "undefined") { return; } // the service worker: sending only

  // -- the page ---------------------------------------------------------------------------------

  function patientOf() {
    var m = location.pathname.match(/^\/patients\/(\d+)\//);
    return m ? m[1] : null;
  }

  function enqueue(form) {
    var fields = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== "client_id" && typeof value === "string") { fields[key] = value; }
    });
    var now = new Date();
    var day = localIso(now).slice(0, 10);
    var entry = !/\/doses$/.test(form.getAttribute("action") || "");
    // The time of the tap travels with it: a tap sent hours later still says when the dose was taken
    // (a Log form: when it was written, unless it has its own time, as a measured level does).
    if (entry) {
      if (!fields.at) { fields.at = localIso(now); }
    } else if (!fields.taken_at) {
      if (fields.status !== "skipped") { fields.taken_at = localIso(now); }
    } else if (/^\d{1,2}:\d{2}$/.test(fields.taken_at)) {
      fields.taken_at = day + "T" + fields.taken_at;
    }
    var input = form.querySelector('input[name="client_id"]');
    var item = {
      id: input && input.value ? input.value : newId(), patient: patientOf(), action: form.getAttribute("action"),
      fields: fields, tapped: localIso(now), written: now.getTime(), state: "queued",
    };
    return put(item).then(function () {
      if (entry) {
        // The form is emptied (it is kept on the phone now) and the list that says so is shown.
        form.reset();
        if (input) { input.value = ""; } // the next entry written here is another one, with its own id
      }
      return render().then(function () {
        var box = document.getElementById("offline-queue");
        if (entry && box && !box.hidden) { box.focus({ preventScroll: true }); box.scrollIntoView({ block: "nearest" }); }
      });
    }).then(function () {
      if (navigator.serviceWorker && navigator.serviceWorker.ready) {
        navigator.serviceWorker.ready.then(function (reg) {
          if (reg.sync) { return reg.sync.register("gabacare-queue"); }
          return undefined;
        }).catch(function () { /* the online event and page loads send it */ });
      }
    });
  }

  function render() {
    var box = document.getElementById("offline-queue");
    var pid = patientOf();
    if (!box || !pid) { return Promise.resolve(); }
    return all().then(function (items) {
      var mine = items.filter(function (i) { return i.patient === pid; });
      var list = box.querySelector("ul");
      list.textContent = "";
      mine.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "queued-tap";
        var text = document.createElement("span");
        if (item.state === "refused") {
          text.textContent = describe(item) + ": not saved, the server refused it" +
            (item.reason ? " (" + item.reason + ")" : "") + ".";
          var drop = document.createElement("button");
          drop.type = "button";
          drop.className = "secondary outline small";
          drop.textContent = "Remove from this phone";
          drop.addEventListener("click", function () { remove(item.id).then(render); });
          li.appendChild(text);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(drop);
        } else {
          text.textContent = describe(item) + ": " + QUEUED + ".";
          li.appendChild(text);
        }
        list.appendChild(li);
      });
      box.hidden = mine.length === 0;
      markDoses(mine);
    }).catch(function () { /* no IndexedDB (a private window): nothing can be queued either */ });
  }

  // A dose with a queued tap shows it, and its buttons go (a second tap would be a second dose).
  function markDoses(items) {
    var queued = {};
    items.forEach(function (i) { if (i.state === "queued" && i.fields.scheduled) { queued[i.fields.scheduled] = i; } });
    document.querySelectorAll("li.dose").forEach(function (li) {
      var slot = li.querySelector('input[name="scheduled"]');
      var item = slot && queued[slot.value];
      var badge = li.querySelector(".queued-badge");
      if (!item) {
        if (badge) { badge.remove(); }
        li.querySelectorAll("[data-queue-hidden]").forEach(function (el) {
          el.hidden = false;
          el.removeAttribute("data-queue-hidden");
        });
        return;
      }
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge queued-badge";
        badge.textContent = (item.fields.status === "skipped" ? "skipped: " : "taken: ") + QUEUED;
        var what = li.querySelector(".dose-what");
        (what || li).appendChild(badge);
      }
      li.querySelectorAll(".dose-actions, details").forEach(function (el) {
        if (!el.hidden) { el.hidden = true; el.setAttribute("data-queue-hidden", ""); }
      });
    });
  }

  // reconnected: the `online` event (a stored copy on screen is then replaced by the server's page;
  // never at load, where a server that is down would make it a loop).
  function sendNow(reconnected) {
    if (navigator.onLine === false) { return; }
    flush().then(function (result) {
      var copy = document.getElementById("offline-copy");
      var stale = reconnected === true && copy && !copy.hidden && !result.failed;
      if ((result.sent > 0 && document.getElementById("offline-queue")) || stale) {
        location.reload(); // the server's Today, with what was just sent (or in place of the stored copy)
      } else {
        render();
      }
    }).catch(function () { render(); });
  }

  // Capture phase: before htmx or the browser sends the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-queue")) { return; }
    var input = form.querySelector('input[name="client_id"]');
    if (!input) {
      // Online too, every tap carries an id: a double tap or a resent form is logged once.
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "client_id";
      form.appendChild(input);
    }
    if (!input.value) { input.value = newId(); }
    if (navigator.onLine === false) {
      event.preventDefault();
      event.stopImmediatePropagation();
      enqueue(form);
    }
  }, true);

  // Online, but the send failed on the network (no answer at all): the same tap, the same id, queued.
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail && event.detail.elt;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-queue")) { enqueue(form); }
  });
  document.addEventListener("htmx:afterSwap", function () { render(); });
  window.addEventListener("online", function () { sendNow(true); });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.gabacare === "queue-sent") {
        if (document.getElementById("offline-queue")) { location.reload(); } else { render(); }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { render().then(function () { sendNow(false); }); });
  } else {
    render().then(function () { sendNow(false); });
  }
}(typeof self !== "undefined" ? self : this));
