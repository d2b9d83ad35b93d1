// Porte-voix's few behaviours, from a static file: the Content-Security-Policy refuses inline
// scripts and event-handler attributes (script-src 'self').
(function () {
  "use strict";

  // A <select data-autosubmit> sends its form as soon as a choice is made (the language menu).
  document.addEventListener("change", function (e) {
    var target = e.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });

  // A post was saved: the server names, in the pv_draft_saved cookie, the copy of the compose
  // form that this browser kept (static/js/compose.js); it is no longer needed.
  var match = document.cookie.match(/(?:^|;\s*)pv_draft_saved=([^;]*)/);
  if (match) {
    var key = decodeURIComponent(match[1].replace(/^"|"$/g, ""));
    try {
      if (key.indexOf("pv-draft:") === 0) {
        window.localStorage.removeItem(key);
      }
    } catch (err) {
      // No storage: nothing was kept.
    }
    document.cookie = "pv_draft_saved=; Max-Age=0; path=/; SameSite=Lax";
  }

  // Copies of compose forms are personal and may be under embargo: they go when their author
  // logs out (a shared computer keeps nothing), and after DRAFT_DAYS in any case.
  var DRAFT_DAYS = 7;
  function forgetDrafts(all) {
    var storage;
    try {
      storage = window.localStorage;
    } catch (err) {
      return;
    }
    var limit = Date.now() - DRAFT_DAYS * 24 * 3600 * 1000;
    Object.keys(storage).forEach(function (key) {
      if (key.indexOf("pv-draft:") !== 0) {
        return;
      }
      var when = 0;
      try {
        when = Date.parse(JSON.parse(storage.getItem(key)).savedAt) || 0;
      } catch (err) {
        when = 0;
      }
      if (all || when < limit) {
        storage.removeItem(key);
      }
    });
  }
  forgetDrafts(false);
  document.addEventListener("submit", function (e) {
    var action = e.target && e.target.getAttribute ? e.target.getAttribute("action") || "" : "";
    if (/\/logout\/$/.test(action)) {
      // compose.js writes no copy after this (a field left on the way out fires "change").
      document.documentElement.setAttribute("data-drafts-forgotten", "1");
      forgetDrafts(true);
    }
  });
})();
