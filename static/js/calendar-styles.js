// Loaded before FullCalendar (deferred scripts run in order). FullCalendar 6 writes its CSS
// rule by rule (CSSOM insertRule) into a <style data-fullcalendar> element, the one it finds
// or one it makes. It is made here, with the page's CSP nonce (style-src carries it on the
// calendar page only), before calendar.css so that our rules win at equal specificity.
// FullCalendar's icon font is a data: URI, which the Content-Security-Policy refuses
// (font-src 'self'): its @font-face rule is left out, and the buttons carry words instead of
// icons (buttonIcons: false in calendar.js).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csp-nonce"]');
  var ours = document.querySelector('link[rel="stylesheet"][href*="calendar.css"]');
  if (!meta || document.querySelector("style[data-fullcalendar]")) return;
  var style = document.createElement("style");
  style.setAttribute("data-fullcalendar", "");
  style.nonce = meta.getAttribute("content");
  document.head.insertBefore(style, ours || null);
  var sheet = style.sheet;
  if (!sheet) return;
  var insert = sheet.insertRule.bind(sheet);
  sheet.insertRule = function (rule, index) {
    if (/^\s*@font-face/i.test(rule)) return sheet.cssRules.length;
    // FullCalendar counts the rules it sent: one left out shifts the later indexes by one.
    return insert(rule, Math.min(index || 0, sheet.cssRules.length));
  };
})();
