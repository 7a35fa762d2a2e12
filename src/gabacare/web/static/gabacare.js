// GabaCare: after HTMX puts a result in #result, move keyboard focus to it (the emergency alert
// first, if any) so keyboard and screen-reader users land on what changed. Pages work without it.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail && event.detail.target;
  if (!target || target.id !== "result") { return; }
  var first = target.querySelector("[role=alert], h2");
  if (!first) { return; }
  if (!first.hasAttribute("tabindex")) { first.setAttribute("tabindex", "-1"); }
  first.focus({ preventScroll: false });
});

// Installable and offline (gabacare/web/pwa.py): register the service worker where the browser has one.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the site works without it */ });
  });
}

// Copy buttons (the share link): shown only where the clipboard can be written; the text stays
// selectable without them.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  if (!navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) { return; }
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var done = button.parentElement.querySelector("[data-copied]");
      if (done) { done.hidden = false; }
    });
  });
});

// The offline queue (static/offline-queue.js) is sent at every journal page load, not only Today's.
if (/^\/patients\/\d+\//.test(location.pathname) && !document.querySelector('script[src="/static/offline-queue.js"]')) {
  var queueScript = document.createElement("script");
  queueScript.src = "/static/offline-queue.js";
  document.head.appendChild(queueScript);
}
