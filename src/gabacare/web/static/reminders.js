// GabaCare dose reminders on the Today page (issue 15; see docs/pwa.md, "Reminders").
//
// While a patient's Today page is open (in a tab, or as the installed app), each planned dose still
// open (due, upcoming or missed, not yet answered) is reminded at its time: a banner on the page
// ("Time for your 300 mg dose (14:00)") with "Taken" (sends the page's own dose form for that slot,
// so the offline queue and HTMX treat it like a tap on the list), "Snooze" and "Dismiss"; and, if the
// person turned reminders on for this device, a system notification through the service worker's
// registration (so the installed app shows it too). Nothing here runs when the page is closed: that
// needs Web Push, which GabaCare does not have (docs/pwa.md says what works without it).
//
// The doses come from data attributes of the dose list (templates/journal/_today_doses.html):
// #today-doses[data-reminders=<patient id>], li.dose[data-slot][data-mg][data-time][data-status].
// What was done with each reminder (how often it fired, snoozed until when, dismissed, answered) is
// kept in localStorage per patient and slot, so a reload does not nag about a dismissed dose again.
(function () {
  "use strict";

  // -- policy (GabaCare's own choices, not clinical facts; docs/pwa.md repeats them) -------------
  var MINUTE = 60 * 1000;
  // "Snooze" hides a reminder for this long, then it comes back.
  var SNOOZE_MS = 10 * MINUTE;
  // An unanswered reminder is repeated this often...
  var REPEAT_EVERY_MS = 15 * MINUTE;
  // ...at most this many times in all (the first included): a dose is not nagged about all day; the
  // missed-dose helper is the place for a dose long past. A page opened later than
  // REPEAT_EVERY_MS * REMIND_AT_MOST after a dose's time does not start reminding it.
  var REMIND_AT_MOST = 4;
  // How often the open page looks at the clock (a reminder may come this much after its time).
  var CHECK_EVERY_MS = 20 * 1000;
  // Reminder records older than this are removed from localStorage (they belong to past days).
  var KEEP_RECORDS_MS = 2 * 24 * 60 * MINUTE;

  var OPEN = { due: true, upcoming: true, missed: true };
  var PREFIX = "gabacare-reminder:";

  var list = null;          // #today-doses (replaced by HTMX after each tap: looked up again)
  var box = null;           // the banners' container, outside #today-doses so swaps keep it
  var setup = null;         // "Turn on reminders on this device"
  var patient = null;
  var refocus = false;      // after a banner's button: focus goes to the dose list (the banner is gone)

  // -- stored state ---------------------------------------------------------------------------
  function key(slot) { return PREFIX + patient + ":" + slot; }
  function load(slot) {
    try { return JSON.parse(localStorage.getItem(key(slot)) || "{}") || {}; } catch (e) { return {}; }
  }
  function save(slot, state) {
    try { localStorage.setItem(key(slot), JSON.stringify(state)); } catch (e) { /* private mode: this page only */ }
  }
  function forgetOld(now) {
    try {
      var mine = PREFIX + patient + ":";
      for (var i = localStorage.length - 1; i >= 0; i -= 1) {
        var k = localStorage.key(i);
        if (k && k.indexOf(mine) === 0 && !(now - new Date(k.slice(mine.length)).getTime() < KEEP_RECORDS_MS)) {
          localStorage.removeItem(k);
        }
      }
    } catch (e) { /* no storage */ }
  }

  // -- the doses on the page --------------------------------------------------------------------
  function openDoses() {
    list = document.getElementById("today-doses");
    if (!list || !list.dataset.reminders) { return []; }
    patient = list.dataset.reminders;
    var out = [];
    list.querySelectorAll("li.dose[data-slot]").forEach(function (li) {
      var actions = li.querySelector(".dose-actions");
      // A tap kept by the offline queue hides the actions: that dose is answered on this phone.
      if (!OPEN[li.dataset.status] || !actions || actions.hidden) { return; }
      var at = new Date(li.dataset.slot).getTime();
      if (isNaN(at)) { return; }
      out.push({ slot: li.dataset.slot, at: at, mg: li.dataset.mg, time: li.dataset.time, li: li });
    });
    return out;
  }

  function text(dose) { return "Time for your " + dose.mg + " mg dose (" + dose.time + ")"; }

  // -- banners -----------------------------------------------------------------------------------
  function bannerOf(slot) {
    var found = null;
    box.querySelectorAll(".dose-reminder").forEach(function (b) { if (b.dataset.slot === slot) { found = b; } });
    return found;
  }

  function button(label, act, cls, hidden) {
    var b = document.createElement("button");
    b.type = "button";
    b.dataset.act = act;
    if (cls) { b.className = cls; }
    b.appendChild(document.createTextNode(label));
    if (hidden) {
      var h = document.createElement("span");
      h.className = "visually-hidden";
      h.textContent = " " + hidden;
      b.appendChild(h);
    }
    return b;
  }

  function show(dose, fresh) {
    var old = bannerOf(dose.slot);
    if (old && !fresh) { return; }
    if (old) { old.remove(); }  // inserted again, so screen readers announce the repeat
    var b = document.createElement("div");
    b.className = "dose-reminder";
    b.setAttribute("role", "alert");
    b.dataset.slot = dose.slot;
    var p = document.createElement("p");
    p.textContent = text(dose);
    var actions = document.createElement("div");
    actions.className = "reminder-actions";
    var what = "(the " + dose.time + " dose)";
    actions.appendChild(button("Taken", "taken", "", what));
    actions.appendChild(button("Snooze " + SNOOZE_MS / MINUTE + " min", "snooze", "secondary", what));
    actions.appendChild(button("Dismiss", "dismiss", "secondary outline", what));
    b.appendChild(p);
    b.appendChild(actions);
    box.appendChild(b);
    box.hidden = false;
  }

  function hide(slot) {
    var b = bannerOf(slot);
    if (b) { b.remove(); }
    box.hidden = !box.querySelector(".dose-reminder");
  }

  // -- system notifications (only after the person turned them on) -------------------------------
  function notifyOn() { return "Notification" in window && Notification.permission === "granted"; }

  function notify(dose) {
    if (!notifyOn()) { return; }
    // Discreet on a lock screen: the time, not the medicine or the amount.
    var title = "GabaCare";
    var options = { body: "Time for your " + dose.time + " dose", tag: "gabacare-dose-" + patient + "-" + dose.slot,
      renotify: true, icon: "/static/icon-192.png", data: { url: location.pathname } };
    var direct = function () { try { new Notification(title, options); } catch (e) { /* needs the worker */ } };
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistration) {
      navigator.serviceWorker.getRegistration().then(function (reg) {
        if (reg && reg.showNotification) { return reg.showNotification(title, options); }
        direct();
        return undefined;
      }).catch(direct);
    } else {
      direct();
    }
  }

  // -- the clock -----------------------------------------------------------------------------------
  function fire(dose, state, now) {
    state.fired = (state.fired || 0) + 1;
    state.last = now;
    save(dose.slot, state);
    show(dose, true);
    notify(dose);
  }

  function check() {
    if (!box) { return; }
    var now = Date.now();
    var doses = openDoses();
    var open = {};
    doses.forEach(function (dose) {
      open[dose.slot] = true;
      var state = load(dose.slot);
      if (state.dismissed || state.answered || now < dose.at) { hide(dose.slot); return; }
      if (state.snoozed) {
        if (now < state.snoozed) { hide(dose.slot); return; }
        delete state.snoozed;
        fire(dose, state, now);  // back after the snooze; later repeats count from now
        return;
      }
      if (!state.fired) {
        if (now - dose.at < REPEAT_EVERY_MS * REMIND_AT_MOST) { fire(dose, state, now); }
        return;
      }
      if (state.fired < REMIND_AT_MOST && now - state.last >= REPEAT_EVERY_MS) { fire(dose, state, now); return; }
      show(dose, false);  // fired before (this page or an earlier load), not answered: still on screen
    });
    // Doses answered since (a tap on the list, another tab, the offline queue): their banners go.
    box.querySelectorAll(".dose-reminder").forEach(function (b) { if (!open[b.dataset.slot]) { hide(b.dataset.slot); } });
  }

  function act(event) {
    var target = event.target.closest ? event.target.closest("button[data-act]") : null;
    var banner = target && target.closest(".dose-reminder");
    if (!banner) { return; }
    var slot = banner.dataset.slot;
    var state = load(slot);
    var action = target.dataset.act;
    if (action === "taken") {
      var dose = openDoses().filter(function (d) { return d.slot === slot; })[0];
      var form = dose && dose.li.querySelector('.dose-actions input[name="status"][value="taken"]');
      form = form && form.form;
      if (!form) { hide(slot); return; }
      state.answered = true;
      refocus = true;
      save(slot, state);
      hide(slot);
      // The list's own form: HTMX swaps the list, the offline queue keeps it when there is no network.
      if (form.requestSubmit) { form.requestSubmit(); } else { form.querySelector("button[type=submit]").click(); }
    } else if (action === "snooze") {
      state.snoozed = Date.now() + SNOOZE_MS;
      save(slot, state);
      hide(slot);
    } else if (action === "dismiss") {
      state.dismissed = true;
      save(slot, state);
      hide(slot);
    }
    focusList();
  }

  function focusList() {
    var doses = document.getElementById("today-doses");
    if (!doses) { return; }
    if (!doses.hasAttribute("tabindex")) { doses.setAttribute("tabindex", "-1"); }
    doses.focus({ preventScroll: true });
  }

  // -- turning system notifications on (asked only when the button is pressed) -------------------
  function drawSetup() {
    var supported = "Notification" in window;
    setup.textContent = "";
    var p = document.createElement("p");
    if (!supported) {
      p.textContent = "While this page is open, a reminder shows here at each dose's time. This browser cannot show system notifications.";
    } else if (Notification.permission === "granted") {
      p.textContent = "Reminders are on for this device: at each dose's time, while GabaCare is open (or installed and running), a notification and a reminder here.";
    } else if (Notification.permission === "denied") {
      p.textContent = "Notifications for GabaCare are blocked in this browser's settings. While this page is open, a reminder shows here at each dose's time.";
    } else {
      p.textContent = "While this page is open, a reminder shows here at each dose's time. ";
      var b = document.createElement("button");
      b.type = "button";
      b.className = "secondary outline small-button";
      b.id = "reminders-on";
      b.textContent = "Turn on reminders on this device";
      b.addEventListener("click", function () {
        var asked = Notification.requestPermission(function () { drawSetup(); });
        if (asked && asked.then) { asked.then(function () { drawSetup(); }); }
      });
      p.appendChild(b);
    }
    setup.appendChild(p);
  }

  function start() {
    var doses = document.getElementById("today-doses");
    if (!doses || !doses.dataset.reminders) { return; }
    patient = doses.dataset.reminders;
    setup = document.createElement("div");
    setup.className = "reminders-setup";
    setup.id = "reminders-setup";
    setup.setAttribute("aria-live", "polite");  // the answer to "Turn on reminders" is read out
    box = document.createElement("section");
    box.id = "dose-reminders";
    box.setAttribute("aria-label", "Dose reminders");
    box.hidden = true;
    doses.parentNode.insertBefore(setup, doses);
    doses.parentNode.insertBefore(box, doses);
    box.addEventListener("click", act);
    drawSetup();
    forgetOld(Date.now());
    check();
    setInterval(check, CHECK_EVERY_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { check(); } });
    document.addEventListener("htmx:afterSwap", function () {
      if (refocus) { refocus = false; focusList(); }
      check();
    });
  }

  window.GabaCareReminders = {
    policy: { SNOOZE_MS: SNOOZE_MS, REPEAT_EVERY_MS: REPEAT_EVERY_MS, REMIND_AT_MOST: REMIND_AT_MOST,
      CHECK_EVERY_MS: CHECK_EVERY_MS },
    check: function () { check(); },
    state: function (slot) { return load(slot); },
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
