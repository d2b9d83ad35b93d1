"""The charter's rules, by code. Adding a rule: write it in a module here, list it below.

The order is the order of the reference and of a report's findings: network limits, then
who may speak and when, then what must never be published, then accessibility and quality.
"""

from __future__ import annotations

from charter.rules.a11y_acronyms import A11Y_ACRONYMS
from charter.rules.a11y_tags import A11Y_EMOJI, A11Y_HASHTAG_CASE, A11Y_HASHTAGS
from charter.rules.a11y_text import (
    A11Y_CAPS,
    A11Y_FAKE_BOLD,
    A11Y_LINK_WORDING,
    A11Y_SENTENCE_LENGTH,
)
from charter.rules.base import (
    Example,
    Finding,
    Param,
    ParamError,
    ParamKind,
    Rule,
    RuleCheck,
    Severity,
)
from charter.rules.clarity import A11Y_REPEATED_PUNCTUATION, LINKS_SHORTENER
from charter.rules.confidential import CONFIDENTIAL_MARKINGS
from charter.rules.governance import (
    EMBARGO_LATER_THAN_SCHEDULE,
    GOV_ACCOUNT_ACTIVE,
    GOV_BYLINE,
    GOV_FIGURES_SOURCE,
)
from charter.rules.invisible import TEXT_INVISIBLE_CHARACTERS
from charter.rules.language import LANG_ANGLICISMS, LANG_FRENCH_REQUIRED, LANG_TAG
from charter.rules.length import LEN_BLUESKY, LEN_MASTODON
from charter.rules.links import LINKS_BLUESKY_CARD, LINKS_COUNT, LINKS_REACHABLE
from charter.rules.media import A11Y_ALT_QUALITY, MEDIA_ALT_TEXT
from charter.rules.media_limits import MEDIA_ALT_LENGTH, MEDIA_COUNT
from charter.rules.neutrality import (
    NEUTRALITY_ELECTION_WINDOW,
    NEUTRALITY_ELECTORAL_SILENCE,
    NEUTRALITY_PARTISAN,
)
from charter.rules.pii import PII_EMAIL, PII_IBAN, PII_NIR, PII_PHONE
from charter.rules.pii_address import PII_ADDRESS
from charter.rules.promotion import NEUTRALITY_BILAN, NEUTRALITY_VOTE_CALL
from charter.rules.terms import TERMS_FORBIDDEN

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        LEN_MASTODON,
        LEN_BLUESKY,
        MEDIA_COUNT,
        MEDIA_ALT_LENGTH,
        MEDIA_ALT_TEXT,
        GOV_ACCOUNT_ACTIVE,
        GOV_BYLINE,
        EMBARGO_LATER_THAN_SCHEDULE,
        NEUTRALITY_ELECTORAL_SILENCE,
        NEUTRALITY_ELECTION_WINDOW,
        NEUTRALITY_PARTISAN,
        NEUTRALITY_BILAN,
        NEUTRALITY_VOTE_CALL,
        TERMS_FORBIDDEN,
        CONFIDENTIAL_MARKINGS,
        TEXT_INVISIBLE_CHARACTERS,
        PII_EMAIL,
        PII_PHONE,
        PII_IBAN,
        PII_NIR,
        PII_ADDRESS,
        LANG_FRENCH_REQUIRED,
        LANG_TAG,
        LANG_ANGLICISMS,
        A11Y_ALT_QUALITY,
        A11Y_HASHTAG_CASE,
        A11Y_HASHTAGS,
        A11Y_EMOJI,
        A11Y_FAKE_BOLD,
        A11Y_CAPS,
        A11Y_REPEATED_PUNCTUATION,
        A11Y_SENTENCE_LENGTH,
        A11Y_LINK_WORDING,
        A11Y_ACRONYMS,
        LINKS_COUNT,
        LINKS_SHORTENER,
        LINKS_BLUESKY_CARD,
        LINKS_REACHABLE,
        GOV_FIGURES_SOURCE,
    )
}

# The rules whose verdict depends on the moment the post goes out or on its accounts' current
# settings (active, byline template, limits), not only on the approved content. Editorial
# runs them again when a post is scheduled and when the publisher claims it
# (editorial.recheck); the others judged the content, which cannot change once approved.
RECHECKED: frozenset[str] = frozenset(
    {
        "len.mastodon",
        "len.bluesky",
        "gov.account_active",
        "gov.byline",
        "embargo.later_than_schedule",
        "neutrality.electoral_silence",
        "neutrality.election_window",
        "neutrality.partisan",
        "neutrality.bilan",
        "neutrality.vote_call",
    }
)

__all__ = [
    "RECHECKED",
    "RULES",
    "Example",
    "Finding",
    "Param",
    "ParamError",
    "ParamKind",
    "Rule",
    "RuleCheck",
    "Severity",
]
