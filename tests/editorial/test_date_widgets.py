"""Every date and time field of the project renders ISO and reads it back, in every language.

A browser's ``datetime-local`` / ``date`` input accepts only ISO values; a localised value
(``10/12/2026 08:00:00`` in French) is shown empty and submitted empty. The forms are
discovered by walking the project's modules, so a new date field cannot escape this check.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.conf import settings
from django.utils import timezone, translation

from editorial.forms.dates import LocalDateField, LocalDateTimeField, LocalTimeField

APPS = ("accounts", "charter", "editorial", "publishing", "config")
PARIS = ZoneInfo("Europe/Paris")
WHEN = datetime(2026, 12, 10, 8, 0, tzinfo=PARIS)
DAY = date(2026, 12, 10)
VALUE = re.compile(r'value="([^"]*)"')
TYPE = re.compile(r'type="([^"]*)"')


def _project_forms() -> Iterator[type[forms.BaseForm]]:
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or info.name.endswith(("wsgi", "asgi")):
                continue
            importlib.import_module(info.name)
    seen: set[type[forms.BaseForm]] = set()
    stack: list[type[forms.BaseForm]] = [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    for cls in sorted(seen, key=lambda c: f"{c.__module__}.{c.__qualname__}"):
        if cls.__module__.split(".")[0] in APPS:
            yield cls


def _temporal_fields() -> list[tuple[str, forms.Field]]:
    found: list[tuple[str, forms.Field]] = []
    for form in _project_forms():
        for name, field in getattr(form, "base_fields", {}).items():
            if isinstance(field, forms.DateField | forms.DateTimeField | forms.TimeField):
                found.append((f"{form.__module__}.{form.__qualname__}.{name}", field))
    return found


FIELDS = _temporal_fields()
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def test_date_widgets_the_discovery_finds_the_known_fields() -> None:
    # If the walk found nothing, the round trip below would pass vacuously.
    names = {name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1] for name, _ in FIELDS}
    assert {
        "PostForm.requested_publish_at",
        "PostForm.embargo_until",
        "ScheduleForm.at",
        "ConsultationForm.deadline",
        "DelegationForm.starts_on",
        "DelegationForm.ends_on",
    } <= names


@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[n for n, _ in FIELDS])
def test_date_widgets_every_field_uses_the_iso_widget(name: str, field: forms.Field) -> None:
    assert isinstance(field, LocalDateTimeField | LocalDateField | LocalTimeField), name


def _rendered(field: forms.Field, value: object) -> tuple[str, str]:
    html = field.widget.render("f", field.prepare_value(value))
    type_match, value_match = TYPE.search(html), VALUE.search(html)
    assert type_match and value_match, html
    return type_match.group(1), value_match.group(1)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[n for n, _ in FIELDS])
def test_date_widgets_round_trip_in_every_language(
    name: str, field: forms.Field, language: str
) -> None:
    with translation.override(language), timezone.override(PARIS):
        if isinstance(field, forms.DateTimeField):
            kind, shown = _rendered(field, WHEN)
            assert (kind, shown) == ("datetime-local", "2026-12-10T08:00")
            assert field.clean(shown) == WHEN
        elif isinstance(field, forms.TimeField):
            kind, shown = _rendered(field, WHEN.time())
            assert (kind, shown) == ("time", "08:00")
            assert field.clean(shown) == WHEN.time().replace(tzinfo=None)
        else:
            kind, shown = _rendered(field, DAY)
            assert (kind, shown) == ("date", "2026-12-10")
            assert field.clean(shown) == DAY


@pytest.mark.parametrize("language", LANGUAGES)
def test_date_widgets_show_the_time_in_the_current_time_zone(language: str) -> None:
    field = LocalDateTimeField()
    utc = datetime(2026, 12, 10, 7, 0, tzinfo=ZoneInfo("UTC"))
    with translation.override(language), timezone.override(PARIS):
        assert _rendered(field, utc)[1] == "2026-12-10T08:00"
        assert "Europe/Paris" in str(field.help_text)


def test_date_widgets_plain_django_widget_is_not_iso_in_french() -> None:
    # The defect these fields fix: Django's own widget localises the value.
    plain = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    with translation.override("fr"), timezone.override(PARIS):
        assert _rendered(plain, WHEN)[1] == "10/12/2026 08:00:00"


def test_date_widgets_time_zone_help_is_translated() -> None:
    with translation.override("fr"), timezone.override(PARIS):
        assert str(LocalDateTimeField().help_text) == "Fuseau horaire\u00a0: Europe/Paris"


def test_date_widgets_a_time_shown_to_the_minute_is_not_a_change() -> None:
    field = LocalDateTimeField()
    with timezone.override(PARIS):
        stored = WHEN.replace(second=30)
        assert not field.has_changed(stored, "2026-12-10T08:00")
        assert field.has_changed(stored, "2026-12-10T08:01")
        assert field.has_changed(stored, "")
