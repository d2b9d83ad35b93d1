// The publication calendar (editorial/calendar.html): FullCalendar over the server's JSON feed.
// The page works without it (the server-rendered list); this turns it into a calendar.
//
// Times are the site's wall-clock times written without an offset, and FullCalendar runs in
// UTC mode: it shows them as they are, whatever the browser's zone, and a dropped event's UTC
// fields are the wall-clock time the server reads back in the site's zone.
(function () {
  "use strict";

  var SMALL = 576; // px: below this, the list view (a month grid does not fit a phone)

  function statusBox() {
    return document.getElementById("calendar-status");
  }

  function say(text, kind) {
    var box = statusBox();
    if (!box) return;
    box.textContent = "";
    var alert = document.createElement("div");
    alert.className = "fr-alert fr-alert--sm fr-alert--" + kind;
    var p = document.createElement("p");
    p.textContent = text;
    alert.appendChild(p);
    box.appendChild(alert);
  }

  function wallClock(date) {
    // "YYYY-MM-DDTHH:MM" from the UTC fields: the wall-clock time shown (UTC mode).
    return date.toISOString().slice(0, 16);
  }

  function move(info, el) {
    var url = info.event.extendedProps.moveUrl;
    if (!url) {
      info.revert();
      return;
    }
    var body = new URLSearchParams();
    body.set("at", wallClock(info.event.start));
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": el.dataset.csrf,
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: body.toString()
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, data: data };
      });
    }).then(function (result) {
      if (result.ok && result.data.review) {
        // Its approval policy wants the new time approved: back in review, off the calendar
        // (which shows scheduled and published posts) until a publisher schedules it again.
        info.event.remove();
        say(result.data.message, "warning");
      } else if (result.ok) {
        // Accepted; under a freeze it waits for the lift, which deserves more than a tick.
        say(result.data.message, result.data.frozen ? "warning" : "success");
      } else {
        info.revert();
        say(result.data.error || el.dataset.networkError, "error");
      }
    }).catch(function () {
      info.revert();
      say(el.dataset.networkError, "error");
    });
  }

  function start() {
    var el = document.getElementById("calendar");
    if (!el || typeof window.FullCalendar === "undefined") return;
    var small = function () { return window.innerWidth < SMALL; };
    var wide = el.dataset.initialView || "dayGridMonth";
    var lang = (el.dataset.locale || "fr").toLowerCase();
    var calendar = new window.FullCalendar.Calendar(el, {
      timeZone: "UTC",
      locale: lang === "en" ? "en-gb" : lang,
      initialView: small() ? "listWeek" : wide,
      initialDate: el.dataset.initialDate || undefined,
      now: el.dataset.now || undefined,
      height: "auto",
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek"
      },
      // Words on the previous and next buttons: FullCalendar's icons are role="img" with no
      // text alternative (axe: role-img-alt).
      buttonIcons: false,
      eventDisplay: "block",
      displayEventEnd: false,
      editable: true,
      eventDurationEditable: false,
      events: {
        url: el.dataset.eventsUrl,
        extraParams: el.dataset.account ? { account: el.dataset.account } : {},
        failure: function () { say(el.dataset.loadError, "error"); }
      },
      eventDidMount: function (info) {
        var props = info.event.extendedProps;
        if (props.band) {
          info.el.setAttribute("title", info.event.title);
          return;
        }
        // The state in words and the accounts: the colour is never the only cue.
        info.el.setAttribute("title", info.event.title + (props.accounts ? " — " + props.accounts : ""));
        info.el.setAttribute("data-post", info.event.id);
      },
      // A day cell is named by its date link alone, while its text also holds the posts
      // (axe: label-content-name-mismatch); without the reference it is named by its content,
      // and the date link keeps its full date.
      dayCellDidMount: function (info) { info.el.removeAttribute("aria-labelledby"); },
      eventDrop: function (info) { move(info, el); },
      windowResize: function () {
        var view = calendar.view.type;
        if (small() && view !== "listWeek") calendar.changeView("listWeek");
        if (!small() && view === "listWeek") calendar.changeView(wide);
      }
    });
    calendar.render();
    el.classList.add("pv-calendar-on");
    // The calendar shows the same posts: its own navigation replaces the list's.
    var list = document.getElementById("calendar-list");
    if (list) list.hidden = true;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
