"""Date and time fields that a browser's date pickers understand in every language.

A ``datetime-local`` (or ``date``) input accepts only ISO values (``2026-12-10T08:00``).
Django renders a date with the active language's first input format (``10/12/2026
08:00:00`` in French): Chromium rejects such a value, shows the field empty and submits it
empty, which erased embargoes on edit. These fields always render and parse ISO, whatever the
language, and say in which time zone the time is read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

# What the browser sends and expects back; minutes only, as the pickers show them.
ISO_DATETIME = "%Y-%m-%dT%H:%M"
ISO_DATETIME_INPUTS = [ISO_DATETIME, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
ISO_DATE = "%Y-%m-%d"
ISO_TIME = "%H:%M"


def _time_zone_help() -> str:
    # Read when the page renders: the time zone the value is shown and parsed in.
    return gettext("Time zone: %(zone)s") % {"zone": timezone.get_current_timezone_name()}


time_zone_help = lazy(_time_zone_help, str)


# The years a time typed in a form may fall in. Far enough for any real schedule, embargo or
# deadline; near enough that converting it to UTC in any zone, or adding the days that
# reminders and late policies add, never leaves what Python and the database can hold
# (9999-12-31T23:59-14:00 and 0001-01-01T00:00+14:00 used to end in a 500).
EARLIEST_YEAR = 2000
LATEST_YEAR = 2999
# Longer than any way of writing a time: refused before it is parsed.
MAX_INPUT_LENGTH = 64


class _Folded(str):
    """The typed value with the instant chosen on a clock-change night (``fold``: 0 the first
    occurrence, 1 the second; None while not chosen)."""

    fold: int | None = None


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATETIME)
        # Set by the field when the typed time happens twice: (fold, label) for each instant.
        self.fold_choices: list[tuple[int, str]] = []
        self.fold_chosen: int | None = None

    @staticmethod
    def fold_name(name: str) -> str:
        return f"{name}_fold"

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        if not isinstance(value, str):
            return value
        folded = _Folded(value)
        chosen = data.get(self.fold_name(name))
        folded.fold = int(chosen) if chosen in ("0", "1") else None
        return folded

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        html = super().render(name, value, attrs, renderer)
        if not self.fold_choices:
            return html
        # The question the field asked: which of the two instants the author means.
        options = format_html_join(
            "",
            '<label class="check"><input type="radio" name="{}" value="{}"{}> {}</label>',
            (
                (self.fold_name(name), fold, " checked" if fold == self.fold_chosen else "", label)
                for fold, label in self.fold_choices
            ),
        )
        return format_html('{}<fieldset class="fold-choice">{}</fieldset>', html, options)


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` field read in the current time zone, to the minute.

    Every input ends as a time or as a form error in words: out-of-range years, times that do
    not exist (the spring gap, named) and times that happen twice (the autumn night: the
    widget then asks which of the two instants is meant).
    """

    widget = LocalDateTimeInput
    input_formats = ISO_DATETIME_INPUTS

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", time_zone_help())
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        fold = getattr(value, "fold", None)
        parsed = value if isinstance(value, datetime) else self._parse(str(value))
        _check_year(parsed)
        if timezone.is_aware(parsed):
            return parsed
        return self._localise(parsed, fold)

    def _parse(self, text: str) -> datetime:
        text = text.strip()
        if len(text) > MAX_INPUT_LENGTH or not text.isascii() or "\x00" in text:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            # The formats the browser and people type, tried one by one (BaseTemporalField).
            parsed = super(forms.DateTimeField, self).to_python(text)
        assert isinstance(parsed, datetime)
        return parsed

    def _localise(self, naive: datetime, fold: int | None) -> datetime:
        zone = timezone.get_current_timezone()
        first, second = (naive.replace(tzinfo=zone, fold=f) for f in (0, 1))
        if not _exists(first) and not _exists(second):
            start, end = _gap_around(naive, zone)
            raise forms.ValidationError(
                gettext(
                    "%(time)s does not exist on %(date)s in %(zone)s: the clocks go forward "
                    "from %(start)s to %(end)s that night. Choose a time before or after."
                ),
                code="nonexistent",
                params={
                    "time": naive.strftime("%H:%M"),
                    "date": naive.strftime(ISO_DATE),
                    "zone": str(zone),
                    "start": start.strftime("%H:%M"),
                    "end": end.strftime("%H:%M"),
                },
            )
        if first.utcoffset() == second.utcoffset():
            return first
        if fold in (0, 1):
            # In UTC: two aware times sharing one zone object compare as wall times, fold
            # ignored, and the second 02:30 would pass for the first.
            return (second if fold else first).astimezone(UTC)
        widget = self.widget
        if isinstance(widget, LocalDateTimeInput):
            widget.fold_choices = [(0, _instant_label(first)), (1, _instant_label(second))]
        raise forms.ValidationError(
            gettext(
                "%(time)s happens twice on %(date)s in %(zone)s, when the clocks go back: "
                "choose which of the two you mean."
            ),
            code="ambiguous",
            params={
                "time": naive.strftime("%H:%M"),
                "date": naive.strftime(ISO_DATE),
                "zone": str(zone),
            },
        )

    def bound_data(self, data: Any, initial: Any) -> Any:
        widget = self.widget
        if isinstance(widget, LocalDateTimeInput):
            widget.fold_chosen = getattr(data, "fold", None)
        return super().bound_data(data, initial)

    def has_changed(self, initial: Any, data: Any) -> bool:
        """Changed only if the minute shown differs: a stored time with seconds that comes
        back as shown is the same time, not an edit."""
        try:
            submitted = self.to_python(data)
        except forms.ValidationError:
            return True
        return _minute(initial) != _minute(submitted)


def _minute(value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return local.strftime(ISO_DATETIME)


def _check_year(value: datetime) -> None:
    """Refuse years outside the range, then any time whose UTC instant would leave it."""
    try:
        instant = value.astimezone(UTC) if timezone.is_aware(value) else value
    except (OverflowError, ValueError):
        instant = None
    if instant is None or not EARLIEST_YEAR <= instant.year <= LATEST_YEAR:
        raise forms.ValidationError(
            gettext("Enter a time between the years %(first)s and %(last)s."),
            code="out_of_range",
            params={"first": EARLIEST_YEAR, "last": LATEST_YEAR},
        )


def _exists(local: datetime) -> bool:
    """Whether the wall time ``local`` (aware, with its fold) is one the clocks show."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None, fold=0) == local.replace(tzinfo=None, fold=0)


def _gap_around(naive: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The wall times the clocks skip around ``naive``: [start, end). Gaps last hours at most."""
    minute = timedelta(minutes=1)
    start = naive
    while not _exists((start - minute).replace(tzinfo=zone)) and naive - start < timedelta(1):
        start -= minute
    end = naive
    while not _exists(end.replace(tzinfo=zone)) and end - naive < timedelta(1):
        end += minute
    return start, end


def _instant_label(local: datetime) -> str:
    """ "02:30 summer time (UTC+2)": the wall time, which side of the change, the offset."""
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    params = {"time": local.strftime("%H:%M"), "utc": utc}
    if local.dst():
        return gettext("%(time)s summer time (%(utc)s)") % params
    return gettext("%(time)s winter time (%(utc)s)") % params


class LocalDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)


class LocalDateField(forms.DateField):
    """A ``date`` field, ISO in every language."""

    widget = LocalDateInput
    input_formats = [ISO_DATE]


class LocalTimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_TIME)


class LocalTimeField(forms.TimeField):
    """A ``time`` field, ISO (``HH:MM``) in every language: a browser's time input reads no
    other form, as its date input reads only ISO dates."""

    widget = LocalTimeInput
    input_formats = [ISO_TIME, "%H:%M:%S"]
