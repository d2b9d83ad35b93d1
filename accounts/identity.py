"""Who speaks, as the public pages show it ("Qui publie ici ?"): an agent's function and
consent to be named, an account's public profile and byline template.

Each write is audited like the rest of the organisation (``organisation.record``: what
changed, before and after). An agent's consent is theirs alone to give or withdraw; an
account's profile is its unit administrators' (through ``services.social_account_save``, so
a new byline re-checks the scheduled posts it lengthens).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import bylines
from accounts.models import SocialAccount, User
from accounts.organisation import describe_person, differences, record, snapshot
from accounts.services import OrganisationError, social_account_save

PROFILE_FIELDS = ("job_title", "public_name_consent")


@transaction.atomic
def user_set_public_profile(
    *, user: User, job_title: str, public_name_consent: bool, by: User
) -> User:
    """An agent states their function and whether the public pages may name them."""
    if by.pk != user.pk:
        raise PermissionDenied(_("Only the person themselves may change this."))
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(locked, PROFILE_FIELDS)
    locked.job_title = job_title.strip()
    locked.public_name_consent = public_name_consent
    if len(locked.job_title) > 120:  # the field's length
        raise OrganisationError(_("The function is too long: 120 characters at most."))
    locked.save(update_fields=list(PROFILE_FIELDS))
    if changes := differences(before, snapshot(locked, PROFILE_FIELDS)):
        record("user_changed", by=by, person=describe_person(locked), changes=changes)
    user.job_title, user.public_name_consent = locked.job_title, locked.public_name_consent
    return locked


@dataclass(frozen=True)
class AccountIdentity:
    """What the account identity page edits."""

    public_description: str
    public_contact: str
    moderation_policy: str
    byline_template: str


def contact_error(contact: str) -> str | None:
    """A contact is an e-mail address or a web address (http or https), or nothing."""
    if not contact:
        return None
    validator = (
        EmailValidator()
        if "@" in contact and "://" not in contact
        else URLValidator(schemes=["http", "https"])
    )
    try:
        validator(contact)
    except ValidationError:
        return _("Give an e-mail address (e.g. contact@mairie.fr) or a web address (https://…).")
    return None


def identity_errors(identity: AccountIdentity) -> dict[str, list[str]]:
    """Per field, what keeps the identity from being saved, in words (empty: it can be)."""
    errors: dict[str, list[str]] = {}
    if template := bylines.template_errors(identity.byline_template):
        errors["byline_template"] = template
    if not identity.byline_template.strip():
        errors["byline_template"] = [_("The byline cannot be empty.")]
    elif len(identity.byline_template) > 100:
        errors.setdefault("byline_template", []).append(
            _("The byline template is too long: 100 characters at most.")
        )
    if contact := contact_error(identity.public_contact):
        errors["public_contact"] = [contact]
    return errors


@transaction.atomic
def social_account_set_identity(
    *, account: SocialAccount, identity: AccountIdentity, by: User
) -> list[str]:
    """Change an account's public profile and byline template (its unit administrators).
    Returns the scheduled posts the new byline held, one line each."""
    if errors := identity_errors(identity):
        raise OrganisationError(" ".join(e for field in errors.values() for e in field))
    fresh = SocialAccount.objects.get(pk=account.pk)
    fresh.public_description = identity.public_description.strip()
    fresh.public_contact = identity.public_contact.strip()
    fresh.moderation_policy = identity.moderation_policy.strip()
    fresh.byline_template = identity.byline_template
    held = social_account_save(account=fresh, by=by)
    for name in ("public_description", "public_contact", "moderation_policy", "byline_template"):
        setattr(account, name, getattr(fresh, name))
    return held
