"""Charters and their versions.

A unit's charter applies to the unit and the units below it that have none of their own; the
charter with no unit is the organisation's default. A version is never edited: every change is
a new version, and a check report names the version that gave it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, SocialAccount
from charter.elections import pre_electoral_start
from charter.engine import CharterConfig
from charter.snapshot import ElectionWindowSnapshot


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
    # An account's own charter overrides its unit's for what is published on it.
    account = models.OneToOneField(
        SocialAccount,
        verbose_name=_("social account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charter",
        help_text=_("Set for a charter that applies to one account only (instead of a unit)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name_plural = _("charters")
        ordering = ["name"]
        verbose_name = _("charter")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=True) | models.Q(account__isnull=True),
                name="charter_unit_or_account",
                violation_error_message=_("A charter belongs to a unit or to an account."),
            ),
            # One charter per unit, and one organisation-wide (NULLs would not collide).
            models.UniqueConstraint(
                Coalesce("unit", models.Value(0), output_field=models.BigIntegerField()),
                condition=models.Q(account__isnull=True),
                name="charter_one_per_unit",
                violation_error_message=_("This unit already has a charter."),
            ),
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
    # What the public pages say of the charter: a version is never edited, so a post shows
    # the summary of the version it was checked and published under.
    public_summary = models.TextField(
        _("public summary"),
        blank=True,
        help_text=_("What citizens read of this charter on the public pages, in plain words."),
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
        verbose_name_plural = _("charter versions")
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


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            _("“%(value)s” is not a time zone; give its IANA name, e.g. Europe/Paris."),
            params={"value": value},
        ) from error


class ElectionWindow(models.Model):
    """An election the units below ``unit`` must stay neutral for (all units when empty).

    Every window on a unit's chain applies to it, unlike charters where the nearest wins: a
    ministry's national election and a town's municipal election both concern the town hall.
    """

    class Kind(models.TextChoices):
        MUNICIPAL = "municipal", _("Municipal")
        DEPARTMENTAL = "departmental", _("Departmental")
        REGIONAL = "regional", _("Regional")
        LEGISLATIVE = "legislative", _("Legislative")
        PRESIDENTIAL = "presidential", _("Presidential")
        EUROPEAN = "european", _("European")
        REFERENDUM = "referendum", _("Referendum")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, help_text=_("e.g. 'Municipales 2026'."))
    kind = models.CharField(_("kind of election"), max_length=16, choices=Kind.choices)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="election_windows",
        help_text=_("Applies to this unit and the units below it. Empty: the whole organisation."),
    )
    window_start = models.DateField(
        _("start of the pre-electoral period"),
        null=True,
        blank=True,
        help_text=_(
            "Empty: the first day of the sixth month before the month of the first round "
            "(Code électoral, art. L52-1)."
        ),
    )
    first_round = models.DateField(_("first round"))
    second_round = models.DateField(_("second round"), null=True, blank=True)
    # Overseas, the vote and its hours are local: Martinique votes on Paris's Saturday.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Paris",
        validators=[validate_time_zone],
        help_text=_(
            "The time zone of the polling stations (IANA name, e.g. Europe/Paris, "
            "America/Martinique): the electoral silence starts at 00:00 on the eve of the vote "
            "and ends when the polls close, both in this local time."
        ),
    )
    polls_close = models.TimeField(
        _("polls close"),
        null=True,
        blank=True,
        help_text=_(
            "When the last polls close on a vote day, local time. Empty: the charter's hour "
            "(20:00 by default)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["first_round", "name"]
        verbose_name = _("election window")
        verbose_name_plural = _("election windows")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(second_round__isnull=True)
                | models.Q(second_round__gt=models.F("first_round")),
                name="election_second_round_after_first",
                violation_error_message=_("The second round must come after the first."),
            ),
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_start__lte=models.F("first_round")),
                name="election_window_starts_before_vote",
                violation_error_message=_(
                    "The pre-electoral period must start on or before the first round."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def to_snapshot(self) -> ElectionWindowSnapshot:
        rounds = (self.first_round, self.second_round)
        votes = tuple(day for day in rounds if day is not None)
        return ElectionWindowSnapshot(
            name=self.name,
            kind=self.kind,
            window_start=self.window_start or pre_electoral_start(self.first_round),
            vote_dates=votes,
            time_zone=self.time_zone,
            polls_close=self.polls_close,
        )


class ElectoralReferent(models.Model):
    """A person who answers for the neutrality of a unit's communication around elections.

    Designated on a unit, they act for it and for the units below it (on no unit: for the
    whole organisation). They approve the political tier's built-in step with the unit's
    administrators, and they alone may waive a finding on an institution's record during a
    pre-electoral period (Code électoral, art. L52-1).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="electoral_referent_roles",
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="electoral_referents",
        help_text=_("Acts for this unit and the units below it. Empty: the whole organisation."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("electoral referent")
        verbose_name_plural = _("electoral referents")
        constraints = [
            models.UniqueConstraint(
                "user",
                Coalesce("unit", models.Value(0), output_field=models.BigIntegerField()),
                name="electoral_referent_once_per_unit",
                violation_error_message=_("This person is already the unit's electoral referent."),
            ),
        ]

    def __str__(self) -> str:
        where = self.unit.code if self.unit is not None else _("organisation")
        return f"{self.user} — {where}"


class LinkCheck(models.Model):
    """The last answer of a link, fetched by a worker (``charter.services.link_checks_run``).

    Shared by every post that contains the link; refreshed when older than LINKCHECK_TTL.
    """

    url = models.URLField(max_length=2000, unique=True, verbose_name=_("URL"))
    ok = models.BooleanField(verbose_name=_("works"))
    detail = models.CharField(max_length=300, blank=True, verbose_name=_("detail"))
    checked_at = models.DateTimeField(db_index=True, verbose_name=_("checked at"))

    class Meta:
        verbose_name_plural = _("link checks")
        verbose_name = _("link check")

    def __str__(self) -> str:
        return f"{self.url}: {'ok' if self.ok else self.detail}"
