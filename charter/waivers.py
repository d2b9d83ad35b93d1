"""Which waiver categories fit which rule.

A waiver lifts one rule's findings on one revision (``editorial.services.waivers`` records it). The
categories are the reasons the charter accepts: some rules admit exactly one reason (an image
that needs no alt text is decorative, a phone number in a post may only be the institution's
own), the others an editorial exception or another reason, always written out.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from charter.rules import RULES


class WaiverCategory(models.TextChoices):
    DECORATIVE = "decorative", _("Decorative image")
    OWN_CONTACT = "own_contact", _("The institution's own contact details")
    INTERNATIONAL = "international", _("International campaign")
    EDITORIAL = "editorial", _("Editorial exception")
    OTHER = "other", _("Other")


C = WaiverCategory
# A rule named here admits only these categories; prefixes end with a dot.
_RESTRICTED: dict[str, tuple[WaiverCategory, ...]] = {
    "media.alt_text": (C.DECORATIVE,),
    "a11y.alt_quality": (C.DECORATIVE,),
    "pii.": (C.OWN_CONTACT,),
    "lang.french_required": (C.INTERNATIONAL,),
}
# The specific categories say something precise; elsewhere they would be a pretext.
_GENERAL = (C.EDITORIAL, C.OTHER)
# Rules the law ties to the elections: only an electoral referent of the speaking unit
# (``ElectoralReferent``) may waive them, besides holding the waive right.
_REFERENT_ONLY = frozenset({"neutrality.bilan"})


def is_waivable(code: str) -> bool:
    rule = RULES.get(code)
    return rule is not None and rule.waivable


def allowed_categories(code: str) -> tuple[WaiverCategory, ...]:
    """The categories a waiver of this rule may take; empty when the rule is not waivable."""
    if not is_waivable(code):
        return ()
    for key, categories in _RESTRICTED.items():
        if code == key or (key.endswith(".") and code.startswith(key)):
            return categories
    return _GENERAL


def referent_only(code: str) -> bool:
    """Whether only an electoral referent of the speaking unit may waive this rule."""
    return code in _REFERENT_ONLY
