// The warning before a logged-in session ends (WCAG 2.2.1), and the local copies cleared at
// logout. Progressive enhancement: without this file the session simply ends at its limits.
//
// - templates/_session_timeout.html gives, on every logged-in page, a <dialog> with the seconds
//   the session has left (data-seconds-left: the idle timeout or the session's longest life,
//   whichever is first) and how long before the end to warn (data-warn-before).
// - At that moment the dialog opens (modal, focus on "Stay logged in") and says at what time
//   the person will be logged out. "Stay logged in" posts to the keep-alive endpoint, which
//   starts the idle time again and answers the new seconds left; the dialog closes, focus goes
//   back where it was, and the clock starts again. Another tab of the site hears of it through
//   localStorage and moves its own clock on.
// - When the time has run out the dialog says so and links to the login page.
// - The local copies of forms (autosave.js keeps them in localStorage under "samverket-...",
//   with the contact's name, email and phone) are removed when the logout form is submitted,
//   when the time has run out, when the keep-alive answers that the person is no longer logged
//   in, and on any page shown to an anonymous visitor (where logout and an ended session land),
//   so a shared computer keeps nothing of the person.
(function () {
  "use strict";

  var LOCAL_COPY_PREFIX = "samverket-";
  var SYNC_KEY = "samverketSessionEndsAt"; // not a local copy: no prefix, holds only a time

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null; // private mode or storage disabled
    }
  }

  function clearLocalCopies() {
    var store = storage();
    if (!store) {
      return;
    }
    var keys = [];
    for (var i = 0; i < store.length; i += 1) {
      var key = store.key(i);
      if (key && key.indexOf(LOCAL_COPY_PREFIX) === 0) {
        keys.push(key);
      }
    }
    keys.forEach(function (key) {
      store.removeItem(key);
    });
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function clockTime(moment) {
    var date = new Date(moment);
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function init() {
    var box = document.getElementById("session-timeout");
    if (!box) {
      return;
    }
    if (box.hasAttribute("data-anonymous")) {
      clearLocalCopies();
      return;
    }

    var logoutUrl = box.getAttribute("data-logout-url");
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if (form.getAttribute("action") === logoutUrl) {
        form.addEventListener("submit", clearLocalCopies);
      }
    });

    var secondsLeft = parseInt(box.getAttribute("data-seconds-left"), 10);
    var warnBefore = parseInt(box.getAttribute("data-warn-before"), 10) || 0;
    if (isNaN(secondsLeft) || !window.fetch) {
      return;
    }
    var heading = document.getElementById("session-timeout-heading");
    var text = document.getElementById("session-timeout-text");
    var form = box.querySelector("form");
    var keepButton = box.querySelector("[data-session-keep-alive]");
    var closeButton = box.querySelector("[data-session-close]");
    var loginLink = box.querySelector("[data-session-login]");
    var endsAt = 0;
    var warnTimer = null;
    var endTimer = null;
    var returnFocus = null;
    var busy = false;
    // Whether the last keep-alive could not move the end on: the session's longest life is near.
    var lastAnswerWasFinal = false;

    function open(focusOn) {
      if (!box.open) {
        returnFocus = document.activeElement;
        if (box.showModal) {
          box.showModal();
        } else {
          box.setAttribute("open", "");
        }
      }
      focusOn.focus();
    }

    function close() {
      if (box.open) {
        if (box.close) {
          box.close();
        } else {
          box.removeAttribute("open");
        }
      }
      if (returnFocus && returnFocus.focus) {
        returnFocus.focus();
      }
      returnFocus = null;
    }

    function warn() {
      // Close to the session's longest life, staying logged in no longer moves the end on.
      var final = lastAnswerWasFinal;
      text.textContent = text
        .getAttribute(final ? "data-final-text" : "data-warning-text")
        .replace("__TIME__", clockTime(endsAt));
      keepButton.hidden = final;
      open(final ? closeButton : keepButton);
    }

    function expired() {
      clearTimeout(warnTimer);
      heading.textContent = heading.getAttribute("data-expired-text");
      text.textContent = text.getAttribute("data-expired-text");
      keepButton.hidden = true;
      closeButton.hidden = true;
      loginLink.hidden = false;
      clearLocalCopies();
      open(loginLink);
    }

    function schedule(seconds) {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      endsAt = Date.now() + seconds * 1000;
      warnTimer = window.setTimeout(warn, Math.max(seconds - warnBefore, 0) * 1000);
      endTimer = window.setTimeout(expired, seconds * 1000);
    }

    function failed() {
      text.textContent = text.getAttribute("data-failed-text");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      fetch(form.getAttribute("action"), {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": token ? token.value : "",
          "X-Requested-With": "fetch",
          Accept: "application/json",
        },
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          if (result.ok && result.data.authenticated) {
            var seconds = result.data.seconds_left;
            lastAnswerWasFinal = seconds <= warnBefore;
            close();
            schedule(seconds);
            var store = storage();
            if (store) {
              try {
                store.setItem(SYNC_KEY, String(endsAt));
              } catch (e) {
                // Quota exceeded: the other tabs warn on their own clock.
              }
            }
          } else if (result.data && result.data.authenticated === false) {
            expired();
          } else {
            failed();
          }
        })
        .catch(failed)
        .then(function () {
          busy = false;
        });
    });

    // "Close" (or Escape, which the dialog handles itself) only hides the warning: the clock
    // keeps running and the end comes as announced.
    closeButton.addEventListener("click", close);

    // This page talked to the server (an autosave): the session's idle time started again.
    document.addEventListener("samverket:session-active", function (event) {
      var seconds = event.detail && event.detail.secondsLeft;
      if (typeof seconds !== "number" || !loginLink.hidden) {
        return;
      }
      lastAnswerWasFinal = seconds <= warnBefore;
      if (box.open && !lastAnswerWasFinal) {
        close();
      }
      schedule(seconds);
      var store = storage();
      if (store) {
        try {
          store.setItem(SYNC_KEY, String(endsAt));
        } catch (e) {
          // Quota exceeded: the other tabs warn on their own clock.
        }
      }
    });

    // Another tab kept the session alive: move this tab's clock on too.
    window.addEventListener("storage", function (event) {
      if (event.key !== SYNC_KEY || !event.newValue) {
        return;
      }
      var otherEndsAt = parseInt(event.newValue, 10);
      if (otherEndsAt > endsAt) {
        if (box.open && loginLink.hidden) {
          close(); // a warning, not the notice that the session has ended
        }
        schedule(Math.round((otherEndsAt - Date.now()) / 1000));
      }
    });

    schedule(secondsLeft);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
