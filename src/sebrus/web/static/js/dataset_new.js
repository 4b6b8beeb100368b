// Create a Dataset: more seed rows on demand, label suggestions from the label set, and the
// commit-reveal windows shown only when commit-reveal is on. The form works without this script.
(function () {
  "use strict";

  var form = document.getElementById("dataset-form");
  if (!form) return;
  var rows = document.getElementById("seed-rows");
  var addRow = document.getElementById("add-seed-row");
  var labels = document.getElementById("labels");
  var commitReveal = document.getElementById("commit_reveal");
  var windows = document.getElementById("reveal-windows");
  var maxRows = parseInt(rows.dataset.maxRows, 10) || 20;

  var choices = document.createElement("datalist");
  choices.id = "seed-label-choices";
  form.appendChild(choices);

  function labelSet() {
    return labels.value.split(/[,\n]/).map(function (l) { return l.trim(); }).filter(Boolean);
  }

  function refreshChoices() {
    choices.textContent = "";
    labelSet().forEach(function (label) {
      var option = document.createElement("option");
      option.value = label;
      choices.appendChild(option);
    });
  }

  function wireRow(row) {
    var input = row.querySelector('input[type="text"]');
    if (input) input.setAttribute("list", choices.id);
  }

  function newRow() {
    var count = rows.children.length;
    if (count >= maxRows) return;
    var copy = rows.lastElementChild.cloneNode(true);
    copy.querySelectorAll(".field-error").forEach(function (note) { note.remove(); });
    copy.querySelectorAll(".field-invalid").forEach(function (f) { f.classList.remove("field-invalid"); });
    copy.querySelectorAll("input").forEach(function (input) {
      var kind = input.type === "file" ? "seed_files_" : "seed_label_";
      input.id = kind + count;
      input.name = kind + count;
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      var label = input.closest(".field").querySelector("label");
      if (label) label.htmlFor = input.id;
    });
    rows.appendChild(copy);
    wireRow(copy);
    copy.querySelector("input").focus();
    addRow.hidden = rows.children.length >= maxRows;
  }

  function showWindows() {
    var invalid = windows.querySelector(".field-invalid");
    windows.hidden = !commitReveal.checked && !invalid;
  }

  Array.prototype.forEach.call(rows.children, wireRow);
  refreshChoices();
  labels.addEventListener("input", refreshChoices);
  addRow.hidden = rows.children.length >= maxRows;
  addRow.addEventListener("click", newRow);
  commitReveal.addEventListener("change", showWindows);
  showWindows();
})();
