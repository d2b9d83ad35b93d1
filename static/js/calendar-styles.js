// Loaded before FullCalendar (deferred scripts run in order). FullCalendar 6 writes its CSS
// into a <style data-fullcalendar> element rule by rule (CSSOM insertRule); it finds the one
// the page already has (editorial/calendar.html, with the CSP nonce). Its icon font is a
// data: URI, which the Content-Security-Policy refuses (font-src 'self'): its @font-face rule
// is left out here, and the buttons carry words instead of icons (buttonIcons: false).
(function () {
  "use strict";
  var style = document.querySelector("style[data-fullcalendar]");
  if (!style || !style.sheet) return;
  var sheet = style.sheet;
  var insert = sheet.insertRule.bind(sheet);
  sheet.insertRule = function (rule, index) {
    if (/^\s*@font-face/i.test(rule)) return sheet.cssRules.length;
    // FullCalendar counts the rules it sent: one left out shifts the later indexes by one.
    return insert(rule, Math.min(index || 0, sheet.cssRules.length));
  };
})();
