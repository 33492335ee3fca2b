// Submitting locks the unit's marks (and proposing an outcome locks the moderator's), so
// it is refused while marks for the sheet typed in this browser are still in the save
// queue (static/js/marksheet.js keeps them in localStorage under
// "iamis-marks:<person>:<sheet>:<tab>"). The server decides from what it holds; this
// makes sure it holds everything typed here first.
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  var warning = document.getElementById("unsaved-marks");
  if (!form || !warning) return;
  var prefix = "iamis-marks:" + form.getAttribute("data-person") + ":" + form.getAttribute("data-sheet") + ":";

  function waiting() {
    var count = 0;
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf(prefix) === 0) count += (JSON.parse(window.localStorage.getItem(key) || "[]") || []).length;
      }
    } catch (e) { return 0; }
    return count;
  }

  function check() {
    var blocked = waiting() > 0;
    warning.hidden = !blocked;
    form.querySelector("button[type=submit]").disabled = blocked;
    return blocked;
  }

  form.addEventListener("submit", function (event) {
    if (check()) {
      event.preventDefault();
      warning.focus();
    }
  });
  window.addEventListener("storage", check);
  // The queue may be this page's own (the moderator's marks and the proposal share a
  // page), which raises no storage event: look again now and then.
  window.setInterval(check, 1000);
  check();
})();
