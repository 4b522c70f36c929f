// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // A page whose form was refused opens with its error summary focused, so a screen reader
  // reads it first and a keyboard user goes from it straight to the fields it links.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusErrorSummary);
  } else {
    focusErrorSummary();
  }
})();
