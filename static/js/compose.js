// The compose and edit page (compose.html), from a static file: the Content-Security-Policy
// refuses inline scripts (script-src 'self').
(function () {
  "use strict";

  var form = document.getElementById("compose-form");
  if (!form) {
    return;
  }

  // --- The image being attached -----------------------------------------------------------
  // The live check only needs to know whether an image is attached and its name, not its
  // bytes. Listened to while the event goes down (capture), so the fields are set before htmx,
  // listening on the form as it comes back up, sends the change: the missing alt text shows as
  // soon as the image is chosen, not at the next keystroke.
  document.addEventListener("change", function (e) {
    var hasImage = document.getElementById("has_image");
    var imageName = document.getElementById("image_name");
    if (e.target && e.target.name === "image" && hasImage && imageName) {
      var file = e.target.files.length ? e.target.files[0] : null;
      hasImage.value = file ? "1" : "0";
      imageName.value = file ? file.name : "";
    }
  }, true);

  // --- The content warning of the previews stays open (or folded) as the author left it ---
  var warningsOpen = false;
  document.addEventListener("toggle", function (e) {
    if (e.target && e.target.classList && e.target.classList.contains("pv-cw")) {
      warningsOpen = e.target.open;
    }
  }, true);
  document.body.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("#previews details.pv-cw").forEach(function (d) {
      d.open = warningsOpen;
    });
  });

  // --- Autosave: a reload never loses typing ------------------------------------------------
  // What is typed is kept in this browser (localStorage) under a key naming the user, the post
  // (or "new") and the revision edited; the server's answer to a successful save tells
  // porte-voix.js to forget it (the pv_draft_saved cookie).
  var key = form.getAttribute("data-autosave-key");
  var storage = null;
  try {
    storage = window.localStorage;
  } catch (err) {
    storage = null; // storage refused (private mode, policy): no autosave, nothing breaks
  }
  if (!key || !storage) {
    return;
  }

  function saved(element) {
    var type = (element.type || "").toLowerCase();
    return element.name && !element.disabled && ["hidden", "file", "submit", "button", "reset", "password"].indexOf(type) === -1 &&
      element.name !== "csrfmiddlewaretoken";
  }

  function collect() {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!saved(el)) {
        return;
      }
      var type = (el.type || "").toLowerCase();
      values[el.name] = values[el.name] || [];
      if (type === "checkbox" || type === "radio") {
        if (el.checked) {
          values[el.name].push(el.value);
        }
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { values[el.name].push(o.value); });
      } else {
        values[el.name].push(el.value);
      }
    });
    return values;
  }

  function apply(values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!saved(el) || !Object.prototype.hasOwnProperty.call(values, el.name)) {
        return;
      }
      var given = values[el.name];
      var type = (el.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        el.checked = given.indexOf(el.value) !== -1;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = given.indexOf(o.value) !== -1; });
      } else if (given.length) {
        el.value = given[0];
      }
    });
  }

  var initial = JSON.stringify(collect());

  // Restored only on a page fresh from the server: a form sent back with errors already shows
  // what was typed, newer than any copy.
  if (form.getAttribute("data-autosave-restore") === "1") {
    var raw = storage.getItem(key);
    var draft = null;
    try {
      draft = raw ? JSON.parse(raw) : null;
    } catch (err) {
      draft = null;
    }
    if (draft && draft.values && JSON.stringify(draft.values) !== initial) {
      // Deferred scripts run before htmx's "load" trigger: the first live check sees the draft.
      apply(draft.values);
      var notice = document.getElementById("draft-restored");
      if (notice) {
        notice.hidden = false;
      }
    }
  }

  var timer = null;
  function store() {
    timer = null;
    if (document.documentElement.getAttribute("data-drafts-forgotten") === "1") {
      return; // logging out: porte-voix.js has just removed the copies
    }
    var now = JSON.stringify(collect());
    if (now === initial) {
      storage.removeItem(key);
      return;
    }
    try {
      storage.setItem(key, JSON.stringify({ savedAt: new Date().toISOString(), values: JSON.parse(now) }));
    } catch (err) {
      // Storage full: the page still works, only the copy is missing.
    }
  }
  function later() {
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(store, 400);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  // Leaving the page before the pause ends: write the copy now.
  window.addEventListener("pagehide", function () {
    if (timer) {
      window.clearTimeout(timer);
      store();
    }
  });

  var discard = document.getElementById("draft-discard");
  if (discard) {
    discard.addEventListener("click", function () {
      storage.removeItem(key);
      // A new GET of the page: the server's values, never a form sent again.
      window.location.replace(window.location.href);
    });
  }
})();
