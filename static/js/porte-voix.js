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

  // Compose: the live check only needs to know whether an image is attached and its name,
  // not its bytes. Listened to while the event goes down (capture), so the fields are set
  // before htmx, listening on the form as it comes back up, sends the change: the missing alt
  // text shows as soon as the image is chosen, not at the next keystroke.
  document.addEventListener("change", function (e) {
    var hasImage = document.getElementById("has_image");
    var imageName = document.getElementById("image_name");
    if (e.target && e.target.name === "image" && hasImage && imageName) {
      var file = e.target.files.length ? e.target.files[0] : null;
      hasImage.value = file ? "1" : "0";
      imageName.value = file ? file.name : "";
    }
  }, true);
})();
