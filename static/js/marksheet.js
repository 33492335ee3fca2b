// Keyboard-fast mark entry that never loses a mark.
//
// Every mark typed goes into a save queue kept in this browser (localStorage, per person,
// unit and tab) before it is sent, and leaves the queue only when the server has answered
// it: saved, refused, a conflict, or absent to confirm. A network drop, a timeout, a 5xx or
// an ended session leaves it queued: it is sent again with back-off, when the browser comes
// back online, on Retry, and after a reload or in a new tab (a closed tab's queue is
// adopted). Each save carries the row version it was typed against; the server refuses a
// stale one as a conflict, and answers a replay of a save it already made as saved.
//
// Every rule is checked again by the server; this file moves the cursor, keeps the queue
// and says in words where each mark stands.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var form = document.getElementById("marksheet-form");
  if (!form || !window.fetch) return;
  var words = JSON.parse(document.getElementById("marksheet-words").textContent);
  var sheet = form.getAttribute("data-sheet");
  var person = form.getAttribute("data-person");
  var layout = form.getAttribute("data-layout");
  var status = document.getElementById("sheet-status");
  var initialsKey = "iamis-initials-" + sheet;
  var csrf = (form.querySelector('[name="csrfmiddlewaretoken"]') || {}).value || "";

  var QUEUE_PREFIX = "iamis-marks:" + person + ":" + sheet + ":";
  var ALIVE_PREFIX = "iamis-tab-alive:";
  var TAB_DEAD_AFTER = 6000;
  var MAX_IN_FLIGHT = 3;
  var REQUEST_TIMEOUT = 20000;
  var MAX_BACKOFF = 30000;

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }

  // --- Storage: one queue per tab, so two tabs never overwrite each other's ---------------
  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); return true; } catch (e) { return false; }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
  }
  function storageKeys() {
    var keys = [];
    try {
      for (var i = 0; i < window.localStorage.length; i++) keys.push(window.localStorage.key(i));
    } catch (e) { /* none */ }
    return keys;
  }
  function readList(key) {
    try { return JSON.parse(storageGet(key) || "[]") || []; } catch (e) { return []; }
  }
  function aliveAt(tab) { return parseInt(storageGet(ALIVE_PREFIX + tab) || "0", 10); }
  function newId() { return Date.now().toString(36) + Math.random().toString(36).slice(2, 10); }

  // A reload keeps the tab's id (sessionStorage); a duplicated tab, whose original is
  // still beating, takes a new one.
  var tab = null;
  try { tab = window.sessionStorage.getItem("iamis-tab"); } catch (e) { tab = null; }
  if (!tab || Date.now() - aliveAt(tab) < 4000) {
    tab = newId();
    try { window.sessionStorage.setItem("iamis-tab", tab); } catch (e) { /* per page then */ }
  }
  var queueKey = QUEUE_PREFIX + tab;
  var queue = readList(queueKey);
  var stored = true;

  function persist() {
    stored = queue.length ? storageSet(queueKey, JSON.stringify(queue)) : true;
    if (!queue.length) storageRemove(queueKey);
  }
  function beat() { storageSet(ALIVE_PREFIX + tab, String(Date.now())); }

  // Marks left by a tab that was closed (or crashed) are sent from here.
  function adoptOrphans() {
    var adopted = false;
    storageKeys().forEach(function (key) {
      if (!key || key.indexOf(QUEUE_PREFIX) !== 0 || key === queueKey) return;
      var owner = key.slice(QUEUE_PREFIX.length);
      if (Date.now() - aliveAt(owner) < TAB_DEAD_AFTER) return;
      queue = queue.concat(readList(key));
      storageRemove(key);
      adopted = true;
    });
    if (adopted) {
      queue.sort(function (a, b) { return a.at - b.at; });
      persist();
      queue.forEach(showQueued);
    }
    return adopted;
  }

  function othersWaiting() {
    var count = 0;
    storageKeys().forEach(function (key) {
      if (key && key.indexOf(QUEUE_PREFIX) === 0 && key !== queueKey) count += readList(key).length;
    });
    return count;
  }

  // --- What each cell says --------------------------------------------------------------
  function rowOf(number) { return document.getElementById("row-" + number); }
  function cellInput(number, field) { return document.getElementById("m-" + number + "-" + field); }
  function synced(input) {
    return input.hasAttribute("data-sent") ? input.getAttribute("data-sent") : input.defaultValue;
  }

  function setState(input, state) {
    var td = input.closest("td");
    if (!td) return;
    td.setAttribute("data-state", state);
    var box = td.querySelector(".cell-state");
    if (!box) return;
    box.textContent = "";
    if (state === "saved") {
      var tick = document.createElement("span");
      tick.className = "tick";
      tick.setAttribute("aria-hidden", "true");
      tick.textContent = "\u2713";
      var said = document.createElement("span");
      said.className = "visually-hidden";
      said.textContent = words.saved;
      box.appendChild(tick);
      box.appendChild(said);
    } else if (state && words[state]) {
      var word = document.createElement("span");
      word.className = "cell-state__word";
      word.textContent = words[state];
      box.appendChild(word);
    }
  }

  function latestFor(number, field) {
    for (var i = queue.length - 1; i >= 0; i--) {
      if (queue[i].no === number && queue[i].field === field) return queue[i];
    }
    return null;
  }

  // What a mark not yet answered says: waiting to retry once a save has failed.
  function pendingState(item) {
    return problem && inFlight[item.no] !== item.id ? "queued" : "saving";
  }

  // A queued mark shows its value and where it stands, even after a reload.
  function showQueued(item) {
    var input = cellInput(item.no, item.field);
    if (!input || latestFor(item.no, item.field) !== item) return;
    if (input.value !== item.value && !item.confirm) input.value = item.value;
    input.setAttribute("data-sent", input.value);
    setState(input, pendingState(item));
  }

  // --- The banner, the counter and the Submit button --------------------------------------
  var banner = document.getElementById("save-queue");
  var bannerCount = document.getElementById("save-queue-count");
  var bannerWhy = document.getElementById("save-queue-why");
  var retryButton = document.getElementById("save-queue-retry");
  var progress = document.getElementById("sheet-progress");
  var progressWords = document.getElementById("progress-words");
  var submitLink = document.getElementById("submit-link");
  var problem = "";
  var submitBlockedShown = false;

  function waiting() { return queue.length + othersWaiting(); }

  function updateBanner() {
    if (!banner) return;
    var count = waiting();
    var failing = count > 0 && (problem || !stored);
    banner.hidden = !(failing || submitBlockedShown);
    if (count === 0) submitBlockedShown = false;
    bannerCount.textContent = count === 1 ? words.count_one : format(words.count_many, { count: count });
    if (submitBlockedShown && count > 0) bannerWhy.textContent = words.submit_blocked;
    else bannerWhy.textContent = words[problem] || (stored ? "" : words.not_stored);
    if (!banner.hidden && !count) banner.hidden = true;
    updateSubmit();
  }

  function updateProgress(delta) {
    if (!progress) return;
    var entries = parseInt(progress.getAttribute("data-entries"), 10);
    var done = parseInt(progress.getAttribute("data-complete"), 10) + delta;
    done = Math.max(0, Math.min(entries, done));
    progress.setAttribute("data-complete", String(done));
    progressWords.textContent = format(words.progress, {
      done: done,
      left: entries - done,
      submitted: progress.getAttribute("data-submitted"),
    });
    updateSubmit();
  }

  // Submit appears once the server holds a complete sheet (a click with marks still
  // queued is refused above).
  function updateSubmit() {
    if (!submitLink || !progress) return;
    var complete = progress.getAttribute("data-complete") === progress.getAttribute("data-entries");
    submitLink.hidden = !complete;
  }

  if (submitLink) {
    submitLink.addEventListener("click", function (event) {
      if (waiting() || tentative || dirtyInputs().length) {
        event.preventDefault();
        commitTentative();
        dirtyInputs().forEach(function (input) { enqueue(input, {}); });
        submitBlockedShown = true;
        updateBanner();
        pump();
      }
    });
  }

  // --- Sending ------------------------------------------------------------------------------
  var inFlight = {};
  var backoff = 0;
  var retryTimer = null;

  function inFlightCount() { return Object.keys(inFlight).length; }

  function pump() {
    if (!navigator.onLine) {
      problem = "offline";
      queue.forEach(showQueued);
      updateBanner();
      return;
    }
    if (retryTimer) return;
    var busyRows = {};
    Object.keys(inFlight).forEach(function (no) { busyRows[no] = true; });
    for (var i = 0; i < queue.length && inFlightCount() < MAX_IN_FLIGHT; i++) {
      var item = queue[i];
      if (busyRows[item.no]) continue;
      busyRows[item.no] = true; // one save a row at a time, in the order typed
      send(item);
    }
    updateBanner();
    if (!queue.length && !inFlightCount()) drained();
  }

  // One back-off step per round of failures, however many saves were in flight.
  function scheduleRetry(reason) {
    problem = reason;
    queue.forEach(showQueued);
    updateBanner();
    if (retryTimer) return;
    backoff = Math.min(MAX_BACKOFF, backoff ? backoff * 2 : 1000);
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      pump();
    }, backoff + Math.floor(Math.random() * 300));
  }

  function retryNow() {
    if (retryTimer) window.clearTimeout(retryTimer);
    retryTimer = null;
    backoff = 0;
    adoptOrphans();
    pump();
  }

  function send(item) {
    inFlight[item.no] = item.id;
    var input = cellInput(item.no, item.field);
    if (input && latestFor(item.no, item.field) === item) setState(input, "saving");
    var body = new URLSearchParams();
    body.set("field", item.field);
    body.set("value", item.value);
    body.set("version", String(item.version));
    if (item.confirm) body.set("confirm", "1");
    var controller = window.AbortController ? new AbortController() : null;
    var timer = window.setTimeout(function () { if (controller) controller.abort(); }, REQUEST_TIMEOUT);
    sentAt[item.no] = Date.now();
    // The row stays in flight until its answer is on the page: another save's answer
    // arriving while this body is read would otherwise send this mark a second time,
    // and the second answer would take the cursor back to this row.
    function settle() {
      window.clearTimeout(timer);
      if (inFlight[item.no] === item.id) delete inFlight[item.no];
    }
    fetch(item.url + (layout ? "?layout=" + layout : ""), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrf },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        var outcome = response.headers.get("X-Mark-Outcome");
        if (outcome) {
          return response.text().then(function (html) {
            settle();
            answered(item, outcome, response, html);
          });
        }
        settle();
        if (signedOut(response, item.url)) return scheduleRetry("signed_out");
        if (response.status === 403) {
          return refreshToken().then(function (ended) { scheduleRetry(ended ? "signed_out" : "failing"); });
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          return rejected(item, response.status);
        }
        // A 5xx, a timeout, or a page that is not our answer (a Wi-Fi sign-in page).
        scheduleRetry("failing");
      })
      .catch(function () {
        settle();
        scheduleRetry(navigator.onLine ? "failing" : "offline");
      })
      .then(pump);
  }

  function pathOf(url) { return new URL(url, window.location.href).pathname; }

  // Sent somewhere else (the sign-in page), or told to go there (an ended session).
  function signedOut(response, url) {
    return Boolean(
      response.status === 401 ||
      response.headers.get("HX-Redirect") ||
      (response.redirected && pathOf(response.url) !== pathOf(url))
    );
  }

  // A 403 after signing in again elsewhere: the page's CSRF token was replaced. Read the
  // new one from the sheet itself; a sign-in page instead means the session has ended.
  function refreshToken() {
    return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (signedOut(response, window.location.href)) return true;
        return response.text().then(function (html) {
          var match = html.match(/name="csrfmiddlewaretoken" value="([^"]+)"/);
          if (match) csrf = match[1];
          return false;
        });
      })
      .catch(function () { return false; });
  }

  function removeItem(item) {
    queue = queue.filter(function (other) { return other.id !== item.id; });
    persist();
  }

  function answered(item, outcome, response, html) {
    removeItem(item);
    problem = "";
    backoff = 0;
    if (retryTimer) {
      // The server answers again: what waits for the back-off goes now.
      window.clearTimeout(retryTimer);
      retryTimer = null;
    }
    var version = parseInt(response.headers.get("X-Mark-Version") || "0", 10);
    if (outcome === "saved") {
      // Marks typed in this row before this answer came were typed on top of it.
      queue.forEach(function (other) {
        if (other.no === item.no && other.version === item.version) other.version = version;
      });
      persist();
    }
    var now = response.headers.get("X-Row-Complete") === "1" ? 1 : 0;
    var before = response.headers.get("X-Row-Was-Complete") === "1" ? 1 : 0;
    if (now !== before) updateProgress(now - before);
    var input = cellInput(item.no, item.field);
    var cellId = "m-" + item.no + "-" + item.field;
    if (outcome === "refused" && input) refused[cellId] = { value: item.value, reason: "" };
    else delete refused[cellId];
    swapRow(item, html, outcome);
    var reason = rowOf(item.no) && rowOf(item.no).querySelector(".row-status__message");
    if (refused[cellId] && reason) refused[cellId].reason = reason.textContent.trim();
    // What depends on the marks (the moderator's outcome panel) redraws itself.
    if (outcome === "saved") document.body.dispatchEvent(new CustomEvent("marks-saved"));
  }

  function rejected(item, statusCode) {
    removeItem(item);
    var input = cellInput(item.no, item.field);
    if (!input) return;
    refused["m-" + item.no + "-" + item.field] = {
      value: item.value,
      reason: format(words.http_refused, { status: statusCode }),
    };
    setState(input, "refused");
    input.setAttribute("aria-invalid", "true");
    var box = document.getElementById("status-" + item.no);
    if (box) {
      box.textContent = "";
      var message = document.createElement("span");
      message.className = "row-status__message error";
      message.textContent = format(words.http_refused, { status: statusCode });
      box.appendChild(message);
    }
    announce(item.no);
  }

  // --- Putting the server's row on the page without losing what is being typed ------------
  var refused = {}; // cell id -> the refused value, kept visible until corrected
  var lastTyped = { id: "", at: 0 };
  var sentAt = {};

  function typedElsewhereSince(row, since) {
    var input = lastTyped.id && document.getElementById(lastTyped.id);
    return Boolean(input && lastTyped.at >= since && !row.contains(input));
  }

  function swapRow(item, html, outcome) {
    var old = rowOf(item.no);
    if (!old) return;
    var focused = old.contains(document.activeElement) ? document.activeElement : null;
    var selection = focused && focused.setSelectionRange ? [focused.selectionStart, focused.selectionEnd] : null;
    var typing = {};
    old.querySelectorAll("[data-column]").forEach(function (input) {
      if (input.value !== synced(input)) typing[input.id] = input.value;
    });
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.querySelector("tr");
    if (!row) return;
    old.replaceWith(row);
    var message = null;
    row.querySelectorAll("[data-column]").forEach(function (input) {
      var field = input.getAttribute("data-column");
      var pending = latestFor(item.no, field);
      if (pending) {
        if (!pending.confirm) input.value = pending.value;
        input.setAttribute("data-sent", input.value);
        setState(input, pendingState(pending));
      } else if (refused[input.id] !== undefined && input.getAttribute("aria-invalid") !== "true") {
        // Refused earlier and not corrected: another cell's save must not hide that.
        input.value = refused[input.id].value;
        input.setAttribute("data-sent", input.value);
        input.setAttribute("aria-invalid", "true");
        setState(input, "refused");
        message = message || refused[input.id].reason || words.refused;
      }
      if (typing[input.id] !== undefined && !pending) input.value = typing[input.id];
    });
    var statusBox = row.querySelector(".row-status");
    if (message && statusBox && !row.querySelector(".row-status__message")) {
      row.classList.add("mark-row--attention");
      statusBox.textContent = "";
      var said = document.createElement("span");
      said.className = "row-status__message error";
      said.textContent = message;
      statusBox.appendChild(said);
    }
    if (focused && focused.id) {
      var again = document.getElementById(focused.id);
      if (again) {
        again.focus();
        if (selection && again.setSelectionRange) again.setSelectionRange(selection[0], selection[1]);
      }
    }
    announce(item.no);
    afterAnswer(row, item, outcome, Boolean(focused));
  }

  function announce(number) {
    var row = rowOf(number);
    if (!status || !row) return;
    var message = row.querySelector(".row-status__message, .row-status .saved, .row-status");
    var label = row.querySelector('th[scope="row"]');
    if (message) {
      status.textContent = (label ? label.textContent.trim() + ": " : "") + message.textContent.trim();
    }
  }

  // A refusal takes the cursor back to the refused value, unless the teacher has typed
  // on elsewhere since the save went off (the row still shows and announces it).
  function afterAnswer(row, item, outcome, hadFocus) {
    if (outcome === "saved") {
      var active = document.activeElement;
      if (active && active !== document.body) return;
      // The focused control (a confirm button) went with the old row: carry on below.
      var here = row.querySelector('[data-column="' + item.field + '"]');
      if (here && item.confirm) moveDown(here, false);
      else if (here && hadFocus) here.focus();
      return;
    }
    if (typedElsewhereSince(row, sentAt[item.no] || 0)) return;
    var confirm = row.querySelector('[data-action="confirm-absent"]');
    var bad = row.querySelector('[aria-invalid="true"]');
    if (outcome === "confirm" && confirm) {
      confirm.focus();
    } else if (bad) {
      bad.focus();
      if (bad.select) bad.select();
    }
  }

  // --- Typing ----------------------------------------------------------------------------
  function enqueue(input, options) {
    var row = input.closest("tr");
    if (!row) return;
    var number = row.getAttribute("data-number");
    var field = input.getAttribute("data-column");
    var item = {
      id: newId(),
      no: number,
      field: field,
      value: options.value !== undefined ? options.value : input.value,
      version: parseInt(row.getAttribute("data-version") || "0", 10),
      confirm: options.confirm ? "1" : "",
      url: row.getAttribute("data-url"),
      at: Date.now(),
    };
    delete refused[input.id];
    input.removeAttribute("aria-invalid");
    if (!options.confirm) input.setAttribute("data-sent", item.value);
    queue.push(item);
    persist();
    setState(input, pendingState(item));
    updateBanner();
    pump();
  }

  function dirtyInputs() {
    return Array.prototype.filter.call(form.querySelectorAll("[data-column]"), function (input) {
      return input.value !== synced(input) && !(tentative && tentative.id === input.id);
    });
  }

  function columnInputs(column) {
    return Array.prototype.slice.call(form.querySelectorAll('[data-column="' + column + '"]'));
  }

  function moveDown(input, saveAtEnd) {
    var inputs = columnInputs(input.getAttribute("data-column"));
    if (inputs.indexOf(input) === -1) return null; // a row redrawn meanwhile
    var next = inputs[inputs.indexOf(input) + 1];
    if (next) {
      next.focus();
      if (next.select) next.select();
      return next;
    }
    if (saveAtEnd !== false && input.value !== synced(input)) enqueue(input, {});
    return null;
  }

  function maximum(input) { return parseInt(input.getAttribute("data-max") || "0", 10); }
  function looksLikeAMark(input) {
    var value = input.value.trim();
    if (!input.hasAttribute("data-max-digits")) return true;
    if (/^[0-9]+$/.test(value)) return !maximum(input) || parseInt(value, 10) <= maximum(input);
    return value === "" || /^(a|absent|c|cf)$/i.test(value);
  }

  // Auto-advance moves on once a mark has as many digits as the maximum, but holds that
  // mark's save until the next key shows the mark was finished: "12.5" must not become
  // 12 here and ".5" in the next row.
  var tentative = null;
  var TENTATIVE_MS = 1500;

  function commitTentative() {
    if (!tentative) return;
    var held = tentative;
    tentative = null;
    window.clearTimeout(held.timer);
    // By id: an answer for its row may have redrawn the row since (keeping the value).
    var input = document.getElementById(held.id);
    if (input && input.value !== synced(input)) enqueue(input, {});
  }

  function nextInColumn(input) {
    var inputs = columnInputs(input.getAttribute("data-column"));
    return inputs[inputs.indexOf(input) + 1] || null;
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    lastTyped = { id: input.id, at: Date.now() };
    if (tentative && tentative.nextId === input.id) commitTentative();
    var digits = parseInt(input.getAttribute("data-max-digits") || "0", 10);
    if (!digits || !/^[0-9]+$/.test(input.value) || input.value.length < digits) return;
    if (!looksLikeAMark(input)) {
      // Over the maximum: stay, and let the server's refusal say why.
      enqueue(input, {});
      if (input.select) input.select();
      return;
    }
    commitTentative();
    var next = nextInColumn(input);
    if (!next) {
      enqueue(input, {});
      return;
    }
    // Held before the cursor moves: moving fires this cell's change event.
    tentative = { id: input.id, nextId: next.id, timer: window.setTimeout(commitTentative, TENTATIVE_MS) };
    next.focus();
    if (next.select) next.select();
  });

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (tentative && tentative.nextId === input.id && event.key.length === 1 && !event.ctrlKey && !event.metaKey) {
      var back = document.getElementById(tentative.id);
      if (back && !/^[0-9aAcC]$/.test(event.key)) {
        // Not the start of a mark: it belongs to the mark before, which was not finished.
        event.preventDefault();
        window.clearTimeout(tentative.timer);
        tentative = null;
        back.focus();
        back.value = back.value + event.key;
        if (back.setSelectionRange) back.setSelectionRange(back.value.length, back.value.length);
        lastTyped = { id: back.id, at: Date.now() };
        return;
      }
    }
    if (event.key === "Enter" && input.hasAttribute("data-column")) {
      event.preventDefault();
      commitTentative();
      if (input.value !== synced(input)) enqueue(input, {});
      if (looksLikeAMark(input)) moveDown(input, false);
      else if (input.select) input.select();
    }
  });

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.hasAttribute || !input.hasAttribute("data-column")) return;
    // A row redrawn under the cursor: its typing was carried to the new row.
    if (!document.body.contains(input)) return;
    if (input.classList.contains("initials") && input.value) {
      try { window.sessionStorage.setItem(initialsKey, input.value.toUpperCase()); } catch (e) { /* only an offer */ }
    }
    if (tentative && tentative.id === input.id) return; // saved when the next key shows it is finished
    if (input.value !== synced(input)) enqueue(input, {});
  });

  form.addEventListener("focusout", function (event) {
    var input = event.target;
    if (!document.body.contains(input)) return;
    if (tentative && tentative.nextId === input.id) {
      // Left the next cell without typing there (a click elsewhere): the mark was finished.
      window.setTimeout(function () {
        if (tentative && (!document.activeElement || document.activeElement.id !== tentative.nextId)) commitTentative();
      }, 0);
    }
    if (input.getAttribute && input.getAttribute("data-offered")) {
      input.removeAttribute("data-offered");
      if (input.value && input.value !== synced(input)) enqueue(input, {});
    }
    // Typing carried into a redrawn row is not a change to the browser: leaving the
    // cell saves it all the same.
    if (
      input.hasAttribute && input.hasAttribute("data-column") &&
      input.value !== synced(input) && !(tentative && tentative.id === input.id)
    ) {
      enqueue(input, {});
    }
  });

  // The last initials typed are offered for the next candidate until Save & Close.
  form.addEventListener("focusin", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("initials")) return;
    var last = null;
    try { last = window.sessionStorage.getItem(initialsKey); } catch (e) { last = null; }
    if (!input.value && last) {
      input.value = last;
      input.setAttribute("data-offered", "1");
      input.select();
    }
  });

  // The row's buttons: confirm absent, cancel, and keep my value after a conflict.
  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-action]") : null;
    if (!button) return;
    var row = button.closest("tr");
    var number = row.getAttribute("data-number");
    var field = button.getAttribute("data-field");
    var input = cellInput(number, field);
    var action = button.getAttribute("data-action");
    if (!input) return;
    if (action === "confirm-absent") {
      enqueue(input, { value: "A", confirm: true });
      // Move on while the row saves, unless its answer came first and already did.
      window.setTimeout(function () {
        var current = document.getElementById(input.id);
        var active = document.activeElement;
        var stillHere = !active || active === document.body || button.contains(active);
        if (current && stillHere) moveDown(current, false);
      }, 0);
    } else if (action === "use-mine") {
      input.value = button.getAttribute("data-value");
      enqueue(input, { confirm: false });
    } else if (action === "cancel") {
      delete refused[input.id];
      fetch(row.getAttribute("data-url") + (layout ? "?layout=" + layout : ""), {
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (html) swapRow({ no: number, field: field }, html, "cancelled");
          var again = cellInput(number, field);
          if (again) { again.focus(); if (again.select) again.select(); }
        })
        .catch(function () { /* the row stays as it is */ });
    }
  });

  // With JavaScript, SAVE makes sure every mark is saved; Save and Close leaves once done.
  var closeTo = null;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    commitTentative();
    dirtyInputs().forEach(function (input) { enqueue(input, {}); });
    var submitter = event.submitter;
    if (submitter && submitter.id === "save-close") {
      try { window.sessionStorage.removeItem(initialsKey); } catch (e) { /* only an offer */ }
      closeTo = submitter.getAttribute("data-close-url");
    }
    retryNow();
  });

  function drained() {
    problem = "";
    updateBanner();
    if (closeTo && !dirtyInputs().length) window.location.assign(closeTo);
  }

  // Leaving with marks that have not reached the server asks first (they are kept anyway).
  window.addEventListener("beforeunload", function (event) {
    if (queue.length || inFlightCount() || tentative || dirtyInputs().length) {
      event.preventDefault();
      event.returnValue = words.leave;
      return words.leave;
    }
  });
  window.addEventListener("pagehide", function () {
    commitTentative();
    persist();
    storageRemove(ALIVE_PREFIX + tab);
  });
  window.addEventListener("online", retryNow);
  window.addEventListener("offline", function () { problem = "offline"; updateBanner(); });
  window.addEventListener("storage", function (event) {
    if (event.key && event.key.indexOf(QUEUE_PREFIX) === 0) updateBanner();
  });
  if (retryButton) retryButton.addEventListener("click", retryNow);

  // Marks typed before this script ran (a slow connection): saved like any other. The
  // focused cell saves when it is left, as its change event comes then.
  dirtyInputs().forEach(function (input) {
    if (input !== document.activeElement) enqueue(input, {});
  });

  beat();
  window.setInterval(function () {
    beat();
    if (adoptOrphans()) pump();
    updateBanner();
  }, 2000);
  adoptOrphans();
  queue.forEach(showQueued);
  pump();
})();
