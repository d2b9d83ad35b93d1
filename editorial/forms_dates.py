"""Date and time fields that a browser's date pickers understand in every language.

A ``datetime-local`` (or ``date``) input accepts only ISO values (``2026-12-10T08:00``).
Django renders a date with the active language's first input format (``10/12/2026
08:00:00`` in French): Chromium rejects such a value, shows the field empty and submits it
empty, which erased embargoes on edit. These fields always render and parse ISO, whatever the
language, and say in which time zone the time is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext

# What the browser sends and expects back; minutes only, as the pickers show them.
ISO_DATETIME = "%Y-%m-%dT%H:%M"
ISO_DATETIME_INPUTS = [ISO_DATETIME, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
ISO_DATE = "%Y-%m-%d"


def _time_zone_help() -> str:
    # Read when the page renders: the time zone the value is shown and parsed in.
    return gettext("Time zone: %(zone)s") % {"zone": timezone.get_current_timezone_name()}


time_zone_help = lazy(_time_zone_help, str)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATETIME)


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` field read in the current time zone, to the minute."""

    widget = LocalDateTimeInput
    input_formats = ISO_DATETIME_INPUTS

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", time_zone_help())
        super().__init__(**kwargs)

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


class LocalDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)


class LocalDateField(forms.DateField):
    """A ``date`` field, ISO in every language."""

    widget = LocalDateInput
    input_formats = [ISO_DATE]
