// Progressive enhancement shared by every page: a busy state on forms that take a while.
// Pages work without it; it only tells the user that something is happening.
(function () {
  "use strict";

  // The button that was clicked gets the spinner. A disabled button is left out of what the form
  // sends, so a named one (Approve / Reject) hands its value to a hidden field first.
  function setBusy(form, busy, submitter) {
    var button = submitter || form.querySelector('button[type="submit"], button:not([type])');
    if (!button) return;
    if (busy) {
      if (button.name && !form.querySelector('input[type="hidden"][data-from-button]')) {
        var carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = button.name;
        carried.value = button.value;
        carried.setAttribute("data-from-button", "");
        form.appendChild(carried);
      }
      button.setAttribute("data-busy", "");
      if (!button.dataset.idleText) button.dataset.idleText = button.textContent;
      form.setAttribute("aria-busy", "true");
      button.setAttribute("aria-disabled", "true");
      button.disabled = true;
      button.textContent = "";
      var spinner = document.createElement("span");
      spinner.className = "spinner";
      spinner.setAttribute("aria-hidden", "true");
      button.appendChild(spinner);
      button.appendChild(document.createTextNode(form.dataset.loadingText || "Working…"));
    } else {
      button = form.querySelector("[data-busy]") || button;
      button.removeAttribute("data-busy");
      var extra = form.querySelector("input[data-from-button]");
      if (extra) extra.remove();
      if (!button.dataset.idleText) return;
      form.removeAttribute("aria-busy");
      button.removeAttribute("aria-disabled");
      button.disabled = false;
      button.textContent = button.dataset.idleText;
    }
  }

  window.SeBRUS = window.SeBRUS || {};
  window.SeBRUS.setBusy = setBusy;

  // Registered on the document, so a form's own handler (which may cancel the submit) runs first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !form.dataset.loadingText) return;
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // a second click must not send the form twice
      return;
    }
    setBusy(form, true, event.submitter);
  });

  // Coming back with the browser's Back button restores the page as it was: make the button usable.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[aria-busy='true']").forEach(function (form) { setBusy(form, false); });
  });
})();
