// Chunked, resumable evidence uploads (see uploads/views.py for the protocol).
// Each [data-upload] block: choose files -> refuse files over the limit before sending ->
// start -> send chunks at the server's offset -> complete -> replace the file list.
// On an error the upload asks the server where it stopped and carries on from there;
// after a few failed tries a Resume button does the same.
(function () {
  "use strict";
  if (window.iamisUploads) return;
  window.iamisUploads = true;

  var RETRIES = 3;

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function request(method, url, body, headers) {
    var init = { method: method, credentials: "same-origin", headers: headers || {} };
    init.headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) init.body = body;
    return fetch(url, init).then(function (response) {
      // Each chunk counts as activity on the server: the session warning knows too.
      document.dispatchEvent(new CustomEvent("iamis:activity"));
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function Uploader(block) {
    this.block = block;
    this.progress = block.querySelector(".upload__progress");
    this.status = block.querySelector(".upload__status");
    this.resume = block.querySelector(".upload__resume");
    this.queue = [];
    this.current = null; // {file, session}
    var self = this;
    this.resume.addEventListener("click", function () {
      self.resume.hidden = true;
      self.run();
    });
  }

  Uploader.prototype.say = function (text) { this.status.textContent = text; };

  Uploader.prototype.show = function (sent, total, name) {
    var percent = total ? Math.floor((sent / total) * 100) : 100;
    this.progress.hidden = false;
    this.progress.value = percent;
    this.say(this.block.dataset.uploading + " " + name + ": " + percent + "%");
  };

  Uploader.prototype.add = function (files) {
    var max = parseInt(this.block.dataset.maxBytes, 10);
    var refused = [];
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > max) refused.push(files[i].name + " " + this.block.dataset.tooLarge);
      else this.queue.push(files[i]);
    }
    if (refused.length) this.say(refused.join(" "));
    if (!this.busy) this.run(refused.length > 0);
  };

  Uploader.prototype.run = function (keepMessage) {
    var self = this;
    if (self.busy) return;
    self.busy = true;
    (function next() {
      if (!self.current) {
        var file = self.queue.shift();
        if (!file) { self.busy = false; return; }
        self.current = { file: file, session: null };
      }
      self.send(self.current).then(function () {
        self.current = null;
        next();
      }, function (error) {
        self.busy = false;
        if (error && error.fatal) {
          self.current = null;
          self.say(error.message);
          if (self.queue.length) self.run(true);
          return;
        }
        self.say(self.block.dataset.failed);
        self.resume.hidden = false;
      });
    })();
    if (!keepMessage) this.say("");
  };

  function fatal(message) { return { fatal: true, message: message }; }

  Uploader.prototype.start = function (job) {
    var form = new FormData();
    form.append("name", job.file.name);
    form.append("size", String(job.file.size));
    form.append("kind", this.block.dataset.kind);
    form.append("candidate", this.block.dataset.candidate);
    return request("POST", this.block.dataset.startUrl, form).then(function (reply) {
      if (!reply.ok) throw fatal(job.file.name + ": " + (reply.data.error || reply.status));
      job.session = reply.data;
      return reply.data.offset;
    });
  };

  Uploader.prototype.offset = function (job) {
    return request("GET", job.session.url).then(function (reply) {
      if (!reply.ok) throw fatal(reply.data.error || String(reply.status));
      return reply.data.offset;
    });
  };

  // Chunks start small and grow on a fast link up to the server's maximum, so each
  // request takes a few seconds whatever the connection: a slow school link never sends
  // a chunk the web server would time out on, a fast one pays few request overheads.
  var FIRST_CHUNK = 4 * 1024 * 1024;
  var MIN_CHUNK = 256 * 1024;
  var TARGET_SECONDS = 4;

  function chunkSize(job) {
    var most = job.session.chunk_size;
    if (!job.chunk) job.chunk = Math.min(FIRST_CHUNK, most);
    return Math.min(job.chunk, most);
  }

  function adapt(job, size, seconds) {
    if (seconds < TARGET_SECONDS / 2) job.chunk = Math.min(size * 2, job.session.chunk_size);
    else if (seconds > TARGET_SECONDS * 2) job.chunk = Math.max(MIN_CHUNK, Math.floor(size / 2));
  }

  Uploader.prototype.send = function (job) {
    var self = this;
    var file = job.file;
    var begin = job.session ? self.offset(job) : self.start(job);
    return begin.then(function loop(offset) {
      self.show(offset, file.size, file.name);
      if (offset >= file.size) return self.complete(job);
      var size = chunkSize(job);
      var chunk = file.slice(offset, offset + size);
      var attempt = 0;
      function put() {
        var began = Date.now();
        return request("POST", job.session.url, chunk, {
          "Upload-Offset": String(offset),
          "Content-Type": "application/offset+octet-stream",
        }).then(function (reply) {
          if (reply.ok) adapt(job, size, (Date.now() - began) / 1000);
          if (reply.ok || reply.status === 409) return reply.data.offset;
          if (reply.status === 413 || reply.status === 404 || reply.status === 410) {
            throw fatal(file.name + ": " + (reply.data.error || reply.status));
          }
          throw new Error(reply.data.error || String(reply.status));
        }).catch(function (error) {
          if (error && error.fatal) throw error;
          attempt += 1;
          if (attempt > RETRIES) throw error;
          // A slow or broken link: smaller chunks from here on.
          job.chunk = Math.max(MIN_CHUNK, Math.floor(size / 2));
          // Ask the server where it stopped, after a short pause.
          return sleep(500 * attempt).then(function () { return self.offset(job); });
        });
      }
      return put().then(loop);
    });
  };

  Uploader.prototype.complete = function (job) {
    var self = this;
    return request("POST", job.session.complete_url).then(function (reply) {
      if (!reply.ok) throw fatal(job.file.name + ": " + (reply.data.error || reply.status));
      var list = document.getElementById(reply.data.target);
      if (list) list.outerHTML = reply.data.html;
      self.progress.value = 100;
      self.say(job.file.name + ": " + self.block.dataset.done + " 100%");
    });
  };

  function uploaderFor(block) {
    if (!block.iamisUploader) block.iamisUploader = new Uploader(block);
    return block.iamisUploader;
  }

  // Delegated, so blocks swapped in by htmx work too.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".upload__input")) return;
    var block = input.closest("[data-upload]");
    if (!block) return;
    uploaderFor(block).add(Array.prototype.slice.call(input.files));
    input.value = "";
  });
})();
