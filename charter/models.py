"""Charters and their versions.

A unit's charter applies to the unit and the units below it that have none of their own; the
charter with no unit is the organisation's default. A version is never edited: every change is
a new version, and a check report names the version that gave it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from charter.engine import CharterConfig


class Charter(models.Model):
    name = models.CharField(_("name"), max_length=200, help_text=_("e.g. 'Charte DGX'."))
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charters",
        help_text=_("Empty: the organisation-wide default charter."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("charter")
        constraints = [
            # One charter per unit, and one organisation-wide (NULLs would not collide).
            models.UniqueConstraint(
                Coalesce("unit", models.Value(0), output_field=models.BigIntegerField()),
                name="charter_one_per_unit",
                violation_error_message=_("This unit already has a charter."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CharterVersion(models.Model):
    charter = models.ForeignKey(
        Charter, verbose_name=_("charter"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("number"))
    params = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_(
            'Per rule code, e.g. {"terms.forbidden": {"terms": ["ASAP"]}, '
            '"severities": {"media.alt_text": "warn"}, "disabled": []}.'
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["charter", "-number"]
        verbose_name = _("charter version")
        constraints = [
            models.UniqueConstraint(fields=["charter", "number"], name="charter_version_unique"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="charter_version_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.charter.name} v{self.number}"

    def to_config(self) -> CharterConfig:
        return CharterConfig.from_params(self.params, version_id=self.pk, version_label=self.label)
