// A background job's page (templates/applications/jobs/detail.html): while the job runs, ask its
// progress URL every two seconds and move the <progress> bar and its "12 of 500" text; when the
// state changes, say so in the polite live region; when the job has finished, reload the page,
// which then shows the result. Progressive enhancement: without this file the page's "Refresh"
// link does the same by hand.
(function () {
  "use strict";

  var INTERVAL = 2000;

  function start() {
    var box = document.getElementById("job");
    if (!box || !box.getAttribute("data-progress-url") || !window.fetch) {
      return;
    }
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-job-text]");
    var state = box.querySelector("[data-job-state]");
    var lastState = null;

    function poll() {
      window
        .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (data) {
          if (data.total) {
            bar.max = data.total;
            bar.value = data.done;
          }
          bar.textContent = data.text;
          text.textContent = data.text;
          if (data.finished) {
            window.location.reload();
            return;
          }
          if (lastState !== null && data.state !== lastState) {
            state.textContent = data.state_text;
          }
          lastState = data.state;
          window.setTimeout(poll, INTERVAL);
        })
        .catch(function () {
          // A dropped connection or an ended session: stop; the Refresh link still works.
        });
    }

    window.setTimeout(poll, INTERVAL);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
