// Sessions end after SESSION_IDLE_SECONDS without activity (accounts/middleware.py). Before
// that happens the page says so and offers to stay signed in (WCAG 2.2.1: at least 20
// seconds' warning and a simple way to extend). Staying is one ordinary request, which
// the server counts as activity; checking whether the session has ended is a background
// request (X-Background-Poll), which does not, so this script never keeps a session
// alive by itself.
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box || !window.fetch) return;
  var idle = parseInt(box.getAttribute("data-idle-seconds"), 10) * 1000;
  if (!idle) return;
  var lead = Math.min(120000, idle / 4);
  // The server notes activity at most this often, so it may end the session up to this
  // much after `idle`; the end is checked once that is past.
  var touch = (parseInt(box.getAttribute("data-touch-seconds"), 10) || 0) * 1000;
  var warnTimer = null;
  var endTimer = null;

  function ask(background) {
    var headers = { "X-Requested-With": "fetch" };
    if (background) headers["X-Background-Poll"] = "true";
    return fetch(box.getAttribute("data-check-url"), {
      credentials: "same-origin",
      headers: headers,
      cache: "no-store",
    });
  }

  function ended(response) {
    return response.redirected && response.url.indexOf(box.getAttribute("data-sign-in-url")) !== -1;
  }

  // The server has signed the session out and said why (?reason=...): show its sign-in
  // page, which brings the person back to this page afterwards.
  function leave(response) {
    var target = new URL(response.url);
    target.searchParams.set("next", window.location.pathname + window.location.search);
    window.location.assign(target.toString());
  }

  function hide(message) {
    box.hidden = !message;
    box.textContent = message || "";
  }

  var before = null;

  function show() {
    before = document.activeElement;
    box.textContent = "";
    var title = document.createElement("h2");
    title.textContent = box.getAttribute("data-title");
    var text = document.createElement("p");
    text.textContent = box.getAttribute("data-text");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = box.getAttribute("data-stay");
    button.addEventListener("click", function () {
      ask(false).then(function (response) {
        if (ended(response)) {
          leave(response);
        } else {
          hide(box.getAttribute("data-stayed"));
          window.setTimeout(function () { if (!box.querySelector("button")) hide(""); }, 10000);
          if (before && before.focus && document.body.contains(before)) before.focus();
          schedule();
        }
      });
    });
    box.appendChild(title);
    box.appendChild(text);
    box.appendChild(button);
    box.hidden = false;
    // The keyboard goes to the choice; staying puts it back where it was.
    button.focus();
  }

  function check() {
    // Something else (an upload, another tab) may have kept the session going.
    ask(true).then(function (response) {
      if (ended(response)) {
        leave(response);
      } else {
        endTimer = window.setTimeout(check, lead);
      }
    });
  }

  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(show, idle - lead);
    endTimer = window.setTimeout(check, idle + touch + 1000);
  }

  function active() {
    if (box.querySelector("button")) hide("");
    schedule();
  }

  // Every request this page makes, other than background polls, is activity.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var headers = (event.detail.requestConfig || {}).headers || {};
    if (headers["X-Background-Poll"] !== "true") active();
  });
  document.addEventListener("iamis:activity", active);
  schedule();
})();
