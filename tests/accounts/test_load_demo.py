"""The demo organisation `make run` loads works through an election period too."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import OrgUnit, User
from charter.selectors import electoral_referents_for_unit

pytestmark = pytest.mark.django_db


def test_load_demo_gives_sicom_an_electoral_referent_once() -> None:
    # Twice: the loader runs at every `make run` and must not duplicate anything.
    call_command("load_demo")
    call_command("load_demo")
    director = User.objects.get(username="director")
    # SICOM has no head of its own: without a referent, the political tier's step (every
    # post in a pre-electoral period) would have nobody to approve it.
    assert electoral_referents_for_unit(OrgUnit.objects.get(code="sicom")) == {director.pk}
