// Autosave for the application form. Progressive enhancement: without this file the form
// works fully with its "Save draft" button.
//
// - Every ~20 s (when something changed) and when a field loses focus, the form is posted in
//   the background to its data-autosave-url; the server answers {"saved_at": "HH:MM",
//   "budget_saved": bool} (false while a budget line is half typed: the other fields are
//   saved, the budget is not, and "edit_version": n) or 400 {"errors": [...]}. The result is
//   announced in an aria-live region.
// - The form carries the edit_version it was read at, and each save answers the new one, which
//   is put back into the form. When another tab or a colleague saved in between, the server
//   answers 409 {"conflict": true, "errors": [...]}, writes nothing, and autosave stops: the
//   message is announced, and the Save draft button shows the saved text beside this page's.
// - Every change is also kept in localStorage, so nothing typed is lost if the browser closes
//   between saves. When the page opens with a local copy newer than the server's last save,
//   the person is offered to restore it (never restored silently).
(function () {
  "use strict";

  var INTERVAL_MS = 20000;

  function init() {
    var form = document.getElementById("application-form");
    if (!form || !window.fetch || !window.FormData) {
      return;
    }
    var url = form.getAttribute("data-autosave-url");
    var key = form.getAttribute("data-storage-key");
    var serverSaved = parseInt(form.getAttribute("data-server-saved"), 10) || 0;
    var status = document.getElementById("autosave-status");
    var restoreBox = document.getElementById("autosave-restore");
    var versionField = form.querySelector("input[name=edit_version]");
    var dirty = false;
    var saving = false;
    var stopped = false; // after a conflict: no more background saves from this page
    var submitWaiting = false; // a submit waits for a background save to answer
    var submitButton = null; // ... and the button it was made with

    function storage() {
      try {
        return window.localStorage;
      } catch (e) {
        return null; // private mode or storage disabled
      }
    }

    function fields() {
      var entries = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrfmiddlewaretoken" && typeof value === "string") {
          entries.push([name, value]);
        }
      });
      return entries;
    }

    function keepLocalCopy() {
      var store = storage();
      if (!store) {
        return;
      }
      try {
        store.setItem(key, JSON.stringify({ savedAt: Date.now(), fields: fields() }));
      } catch (e) {
        // Quota exceeded: the server save still runs.
      }
    }

    function dropLocalCopy() {
      var store = storage();
      if (store) {
        store.removeItem(key);
      }
    }

    function announce(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function save() {
      if (!dirty || saving || stopped) {
        return;
      }
      saving = true;
      dirty = false;
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch" },
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          if (result.ok && result.data.saved_at) {
            if (versionField && result.data.edit_version !== undefined) {
              versionField.value = String(result.data.edit_version);
            }
            if (typeof result.data.session_seconds_left === "number") {
              // A save is activity: the session warning (session.js) starts its clock again.
              document.dispatchEvent(
                new CustomEvent("samverket:session-active", {
                  detail: { secondsLeft: result.data.session_seconds_left },
                })
              );
            }
            if (result.data.budget_saved === false) {
              // A budget line is half typed: the server kept its old budget, so the local
              // copy stays until the line is complete and saved.
              dirty = true;
            } else {
              dropLocalCopy();
            }
            announce(status.getAttribute("data-saved-text").replace("__TIME__", result.data.saved_at));
          } else if (result.data && result.data.conflict) {
            // Keep what was typed (here and in the local copy); never retry over the other save.
            stopped = true;
            dirty = true;
            announce((result.data.errors || []).join(" "));
          } else {
            dirty = true;
            var errors = (result.data && result.data.errors) || [];
            announce(status.getAttribute("data-failed-text") + (errors.length ? " " + errors.join(" ") : ""));
          }
        })
        .catch(function () {
          dirty = true;
          announce(status.getAttribute("data-failed-text"));
        })
        .then(function () {
          saving = false;
          if (submitWaiting) {
            // The form waited for this save so that it carries the version the save answered.
            submitWaiting = false;
            if (form.requestSubmit) {
              form.requestSubmit(submitButton || undefined);
            } else {
              form.submit();
            }
          }
        });
    }

    function restore(entries) {
      var seen = {};
      entries.forEach(function (entry) {
        var name = entry[0];
        var value = entry[1];
        var elements = form.elements.namedItem(name);
        if (!elements) {
          return;
        }
        var list = elements.length !== undefined && !elements.tagName ? elements : [elements];
        Array.prototype.forEach.call(list, function (element) {
          if (element.type === "checkbox" || element.type === "radio") {
            element.checked = element.value === value;
          } else if (element.type !== "file" && element.type !== "hidden") {
            element.value = value;
          }
        });
        seen[name] = true;
      });
      // A checkbox that was unticked is absent from the saved entries.
      Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]"), function (box) {
        if (!seen[box.name]) {
          box.checked = false;
        }
      });
    }

    function offerRestore() {
      var store = storage();
      var raw = store && store.getItem(key);
      if (!raw || !restoreBox) {
        return;
      }
      var copy;
      try {
        copy = JSON.parse(raw);
      } catch (e) {
        dropLocalCopy();
        return;
      }
      if (!copy || !copy.savedAt || copy.savedAt <= serverSaved) {
        dropLocalCopy(); // the server has everything this copy has
        return;
      }
      restoreBox.hidden = false;
      restoreBox.querySelector("[data-autosave-restore]").addEventListener("click", function () {
        restore(copy.fields || []);
        restoreBox.hidden = true;
        dirty = true;
        save();
      });
      restoreBox.querySelector("[data-autosave-discard]").addEventListener("click", function () {
        dropLocalCopy();
        restoreBox.hidden = true;
      });
    }

    function changed() {
      dirty = true;
      keepLocalCopy();
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("focusout", save);
    form.addEventListener("submit", function (event) {
      if (saving) {
        // A background save is on its way; submitting now would carry the version from before
        // it and be refused as a conflict with this very page.
        event.preventDefault();
        submitWaiting = true;
        submitButton = event.submitter || null;
        return;
      }
      // The full save is on its way; the local copy would only offer stale data later.
      dropLocalCopy();
    });
    window.setInterval(save, INTERVAL_MS);
    offerRestore();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
