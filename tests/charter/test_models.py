from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import OrgUnit
from charter.models import Charter, CharterVersion
from charter.rules import Severity

pytestmark = pytest.mark.django_db


def test_charter_version_label_names_charter_and_number() -> None:
    charter = Charter.objects.create(name="Charte DGX")
    version = CharterVersion.objects.create(charter=charter, number=3)
    assert version.label == "Charte DGX v3"
    assert str(version) == "Charte DGX v3"


def test_charter_version_to_config_carries_params_and_identity() -> None:
    charter = Charter.objects.create(name="Charte DGX")
    version = CharterVersion.objects.create(
        charter=charter,
        number=1,
        params={"terms.forbidden": {"terms": ["ASAP"]}, "severities": {"media.alt_text": "warn"}},
    )
    config = version.to_config()
    assert (config.version_id, config.version_label) == (version.pk, "Charte DGX v1")
    assert config.params["terms.forbidden"]["terms"] == ("ASAP",)
    assert config.severities == {"media.alt_text": Severity.WARN}


def test_charter_version_number_unique_per_charter() -> None:
    charter = Charter.objects.create(name="Charte DGX")
    CharterVersion.objects.create(charter=charter, number=1)
    with pytest.raises(IntegrityError):
        CharterVersion.objects.create(charter=charter, number=1)


def test_charter_one_per_unit() -> None:
    unit = OrgUnit.objects.create(name="DGX", code="dgx", kind=OrgUnit.Kind.DIRECTION)
    Charter.objects.create(name="A", unit=unit)
    with pytest.raises(ValidationError):
        Charter(name="B", unit=unit).full_clean()


def test_charter_one_organisation_wide() -> None:
    Charter.objects.create(name="Charte commune")
    with pytest.raises(IntegrityError):
        Charter.objects.create(name="Autre charte commune")
