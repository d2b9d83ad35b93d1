// The approval chain form: each step shows only the fields its kind of approver uses (a role
// and a unit, a group, or how many levels up). Without JavaScript every field stays shown;
// a field with an error is never hidden.
(function () {
  "use strict";
  var NEEDS = {
    role_in_unit: ["role", "unit"],
    group: ["group"],
    hierarchy: ["levels_up"],
    account_reviewers: [],
    electoral: [],
  };
  var OPTIONAL = ["role", "unit", "group", "levels_up"];

  function sync(step) {
    var kind = step.querySelector("select[name$='-kind']");
    if (!kind) {
      return;
    }
    var shown = NEEDS[kind.value] || OPTIONAL;
    OPTIONAL.forEach(function (name) {
      var box = step.querySelector("[data-field='" + name + "']");
      if (box) {
        box.hidden = shown.indexOf(name) < 0 && !box.querySelector(".fr-message--error");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".pv-step").forEach(function (step) {
      sync(step);
      step.addEventListener("change", function (event) {
        if (/-kind$/.test(event.target.name || "")) {
          sync(step);
        }
      });
    });
  });
})();
