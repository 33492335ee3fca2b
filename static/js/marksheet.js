// Keyboard-fast mark entry. Every rule is checked again by the server; this file only moves
// the cursor, offers the last initials typed and announces what the server said.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var form = document.getElementById("marksheet-form");
  if (!form) return;
  var sheet = form.getAttribute("data-sheet");
  var initialsKey = "iamis-initials-" + sheet;
  var status = document.getElementById("sheet-status");

  function columnInputs(column) {
    return Array.prototype.slice.call(
      form.querySelectorAll('[data-column="' + column + '"]')
    );
  }

  function moveDown(input, saveAtEnd) {
    var inputs = columnInputs(input.getAttribute("data-column"));
    var next = inputs[inputs.indexOf(input) + 1];
    if (next) {
      next.focus();
      if (next.select) next.select();
    } else if (saveAtEnd !== false) {
      // The last candidate: nowhere to move to, so save now.
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  // "Confirm absent": move on at once, so typing carries on while the row saves.
  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-advance]") : null;
    if (!button) return;
    var row = button.closest("tr");
    var input = row && row.querySelector('[data-column="' + button.getAttribute("data-advance") + '"]');
    if (input) {
      window.setTimeout(function () { moveDown(input, false); }, 0);
    }
  });

  // Once a mark has as many digits as the maximum, go to the next candidate.
  form.addEventListener("input", function (event) {
    var input = event.target;
    var digits = parseInt(input.getAttribute("data-max-digits") || "0", 10);
    if (digits && /^\d+$/.test(input.value) && input.value.length >= digits) {
      moveDown(input);
    }
  });

  // Enter moves down the column instead of submitting the whole form.
  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key === "Enter" && input.hasAttribute("data-column")) {
      event.preventDefault();
      input.dispatchEvent(new Event("change", { bubbles: true }));
      moveDown(input);
    }
  });

  // The last initials typed are offered for the next candidate until Save & Close.
  form.addEventListener("focusin", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("initials")) return;
    var last = window.sessionStorage.getItem(initialsKey);
    if (!input.value && last) {
      input.value = last;
      input.setAttribute("data-offered", "1");
      input.select();
    }
  });
  form.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.getAttribute && input.getAttribute("data-offered")) {
      input.removeAttribute("data-offered");
      if (input.value) input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.classList && input.classList.contains("initials") && input.value) {
      window.sessionStorage.setItem(initialsKey, input.value.toUpperCase());
    }
  });
  var saveClose = document.getElementById("save-close");
  if (saveClose) {
    saveClose.addEventListener("click", function () {
      window.sessionStorage.removeItem(initialsKey);
    });
  }

  // What was typed where, and when each row's save went off: a refusal that comes back
  // after the teacher has typed in another row must not pull the cursor out of it.
  var lastTyped = { input: null, at: 0 };
  var sentAt = {};
  form.addEventListener("input", function (event) {
    lastTyped = { input: event.target, at: Date.now() };
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id) sentAt[target.id] = Date.now();
  });
  function typedElsewhereSince(row, since) {
    var input = lastTyped.input;
    return Boolean(
      input && lastTyped.at >= since && document.body.contains(input) && !row.contains(input)
    );
  }

  // Say what the server answered, and take the cursor back to a refused value unless the
  // teacher has already typed on elsewhere (the row still shows and announces the refusal).
  // After settling, so htmx has wired up the new row before anyone presses a key in it.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var old = event.detail.target;
    if (!old || !old.id || old.id.indexOf("row-") !== 0) return;
    // outerHTML swaps leave `target` detached: find the row that replaced it.
    var row = document.getElementById(old.id);
    if (!row) return;
    // The live region says which candidate the answer is about, and only the answer
    // (not the labels of the buttons that come with it).
    var message = row.querySelector(".row-status__message, .row-status .saved, .row-status");
    var number = row.querySelector('th[scope="row"]');
    if (status && message) {
      status.textContent =
        (number ? number.textContent.trim() + ": " : "") + message.textContent.trim();
    }
    var confirm = row.querySelector("button.js-only");
    var refused = row.querySelector('[aria-invalid="true"]');
    if ((confirm || refused) && typedElsewhereSince(row, sentAt[old.id] || 0)) {
      return;
    } else if (confirm) {
      confirm.focus();
    } else if (refused) {
      refused.focus();
      if (refused.select) refused.select();
    } else if (document.activeElement === document.body) {
      // The focused control (a confirm button) went with the old row: carry on below.
      var field = (event.detail.requestConfig.parameters || {}).field;
      var here = field && row.querySelector('[data-column="' + field + '"]');
      if (here) moveDown(here);
    }
  });
})();
