// Every page: a form that comes back with errors puts the keyboard (and a screen reader)
// on its error summary, and each entry there takes the cursor to the field it is about.
(function () {
  "use strict";

  function labelFor(field) {
    var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    if (field.type === "radio" || field.type === "checkbox") return legend || field;
    return (field.id && document.querySelector('label[for="' + field.id + '"]')) || field;
  }

  function start() {
    var summary = document.querySelector(".error-summary");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
      if (!link) return;
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      // The label (or legend) stays in view above the field, as the summary names it.
      labelFor(field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
