// Chunked, resumable evidence uploads (see uploads/views.py for the protocol).
// Each [data-upload] block: choose files -> refuse files over the limit before sending ->
// start -> send chunks at the server's offset -> complete -> replace the file list.
// Where the server stores files in S3 it answers the start with `direct`: the parts then
// go straight to the store with URLs the server signs (uploads/direct.py), and the
// portal only signs and checks. On an error the upload asks the server where it stopped
// (the offset, or the parts already in the store) and carries on from there; after a
// few failed tries a Resume button does the same.
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
    form.append("direct", "1");
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
    // A direct upload resumes from the parts in the store (sendDirect asks for them).
    var begin = !job.session ? self.start(job)
      : job.session.direct ? Promise.resolve(0) : self.offset(job);
    return begin.then(function (offset) {
      return job.session.direct ? self.sendDirect(job) : self.sendChunks(job, offset);
    });
  };

  // Parts straight to the store: ask the server which parts it already holds (none at
  // the start), then for URLs a few parts at a time, PUT each part to its URL, and
  // complete. A failed part is tried again from the server's list.
  var URL_BATCH = 2;

  Uploader.prototype.sendDirect = function (job) {
    var self = this;
    var file = job.file;
    var size = job.session.part_size;
    var count = Math.max(1, Math.ceil(file.size / size));
    var attempt = 0;

    function partsInStore() {
      if (!job.partsAsked) { job.partsAsked = true; return Promise.resolve([]); }
      return request("GET", job.session.url).then(function (reply) {
        if (!reply.ok) throw fatal(file.name + ": " + (reply.data.error || reply.status));
        return reply.data.parts;
      });
    }

    function put(part) {
      var begin = (part.number - 1) * size;
      var blob = file.slice(begin, Math.min(begin + size, file.size));
      // To the store, not the portal: no cookies, no CSRF token.
      return fetch(part.url, { method: "PUT", body: blob, credentials: "omit" }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return blob.size;
      });
    }

    function round() {
      return partsInStore().then(function (stored) {
        var have = {};
        var sent = 0;
        stored.forEach(function (number) { have[number] = true; });
        var missing = [];
        for (var n = 1; n <= count; n++) {
          if (have[n]) sent += Math.min(size, file.size - (n - 1) * size);
          else missing.push(n);
        }
        self.show(sent, file.size, file.name);
        function next() {
          if (!missing.length) return self.complete(job);
          var form = new FormData();
          form.append("numbers", missing.slice(0, URL_BATCH).join(","));
          return request("POST", job.session.parts_url, form).then(function (reply) {
            if (!reply.ok) throw fatal(file.name + ": " + (reply.data.error || reply.status));
            return reply.data.parts.reduce(function (chain, part) {
              return chain.then(function () { return put(part); }).then(function (bytes) {
                missing.shift();
                sent += bytes;
                attempt = 0;
                self.show(sent, file.size, file.name);
              });
            }, Promise.resolve());
          }).then(next);
        }
        return next();
      }).catch(function (error) {
        if (error && error.fatal) throw error;
        attempt += 1;
        if (attempt > RETRIES) throw error;
        return sleep(500 * attempt).then(round);
      });
    }
    return round();
  };

  Uploader.prototype.sendChunks = function (job, first) {
    var self = this;
    var file = job.file;
    return Promise.resolve(first).then(function loop(offset) {
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
      // Parts still missing from the store (409 on a direct upload): send them.
      if (reply.status === 409 && job.session.direct) throw new Error(reply.data.error);
      if (!reply.ok) throw fatal(job.file.name + ": " + (reply.data.error || reply.status));
      var list = document.getElementById(reply.data.target);
      if (list) {
        list.outerHTML = reply.data.html;
        // A file still being checked: the new list asks again until it is done.
        var fresh = document.getElementById(reply.data.target);
        if (fresh && window.htmx) window.htmx.process(fresh);
      }
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
