"""The Django admin, kept for superusers, speaks French: every app, model and column label of
our four apps is translated (issue #15), and English readers get English."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.text import capfirst

from tests.factories import make_user

APPS = ("accounts", "charter", "editorial", "publishing")
# Words spelt the same in both languages: a label equal in fr and en is not a missed one.
SAME_IN_BOTH = {
    "notifications",
    "notification",
    "consultations",
    "consultation",
    "message",
    "mentions",
    "position",
    "SHA-256",
    "signature (MAC)",
    "session",
    "justification",
    "question",
    "mode",
    "quorum",
    "code",
    "ID",
}
SAME_LOWER = {word.lower() for word in SAME_IN_BOTH}


def _models() -> list[type[models.Model]]:
    return [m for m in admin.site._registry if m._meta.app_label in APPS]


def _labels(language: str) -> dict[str, str]:
    """Each app's and registered model's label as the admin index shows it."""
    with translation.override(language):
        labels = {app: str(apps.get_app_config(app).verbose_name) for app in APPS}
        for model in _models():
            labels[model._meta.label] = str(capfirst(model._meta.verbose_name_plural))
    return labels


@pytest.fixture
def superuser_client(db: None) -> Client:
    boss = make_user(username="boss", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(boss)
    return client


def test_admin_labels_differ_between_french_and_english() -> None:
    french, english = _labels("fr"), _labels("en")
    untranslated = [
        k for k in french if french[k] == english[k] and french[k].lower() not in SAME_LOWER
    ]
    assert untranslated == []
    assert french["accounts"] == "Comptes et organisation"
    assert french["charter"] == "Charte"
    assert french["editorial"] == "Rédaction"
    assert french["publishing"] == "Publication"
    assert french["accounts.OrgUnit"] == "Unités organisationnelles"
    assert french["accounts.Membership"] == "Rôles des membres"
    assert french["charter.ElectionWindow"] == "Périodes électorales"
    assert french["charter.Charter"] == "Chartes"
    assert french["editorial.Post"] == "Publications"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_admin_index_shows_every_label_in_the_readers_language(
    superuser_client: Client, language: str
) -> None:
    html = superuser_client.get(
        reverse("admin:index"), headers={"accept-language": language}
    ).content.decode()
    mine, other = _labels(language), _labels("en" if language == "fr" else "fr")
    for key, label in mine.items():
        assert f">{escape(label)}<" in html, (key, label)
        # The other language's label, unless it is also one of this language's labels
        # (the English "Publications" are the French "Envois"; the French ones, posts).
        if other[key] not in mine.values():
            assert f">{escape(other[key])}<" not in html, (key, other[key])


@pytest.mark.parametrize("model", _models(), ids=lambda m: m._meta.label)
def test_admin_changelist_columns_are_in_french(
    superuser_client: Client, model: type[models.Model]
) -> None:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = superuser_client.get(url, headers={"accept-language": "fr"})
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("fr"):
        title = str(capfirst(model._meta.verbose_name))
    assert escape(title.lower()) in html.lower()
    # The columns (an empty list shows no table: read them as the changelist labels them).
    model_admin = admin.site._registry[model]
    for name in model_admin.get_list_display(RequestFactory().get(url)):
        if name in ("__str__", "action_checkbox"):
            continue
        with translation.override("fr"):
            french = str(label_for_field(name, model, model_admin))
        with translation.override("en"):
            english = str(label_for_field(name, model, model_admin))
        assert french != english or french.lower() in SAME_LOWER, (name, french)


def test_every_field_of_our_models_has_a_translated_name() -> None:
    untranslated = []
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.local_fields + model._meta.local_many_to_many:
                with translation.override("fr"):
                    french = str(field.verbose_name)
                with translation.override("en"):
                    english = str(field.verbose_name)
                if french == english and french.lower() not in SAME_LOWER:
                    untranslated.append(f"{model._meta.label}.{field.name}: {english}")
    assert untranslated == []
