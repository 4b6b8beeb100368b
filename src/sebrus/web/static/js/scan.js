// Scan page: follow a queued or running scan through GET /api/scans/{id}, and reload the page when
// it ends so the server renders the report. Without this script the page has a Reload link.
(function () {
  "use strict";

  var status = document.getElementById("scan-status");
  if (!status || status.dataset.active !== "true") return;
  var scanId = status.dataset.scanId;
  var bar = document.getElementById("scan-progress");
  var message = document.getElementById("scan-message");
  var state = document.getElementById("scan-state");
  var POLL_MS = 1000;
  var failures = 0;

  function show(scan) {
    var percent = Math.round((scan.progress || 0) * 100);
    bar.value = percent;
    bar.textContent = percent + "%";
    message.textContent = percent + "% · " + (scan.message || scan.state);
    var badge = state.querySelector(".badge");
    if (badge) {
      badge.className = "badge badge-scan-" + scan.state;
      badge.textContent = scan.state.charAt(0).toUpperCase() + scan.state.slice(1);
    }
  }

  function poll() {
    fetch("/api/scans/" + encodeURIComponent(scanId), { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("the server answered " + response.status);
        return response.json();
      })
      .then(function (body) {
        failures = 0;
        show(body.scan);
        if (body.scan.state === "queued" || body.scan.state === "running") {
          window.setTimeout(poll, POLL_MS);
        } else {
          message.textContent = "Finished; loading the report…";
          window.location.reload();
        }
      })
      .catch(function (error) {
        failures += 1;
        message.textContent = "Could not read the scan's progress (" + error.message + "); retrying…";
        window.setTimeout(poll, Math.min(30000, POLL_MS * Math.pow(2, failures)));
      });
  }

  window.setTimeout(poll, POLL_MS);
})();
