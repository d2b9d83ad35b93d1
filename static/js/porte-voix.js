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
})();
