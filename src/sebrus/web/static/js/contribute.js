// Contribute: check each file in the browser, then send what passed to the REST API with a progress
// bar and a result per file. Up to data-max-files files (and every file a browser wallet signs) go one
// request each, waiting for their block so each row links to its item; a larger selection goes in
// batches to the bulk endpoint (each file refused on its own, accepted ones queued for the chain),
// as many files and bytes per batch as the server takes. The server checks everything again; its
// message is shown as it is. Without this script the form posts as multipart to /contribute and
// gets the same checks, for up to data-max-files files.
(function () {
  "use strict";

  var ALLOWED = { "image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP", "image/gif": "GIF" };
  var form = document.getElementById("contribute-form");
  if (!form) return;
  var datasetSelect = document.getElementById("dataset");
  var labelSelect = document.getElementById("label");
  var fileInput = document.getElementById("files");
  var limitsHint = document.getElementById("dataset-limits");
  var results = document.getElementById("upload-results");
  var list = document.getElementById("file-list");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var maxFiles = parseInt(form.dataset.maxFiles, 10) || 20;
  var bulkMaxFiles = parseInt(form.dataset.bulkMaxFiles, 10) || 100;
  var bulkMaxBytes = parseInt(form.dataset.bulkMaxBytes, 10) || 64 * 1024 * 1024;
  var PART_FRAMING = 1024; // a file part's boundary and headers, generously
  var BATCH_FILES = Math.min(bulkMaxFiles, 50); // small enough that progress moves and a refusal costs little
  var browserSigner = document.getElementById("signer-browser");
  var filesHint = document.getElementById("files-hint");
  if (filesHint) filesHint.textContent = "Choose one or many: more than " + maxFiles + " are sent in batches.";

  function selectedOption() {
    return datasetSelect.options[datasetSelect.selectedIndex];
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1).replace(/\.0$/, "") + " KB";
    return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "") + " MB";
  }

  function showLabels() {
    var option = selectedOption();
    var labels = JSON.parse(option.dataset.labels || "[]");
    var current = labelSelect.value;
    while (labelSelect.options.length > 1) labelSelect.remove(1);
    labels.forEach(function (label) {
      var item = document.createElement("option");
      item.value = label;
      item.textContent = label;
      if (label === current) item.selected = true;
      labelSelect.appendChild(item);
    });
    limitsHint.textContent = "Each image: " + option.dataset.limits + ". PNG, JPEG, WebP or GIF.";
  }

  function fieldError(field, message) {
    var wrapper = field.closest(".field");
    var id = field.id + "-error";
    var existing = document.getElementById(id);
    if (existing) existing.remove();
    wrapper.classList.toggle("field-invalid", Boolean(message));
    if (!message) {
      field.removeAttribute("aria-invalid");
      return false;
    }
    var note = document.createElement("p");
    note.className = "field-error";
    note.id = id;
    note.setAttribute("role", "alert");
    note.textContent = message;
    field.insertAdjacentElement("beforebegin", note);
    field.setAttribute("aria-invalid", "true");
    return true;
  }

  function row(file) {
    var item = document.createElement("li");
    item.className = "file-row file-busy";
    var name = document.createElement("span");
    name.className = "file-name";
    name.textContent = file.name;
    var size = document.createElement("span");
    size.className = "file-size";
    size.textContent = formatSize(file.size);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var status = document.createElement("span");
    status.className = "file-status";
    status.textContent = "Waiting…";
    item.append(name, size, bar, status);
    list.appendChild(item);
    return { item: item, bar: bar, status: status };
  }

  function finish(view, ok, message, itemId) {
    view.item.classList.remove("file-busy");
    view.item.classList.add(ok ? "file-ok" : "file-error");
    view.bar.value = ok ? 100 : view.bar.value;
    view.status.textContent = (ok ? "Uploaded: " : "Refused: ") + message;
    if (itemId) {
      var link = document.createElement("a");
      link.href = "/items/" + itemId;
      link.textContent = "View item";
      view.status.appendChild(document.createTextNode(" "));
      view.status.appendChild(link);
    }
  }

  function imageSize(file) {
    if (!window.createImageBitmap) return Promise.resolve(null);
    return createImageBitmap(file).then(function (bitmap) {
      var size = { width: bitmap.width, height: bitmap.height };
      bitmap.close();
      return size;
    });
  }

  // The browser's own checks: a refusal here names the problem and nothing is sent.
  function checkFile(file, option) {
    var maxBytes = parseInt(option.dataset.maxBytes, 10);
    if (!ALLOWED[file.type]) {
      var kind = file.type ? file.type : "of an unknown type";
      return Promise.resolve("not an image: this file is " + kind + "; choose a PNG, JPEG, WebP or GIF image.");
    }
    if (file.size === 0) return Promise.resolve("the file is empty.");
    if (file.size > maxBytes) {
      return Promise.resolve("too large: " + formatSize(file.size) + ", and this dataset takes at most " +
        formatSize(maxBytes) + " per image.");
    }
    var bounds = JSON.parse(option.dataset.bounds || "{}");
    var bounded = ["min_width", "max_width", "min_height", "max_height"].some(function (k) { return bounds[k] !== null; });
    if (!bounded) return Promise.resolve(null);
    return imageSize(file).then(function (size) {
      if (!size) return null;
      if ((bounds.min_width !== null && size.width < bounds.min_width) ||
          (bounds.max_width !== null && size.width > bounds.max_width) ||
          (bounds.min_height !== null && size.height < bounds.min_height) ||
          (bounds.max_height !== null && size.height > bounds.max_height)) {
        return "wrong dimensions: " + size.width + "×" + size.height + " px; this dataset takes " + option.dataset.limits + ".";
      }
      return null;
    }, function () {
      return "not a readable image: the browser could not decode it.";
    });
  }

  // With a browser wallet chosen (wallet.js), the wallet signs first; its signature rides along.
  function signature(file, option, label, view) {
    var sign = window.SeBRUS && window.SeBRUS.signContribution;
    if (!sign) return Promise.resolve("");
    view.status.textContent = "Waiting for your wallet's signature…";
    return sign(file, option, label);
  }

  function send(file, option, label, view, extra) {
    return new Promise(function (resolve) {
      var request = new XMLHttpRequest();
      var url = "/api/dataset/" + encodeURIComponent(option.value) + "/items?label=" + encodeURIComponent(label) + (extra || "");
      request.open("POST", url);
      request.setRequestHeader("Content-Type", file.type);
      request.setRequestHeader("X-CSRF-Token", csrf);
      request.upload.onprogress = function (event) {
        if (event.lengthComputable) view.bar.value = Math.round((event.loaded / event.total) * 95);
      };
      request.upload.onload = function () {
        view.bar.value = 95;
        view.status.textContent = "Sent; anchoring on chain…";
      };
      request.onload = function () {
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = {}; }
        var item = body.item || null;
        if (request.status === 201) finish(view, true, "anchored on chain and listed in the dataset.", item && item.id);
        else if (request.status === 200) finish(view, true, "you had already contributed this image.", item && item.id);
        else if (request.status === 202) finish(view, true, "accepted and queued for the chain; it will appear shortly.");
        else if (request.status === 401) finish(view, false, "your session has ended; log in again.");
        else finish(view, false, body.status || ("the server answered " + request.status + "."));
        // A dataset that asks a review deposit: say so where the upload is acknowledged.
        if (request.status >= 200 && request.status < 300 && body.deposit_due && body.deposit_due.message) {
          view.status.appendChild(document.createTextNode(" " + body.deposit_due.message));
        }
        resolve();
      };
      request.onerror = function () {
        finish(view, false, "the upload did not reach the server (network error).");
        resolve();
      };
      view.status.textContent = "Uploading…";
      request.send(file);
    });
  }

  function signsInBrowser() {
    return Boolean(browserSigner && browserSigner.checked && !document.getElementById("signer-choice").hidden);
  }

  // Consecutive runs of files that fit one bulk request (its file count and its byte budget).
  function batches(entries) {
    var out = [];
    var current = [];
    var bytes = 4096;
    entries.forEach(function (entry) {
      var size = entry.file.size + PART_FRAMING;
      if (current.length && (current.length >= BATCH_FILES || bytes + size > bulkMaxBytes)) {
        out.push(current);
        current = [];
        bytes = 4096;
      }
      current.push(entry);
      bytes += size;
    });
    if (current.length) out.push(current);
    return out;
  }

  function sendBatch(batch, option, label, progress) {
    return new Promise(function (resolve) {
      var data = new FormData();
      batch.forEach(function (entry) {
        data.append(label, entry.file, entry.file.name); // the bulk endpoint reads a part's name as its label
        entry.view.status.textContent = "Uploading…";
      });
      var request = new XMLHttpRequest();
      request.open("POST", "/api/dataset/" + encodeURIComponent(option.value) + "/uploads");
      request.setRequestHeader("X-CSRF-Token", csrf);
      request.upload.onprogress = function (event) {
        if (!event.lengthComputable) return;
        var value = Math.round((event.loaded / event.total) * 95);
        batch.forEach(function (entry) { entry.view.bar.value = value; });
      };
      request.upload.onload = function () {
        batch.forEach(function (entry) {
          entry.view.bar.value = 95;
          entry.view.status.textContent = "Sent; being checked…";
        });
      };
      request.onload = function () {
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = {}; }
        if (request.status !== 200) {
          var reason = request.status === 401 ? "your session has ended; log in again."
            : (body.status || ("the server answered " + request.status + "."));
          batch.forEach(function (entry) { finish(entry.view, false, reason); });
          progress(batch.length);
          resolve();
          return;
        }
        // Outcomes come back by file name, in the order sent; two files may share a name.
        var byName = {};
        function note(name, outcome) { (byName[name] = byName[name] || []).push(outcome); }
        (body.accepted || []).forEach(function (a) {
          note(a.name, { ok: true, message: a.created ? "accepted and queued for the chain; it will appear shortly."
            : "you had already contributed this image." });
        });
        (body.refused || []).forEach(function (r) { note(r.name, { ok: false, message: r.reason }); });
        batch.forEach(function (entry) {
          var outcome = (byName[entry.file.name] || []).shift();
          if (outcome) finish(entry.view, outcome.ok, outcome.message);
          else finish(entry.view, false, "the server did not report on this file.");
        });
        progress(batch.length);
        resolve();
      };
      request.onerror = function () {
        batch.forEach(function (entry) { finish(entry.view, false, "the upload did not reach the server (network error)."); });
        progress(batch.length);
        resolve();
      };
      request.send(data);
    });
  }

  function overall(total) {
    var line = document.getElementById("upload-progress");
    if (!line) {
      line = document.createElement("p");
      line.id = "upload-progress";
      line.setAttribute("role", "status");
      results.insertBefore(line, list);
    }
    var done = 0;
    line.textContent = "Sending " + total + " files in batches…";
    return function (count) {
      done += count;
      line.textContent = done < total ? done + " of " + total + " files done…" : "All " + total + " files done.";
    };
  }

  datasetSelect.addEventListener("change", showLabels);
  showLabels();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var option = selectedOption();
    var label = labelSelect.value;
    var files = Array.prototype.slice.call(fileInput.files || []);
    var invalid = fieldError(labelSelect, label ? "" : "Choose a label for these images.");
    var filesProblem = "";
    if (!files.length) filesProblem = "Choose at least one image file.";
    invalid = fieldError(fileInput, filesProblem) || invalid;
    if (invalid) {
      form.querySelector("[aria-invalid='true']").focus();
      return;
    }
    list.textContent = "";
    results.hidden = false;
    window.SeBRUS.setBusy(form, true);
    var views = files.map(row);
    var chain = Promise.resolve();
    if (files.length <= maxFiles || signsInBrowser()) {
      files.forEach(function (file, index) {
        chain = chain.then(function () {
          return checkFile(file, option).then(function (problem) {
            if (problem) {
              finish(views[index], false, problem);
              return null;
            }
            return signature(file, option, label, views[index]).then(function (extra) {
              return send(file, option, label, views[index], extra);
            }, function (error) {
              finish(views[index], false, "not signed: " + error.message);
            });
          });
        });
      });
    } else {
      var passed = [];
      var progress = overall(files.length);
      files.forEach(function (file, index) {
        chain = chain.then(function () {
          return checkFile(file, option).then(function (problem) {
            if (problem) {
              finish(views[index], false, problem);
              progress(1);
            } else {
              passed.push({ file: file, view: views[index] });
            }
          });
        });
      });
      chain = chain.then(function () {
        var sent = Promise.resolve();
        batches(passed).forEach(function (batch) {
          sent = sent.then(function () { return sendBatch(batch, option, label, progress); });
        });
        return sent;
      });
    }
    chain.then(function () {
      window.SeBRUS.setBusy(form, false);
      var link = document.getElementById("view-dataset");
      if (!link) {
        link = document.createElement("a");
        link.id = "view-dataset";
        var wrap = document.createElement("p");
        wrap.appendChild(link);
        results.appendChild(wrap);
      }
      link.href = "/datasets/" + option.value;
      link.textContent = "See the dataset's images";
    });
  });
})();
