from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import bylines, crypto


class User(AbstractUser):
    """A member of the administration. Initials sign the bylines."""

    initials = models.CharField(
        _("initials"), max_length=8, blank=True, help_text=_("Used in bylines, e.g. 'JD'.")
    )
    # Shown on the public pages beside the initials ("chargée de communication").
    job_title = models.CharField(
        _("function"),
        max_length=120,
        blank=True,
        help_text=_("Shown on the public pages, e.g. 'chargée de communication'."),
    )
    # The public pages name an agent only if they agreed (they see their initials otherwise).
    public_name_consent = models.BooleanField(
        _("my name may appear on the public pages"), default=False
    )

    def get_initials(self) -> str:
        if self.initials:
            return self.initials
        parts = [self.first_name, self.last_name]
        derived = "".join(p[0] for p in parts if p).upper()
        return derived or self.username[:2].upper()

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class OrgUnit(models.Model):
    """A node of the organisation chart: ministry → direction → service → bureau."""

    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        DIRECTION = "direction", _("Direction")
        SERVICE = "service", _("Service")
        BUREAU = "bureau", _("Bureau")

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(
        _("code"), max_length=32, unique=True, help_text=_("Short code shown in bylines.")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def ancestors(self) -> list[OrgUnit]:
        """From the parent up to the root (the tree is shallow: four levels)."""
        chain: list[OrgUnit] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def descendant_ids(self) -> set[int]:
        ids = {self.pk}
        frontier = [self.pk]
        while frontier:
            frontier = list(
                OrgUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.update(frontier)
        return ids


class Membership(models.Model):
    class Role(models.TextChoices):
        AUTHOR = "author", _("Author")
        REVIEWER = "reviewer", _("Reviewer")
        PUBLISHER = "publisher", _("Publisher")
        ADMIN = "admin", _("Administrator")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("member role")
        verbose_name_plural = _("member roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.unit.code}"


# How the servers' software names itself (NodeInfo), as people write it.
SOFTWARE_NAMES = {
    "mastodon": "Mastodon",
    "gotosocial": "GoToSocial",
    "pleroma": "Pleroma",
    "akkoma": "Akkoma",
    "takahe": "Takahē",
    "iceshrimp": "Iceshrimp",
}


class SocialAccount(models.Model):
    """An official account on a network, owned by a unit, speaking with a byline."""

    class Network(models.TextChoices):
        MASTODON = "mastodon", "Mastodon"
        BLUESKY = "bluesky", "Bluesky"

    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    server_url = models.URLField(_("server URL"))
    handle = models.CharField(_("handle"), max_length=255)
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="social_accounts", verbose_name=_("unit")
    )
    byline_template = models.CharField(
        _("byline template"),
        max_length=100,
        default="— {unit} ^{initials}",
        help_text=_(
            "Appended to every post. Placeholders: {unit}, {initials}, {url} (the post's "
            "public page), {account_url} (the account's public page)."
        ),
    )
    # The public profile ("Qui publie ici ?"): what citizens read about the account.
    public_description = models.TextField(
        _("public description"),
        blank=True,
        help_text=_("Who this account speaks for, in a sentence or two."),
    )
    public_contact = models.CharField(
        _("public contact"),
        max_length=254,
        blank=True,
        help_text=_("An e-mail address or the web address of the service answering for it."),
    )
    moderation_policy = models.TextField(
        _("moderation policy"),
        blank=True,
        help_text=_("How replies are read and moderated, shown on the account's public page."),
    )
    # Instance limits: Mastodon reads them from instance_v2 when the account is connected.
    max_characters = models.PositiveIntegerField(default=500, verbose_name=_("maximum characters"))
    characters_reserved_per_url = models.PositiveIntegerField(
        default=23, verbose_name=_("characters counted per link")
    )
    # What the server said about itself at connection and on "test connection" (Mastodon:
    # publishing.adapters.mastodon.server.ServerInfo): software and version, limits, how it
    # counts a status's length, whether it honours Idempotency-Key, the scopes the token
    # lacks. Empty until then.
    server_info = models.JSONField(
        default=dict, blank=True, editable=False, verbose_name=_("server information")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    # Late-post policy: a publication later than this is held for a publisher's confirmation
    # instead of going out unannounced (empty: PUBLISH_LATE_AFTER_MINUTES).
    late_after_minutes = models.PositiveIntegerField(
        _("hold posts later than (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: the site's default (PUBLISH_LATE_AFTER_MINUTES)."),
    )
    # Set when the server refused the credentials (revoked token, changed app password):
    # shown on the accounts page until someone reconnects the account.
    needs_reconnection_since = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("needs reconnection since")
    )
    reconnection_reason = models.TextField(
        blank=True, editable=False, verbose_name=_("reconnection reason")
    )
    credentials_encrypted = models.TextField(
        blank=True, editable=False, verbose_name=_("credentials (encrypted)")
    )
    session_encrypted = models.TextField(
        blank=True, editable=False, verbose_name=_("session (encrypted)")
    )

    class Meta:
        verbose_name = _("social account")
        verbose_name_plural = _("social accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "server_url", "handle"], name="unique_account"
            )
        ]
        permissions = [
            ("draft_for_account", "Can draft posts for this account"),
            ("review_for_account", "Can review posts for this account"),
            ("publish_on_account", "Can schedule and publish on this account"),
            ("urgent_publish_on_account", "Can publish at once under the urgent procedure"),
            ("waive_for_account", "Can waive charter findings on posts for this account"),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle}"

    # Credentials are never exposed through forms or templates: only adapters read them.
    def set_credentials(self, data: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt(json.dumps(data))

    def get_credentials(self) -> dict[str, Any]:
        if not self.credentials_encrypted:
            return {}
        data: dict[str, Any] = json.loads(crypto.decrypt(self.credentials_encrypted))
        return data

    def set_session(self, session: str) -> None:
        self.session_encrypted = crypto.encrypt(session) if session else ""

    def get_session(self) -> str:
        return crypto.decrypt(self.session_encrypted) if self.session_encrypted else ""

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    @property
    def length_counting(self) -> str:
        """How the server counts a status (charter.counting.status_length): as detected, and
        conservatively while the software is not known (connected before it was read, or
        software we do not know)."""
        return str(self.server_info.get("counting") or "conservative")

    @property
    def server_software(self) -> str:
        """The server's software and version as detected, for people ("Mastodon 4.3.2");
        the version alone for software we do not know; empty until the server is described."""
        software = str(self.server_info.get("software") or "")
        version = str(self.server_info.get("version") or "")
        name = SOFTWARE_NAMES.get(software, software.capitalize())
        return " ".join(part for part in (name, version) if part)

    @property
    def missing_scopes(self) -> list[str]:
        return [str(s) for s in self.server_info.get("missing_scopes") or []]

    def render_byline(self, *, unit_code: str, initials: str, post_id: int | None = None) -> str:
        return bylines.render(
            self.byline_template,
            unit_code=unit_code,
            initials=initials,
            account_id=self.pk,
            post_id=post_id,
        )


class Delegation(models.Model):
    """A member lends their approval rights to a deputy for a date range (both days included).

    With a unit, only the rights the member holds through that unit (or a unit below it) are
    lent; without one, all of them. The deputy approves in their own name, "as deputy of" the
    member: both are recorded on the approval and in the audit trail.
    """

    from_user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="delegations_given",
        verbose_name=_("member"),
    )
    to_user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="delegations_received",
        verbose_name=_("deputy"),
    )
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="delegations",
        verbose_name=_("unit"),
        help_text=_("Leave empty to lend every approval right of the member."),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (included)"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name_plural = _("delegations")
        ordering = ["-starts_on"]
        verbose_name = _("delegation")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="delegation_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_user=models.F("to_user")),
                name="delegation_not_to_self",
            ),
        ]
        indexes = [models.Index(fields=["to_user", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user} ({self.starts_on} - {self.ends_on})"

    def is_active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def covers(self, unit: OrgUnit | None) -> bool:
        """Whether rights exercised in ``unit`` are lent (None: rights tied to no unit)."""
        if self.unit_id is None:
            return True
        if unit is None:
            return False
        return self.unit_id == unit.pk or any(a.pk == self.unit_id for a in unit.ancestors())


class AccountGrant(models.Model):
    """A right given on one account to one person, outside any role (``permissions.grant``).

    With the memberships, this is what explains a person's permission rows: the rows are
    recomputed from both (``permissions.sync_user``), so a right nobody recorded here or in a
    membership does not survive the next change (and ``check_permissions`` reports it).
    """

    class Right(models.TextChoices):
        DRAFT = "draft_for_account", _("Draft posts")
        REVIEW = "review_for_account", _("Review posts")
        PUBLISH = "publish_on_account", _("Publish and schedule")
        URGENT = "urgent_publish_on_account", _("Publish at once (urgent procedure)")
        WAIVE = "waive_for_account", _("Waive charter findings")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="account_grants", verbose_name=_("person")
    )
    account = models.ForeignKey(
        SocialAccount, on_delete=models.CASCADE, related_name="grants", verbose_name=_("account")
    )
    right = models.CharField(_("right"), max_length=32, choices=Right.choices)
    granted_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("right on one account")
        verbose_name_plural = _("rights on one account")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account", "right"], name="unique_account_grant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_right_display()} @ {self.account}"
