// Budget lines on the application's edit page (templates/applications/applicant/_budget.html).
// Progressive enhancement: without this file the formset's empty rows take new lines, the
// "Remove" boxes remove lines at the next save, and the server's messages say whether the
// lines add up.
//
// - "Add another line" copies the <template> row (the formset's empty form) with the next
//   index and counts up TOTAL_FORMS, up to MAX_NUM_FORMS.
// - "Remove line N" ticks the row's DELETE box and hides the row: the next save (autosave or
//   the buttons) removes it, without a page load now.
// - The running total and its difference from the requested amount, in an aria-live region.
//   Only a guide: the server checks the budget when the application is submitted.
// - Amounts are read as the server reads them ("600 000", "600 000 kr", no-break spaces) and
//   shown with the thousands apart when a box is left.
(function () {
  "use strict";

  var SPACES = /[\s\u00a0\u202f\u2009]/g;
  var WHOLE = /^-?(\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+)(?:[.,]0{1,2})?[ \u00a0\u202f\u2009]*(?:kr\.?|sek)?$/i;

  // The number in an amount box: 0 when empty, null when it is not a whole number.
  function parseAmount(text) {
    var value = (text || "").trim().replace(/\u2212/, "-");
    if (value === "") {
      return 0;
    }
    var match = WHOLE.exec(value);
    if (!match) {
      return null;
    }
    var digits = match[1].replace(SPACES, "");
    return value.charAt(0) === "-" ? -parseInt(digits, 10) : parseInt(digits, 10);
  }

  function groups(number) {
    var sign = number < 0 ? "-" : "";
    return sign + String(Math.abs(number)).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
  }

  function kronor(number) {
    return groups(number) + "\u00a0kr";
  }

  function init() {
    var box = document.querySelector("[data-budget]");
    if (!box) {
      return;
    }
    var rows = box.querySelector("[data-budget-rows]");
    var template = box.querySelector("template[data-budget-template]");
    var total = box.querySelector("input[name$='-TOTAL_FORMS']");
    var max = box.querySelector("input[name$='-MAX_NUM_FORMS']");
    var summary = box.querySelector("[data-budget-summary]");
    var totalCell = box.querySelector("[data-budget-total]");
    var addButton = box.querySelector("[data-budget-add]");
    var requested = document.getElementById(box.getAttribute("data-requested-input"));
    var text = function (name) {
      return box.getAttribute("data-" + name + "-text") || "";
    };
    var announceTimer = null;

    function liveRows() {
      return Array.prototype.filter.call(rows.querySelectorAll("[data-budget-row]"), function (row) {
        return !row.hidden;
      });
    }

    function update() {
      var sum = 0;
      var invalid = false;
      liveRows().forEach(function (row) {
        var input = row.querySelector("input[data-budget-amount]");
        var amount = input ? parseAmount(input.value) : 0;
        if (amount === null) {
          invalid = true;
        } else {
          sum += amount;
        }
      });
      var sentence = text("total").replace("__TOTAL__", kronor(sum));
      var wanted = requested ? parseAmount(requested.value) : null;
      if (requested && requested.value.trim() !== "" && wanted !== null) {
        var difference = wanted - sum;
        if (difference === 0) {
          sentence += " " + text("equal");
        } else {
          sentence +=
            " " +
            text(difference > 0 ? "less" : "more")
              .replace("__AMOUNT__", kronor(Math.abs(difference)))
              .replace("__REQUESTED__", kronor(wanted));
        }
      }
      if (invalid) {
        sentence += " " + text("invalid");
      }
      if (totalCell) {
        totalCell.textContent = kronor(sum);
      }
      return sentence;
    }

    // The visible total follows every keystroke; the live region is told after a pause, so a
    // screen reader hears the result rather than every digit.
    function updateSoon() {
      var sentence = update();
      window.clearTimeout(announceTimer);
      announceTimer = window.setTimeout(function () {
        summary.textContent = sentence;
      }, 700);
    }

    function announce(message) {
      window.clearTimeout(announceTimer);
      summary.textContent = message + " " + update();
    }

    function tidy(input) {
      var amount = parseAmount(input.value);
      if (amount !== null && input.value.trim() !== "") {
        input.value = groups(amount);
      }
    }

    function addRemoveButton(row) {
      var checkbox = row.querySelector("input[type=checkbox][name$='-DELETE']");
      if (!checkbox || row.querySelector("[data-budget-remove]")) {
        return;
      }
      var cell = checkbox.closest("td");
      var number = row.getAttribute("data-number");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.setAttribute("data-budget-remove", "");
      button.textContent = box.getAttribute("data-remove-label").replace("__NUMBER__", number);
      // The box stays in the form (it is what the save reads); the button stands in for it.
      Array.prototype.forEach.call(cell.children, function (child) {
        child.hidden = true;
      });
      cell.appendChild(button);
      if (checkbox.checked) {
        row.hidden = true; // removed before a refused save: it stays removed
      }
      button.addEventListener("click", function () {
        checkbox.checked = true;
        checkbox.dispatchEvent(new Event("change", { bubbles: true }));
        row.hidden = true;
        announce(text("removed").replace("__NUMBER__", number));
        addButton.focus();
      });
    }

    function addRow() {
      var index = parseInt(total.value, 10);
      var limit = max ? parseInt(max.value, 10) : 1000;
      if (index >= limit) {
        announce(text("full"));
        return;
      }
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__NUMBER__/g, String(index + 1));
      var holder = document.createElement("tbody");
      holder.innerHTML = html.trim();
      var row = holder.querySelector("tr");
      rows.appendChild(row);
      total.value = String(index + 1);
      total.dispatchEvent(new Event("change", { bubbles: true }));
      addRemoveButton(row);
      announce(text("added").replace("__NUMBER__", String(index + 1)));
      var first = row.querySelector("select, input:not([type=hidden])");
      if (first) {
        first.focus();
      }
      if (index + 1 >= limit) {
        addButton.disabled = true;
      }
    }

    Array.prototype.forEach.call(rows.querySelectorAll("[data-budget-row]"), addRemoveButton);
    box.querySelector("[data-budget-actions]").hidden = false;
    var hint = box.querySelector("[data-budget-without-script]");
    if (hint) {
      hint.hidden = true;
    }
    addButton.addEventListener("click", addRow);
    rows.addEventListener("input", updateSoon);
    rows.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("input[data-budget-amount]")) {
        tidy(event.target);
      }
      updateSoon();
    });
    if (requested) {
      requested.addEventListener("input", updateSoon);
      requested.addEventListener("change", function () {
        tidy(requested);
        updateSoon();
      });
    }
    summary.textContent = update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
