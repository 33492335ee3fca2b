// Submitting locks the unit's marks, so it is refused while marks for the unit typed in
// this browser are still in the marksheet's save queue (static/js/marksheet.js keeps them
// in localStorage under "iamis-marks:<person>:<unit>:<tab>").
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
  check();
})();
