"""The charter's rules, by code. Adding a rule: write it in a module here, list it below."""

from __future__ import annotations

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
from charter.rules.length import LEN_BLUESKY, LEN_MASTODON
from charter.rules.media import MEDIA_ALT_TEXT
from charter.rules.terms import TERMS_FORBIDDEN

RULES: dict[str, Rule] = {
    rule.code: rule for rule in (LEN_MASTODON, LEN_BLUESKY, MEDIA_ALT_TEXT, TERMS_FORBIDDEN)
}

__all__ = [
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
