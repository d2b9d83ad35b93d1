"""The publication calendar: a server-rendered list of a month or a week (it works without
JavaScript), the JSON feed FullCalendar reads, and the move of a scheduled post by drag and drop.

Times on the calendar are wall-clock times in the site's time zone (``TIME_ZONE``; accounts
have none of their own), written without an offset: FullCalendar runs in UTC mode and shows
them as they are, whatever the browser's zone, and a dropped time comes back the same way and
is read by the schedule form's own field (a time that does not exist or happens twice on a
clock-change night is refused in words).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import SocialAccount, User
from editorial import selectors, services
from editorial.forms.review import ScheduleForm
from editorial.models import Post, PostState
from editorial.selectors import calendar as cal
from editorial.views.common import request_user

PERIODS = ("month", "week")
FULLCALENDAR = "vendor/fullcalendar/index.global.min.js"
# Far enough for any archive or plan; outside, the time zone arithmetic and the database's
# dates overflow (year 1 in Paris is in year 0 in UTC).
YEARS = range(1900, 9000)


def fullcalendar_installed() -> bool:
    """Whether ``make assets`` installed FullCalendar: without it the page is its list."""
    return bool(finders.find(FULLCALENDAR))


def wall_clock(moment: datetime) -> str:
    """An instant as the site's wall-clock time, without offset (FullCalendar's UTC mode)."""
    return timezone.localtime(moment).replace(tzinfo=None).isoformat(timespec="seconds")


def _local(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(0)))


def _period(anchor: date, period: str) -> tuple[date, date]:
    if period == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=7)
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def _account(user: User, raw: str) -> SocialAccount | None:
    """The filtered account, among those the user holds a grant on; "" for all. Another
    account's id is no error to explain: it is not one of the choices."""
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ValueError(_("Choose an account from the list."))
    found = cal.calendar_accounts(user).filter(pk=int(raw)).first()
    if found is None:
        raise ValueError(_("Choose an account from the list."))
    return found


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """The month (or week) as a table, with the account filter and the previous and next
    periods as plain links; ``calendar.js`` turns it into FullCalendar when it loads."""
    user = request_user(request)
    period = request.GET.get("period", "month")
    period = period if period in PERIODS else "month"
    anchor = _anchor(request.GET.get("date", "")) or timezone.localdate()
    try:
        account = _account(user, request.GET.get("account", ""))
    except ValueError as exc:
        return _page(request, user, None, anchor, period, error=str(exc), status=400)
    return _page(request, user, account, anchor, period)


def _anchor(raw: str) -> date | None:
    """The day the shown period contains; None (today) when missing or not a date."""
    if len(raw) > 10 or not raw.isascii():
        return None
    try:
        day = parse_date(raw)
    except ValueError:  # well formed but no such day (2026-02-31)
        return None
    return day if day is not None and day.year in YEARS else None


def _page(
    request: HttpRequest,
    user: User,
    account: SocialAccount | None,
    anchor: date,
    period: str,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    first, following = _period(anchor, period)
    start, end = _local(first), _local(following)
    entries = cal.calendar_entries(user, start=start, end=end, account=account)
    bands = cal.calendar_bands(user, start=start, end=end, account=account)
    base = {"period": period, **({"account": account.pk} if account else {})}
    context: dict[str, Any] = {
        "entries": entries,
        "bands": bands,
        "accounts": cal.calendar_accounts(user),
        "account": account,
        "period": period,
        "first": first,
        "anchor": anchor,
        "last": following - timedelta(days=1),
        "previous": {**base, "date": _period(first - timedelta(days=1), period)[0].isoformat()},
        "next": {**base, "date": following.isoformat()},
        "time_zone": timezone.get_current_timezone_name(),
        "now": wall_clock(timezone.now()),
        "error": error,
        "states": _legend(),
        "fullcalendar": fullcalendar_installed(),
    }
    return render(request, "editorial/calendar.html", context, status=status)


def _legend() -> list[tuple[str, str]]:
    return [(str(state.value), str(state.label)) for state in cal.CALENDAR_STATES]


def _range(request: HttpRequest) -> tuple[datetime, datetime]:
    """The feed's start and end: wall-clock times (FullCalendar's UTC mode sends them with a
    "Z" that means "as shown") or plain dates."""
    moments = []
    for name in ("start", "end"):
        raw = request.GET.get(name, "")
        if not raw or len(raw) > 40 or not raw.isascii():
            raise ValueError(_("Give the start and the end of the period."))
        try:
            parsed = parse_datetime(raw)
            day = None if parsed else parse_date(raw)
        except ValueError:
            parsed, day = None, None
        if parsed is not None:
            day = parsed.date()
        if day is None:
            raise ValueError(_("“%(value)s” is not a date.") % {"value": raw})
        if day.year not in YEARS:
            raise ValueError(_("“%(value)s” is too far in time.") % {"value": raw})
        naive = (
            parsed.replace(tzinfo=None) if parsed is not None else datetime.combine(day, time(0))
        )
        moments.append(timezone.make_aware(naive))
    return moments[0], moments[1]


@login_required
@require_GET
def calendar_events(request: HttpRequest) -> JsonResponse:
    """The posts and bands of one range, as FullCalendar's event objects."""
    user = request_user(request)
    try:
        start, end = _range(request)
        account = _account(user, request.GET.get("account", ""))
        cal.check_range(start, end)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    entries = cal.calendar_entries(user, start=start, end=end, account=account)
    bands = cal.calendar_bands(user, start=start, end=end, account=account)
    events = [event_of(e) for e in entries] + [_band_event(b, end=end) for b in bands]
    return JsonResponse(events, safe=False)


def event_of(entry: cal.CalendarEntry) -> dict[str, Any]:
    post = entry.post
    state = post.get_state_display()
    accounts = ", ".join(str(a) for a in post.accounts.all())
    return {
        "id": str(post.pk),
        # The state in words first: the colour is never the only cue.
        "title": f"{state} · {post.title}",
        "start": wall_clock(entry.at),
        "allDay": False,
        "url": reverse("editorial:post", args=[post.pk]),
        "classNames": [f"pv-state-{post.state}"],
        "editable": entry.movable,
        "extendedProps": {
            "state": post.state,
            "stateLabel": str(state),
            "accounts": accounts,
            "moveUrl": reverse("editorial:calendar_move", args=[post.pk]) if entry.movable else "",
        },
    }


def _band_event(band: cal.Band, *, end: datetime) -> dict[str, Any]:
    return {
        "title": band.label,
        "start": wall_clock(band.start),
        "end": wall_clock(band.end or end),
        "display": "background",
        "classNames": [f"pv-band-{band.kind}"],
        "extendedProps": {"band": band.kind},
    }


@login_required
@require_POST
def calendar_move(request: HttpRequest, pk: int) -> JsonResponse:
    """A dropped post, scheduled again at the dropped time through ``post_schedule`` (the
    same right, time and charter checks as the post page's schedule form). A refusal comes
    back in words with a 400 (403 without the right): the calendar puts the post back."""
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    form = ScheduleForm({"at": request.POST.get("at", "")})
    if not form.is_valid():
        return JsonResponse({"error": " ".join(str(e) for e in form["at"].errors)}, status=400)
    at = form.cleaned_data["at"]
    try:
        services.post_schedule(post=post, by=user, at=at)
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except services.EditorialError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    post.refresh_from_db()
    when = formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")
    if post.state == PostState.IN_REVIEW:
        # Its approval policy wants the new time approved: the event leaves the calendar.
        return JsonResponse(
            {"message": back_to_review_message(post, when), "review": True, "start": ""}
        )
    message = _("Scheduled for %(at)s.") % {"at": when}
    frozen = selectors.freeze_state().blocks({a.pk for a in post.accounts.all()})
    if frozen:
        message += " " + _("Publishing is frozen on its account: it waits until it is lifted.")
    return JsonResponse(
        {"message": message, "start": wall_clock(at), "frozen": frozen, "review": False}
    )


def back_to_review_message(post: Post, when: str) -> str:
    """What a move that needs a new approval says (the calendar and the post page)."""
    return _(
        "Not scheduled: its approval policy wants a new time approved again. Post #%(id)s "
        "went back to review for %(at)s (%(tier)s); a publisher schedules it once approved."
    ) % {"id": post.pk, "at": when, "tier": post.get_tier_display()}
