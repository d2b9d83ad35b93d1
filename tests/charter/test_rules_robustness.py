"""Every registered rule, on any text and any media: no exception, the same findings twice."""

from __future__ import annotations

import dataclasses
import time
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.elections import PARIS
from charter.engine import CharterConfig, CharterParamsError, check, normalize_params
from charter.rules import RULES, Rule, Severity
from charter.snapshot import ElectionWindowSnapshot, MediaSnapshot, PostSnapshot
from tests.charter.builders import bluesky, mastodon, post

# Inside a pre-electoral period and its electoral silence, under embargo, with an author to
# compare bylines with: every time- and author-dependent rule runs its full path.
_ELECTION = ElectionWindowSnapshot(
    "Municipales", "municipal", date(2025, 9, 1), (date(2026, 3, 15),)
)


def _in_context(snapshot: PostSnapshot, author: str = "DGX") -> PostSnapshot:
    return dataclasses.replace(
        snapshot,
        scheduled_for=datetime(2026, 3, 14, 9, 0, tzinfo=PARIS),
        embargo_until=datetime(2026, 3, 20, 9, 0, tzinfo=PARIS),
        author_unit_code=author,
        author_initials=author[:2],
        election_windows=(_ELECTION,),
    )


ODD_TEXTS = {
    "empty": "",
    "100k-paste": ("Bonjour à tous, appelez le 06 12 34 56 78 #servicepublic 🎉 " * 1700)[:100_000],
    "100k-digits": "0" * 100_000,
    "100k-caps": "ABC " * 25_000,
    "100k-styled": "\U0001d400" * 100_000,
    "lone-surrogates": "\ud800a\udfff@\udc00.fr #\ud83d",
    "nul-and-controls": "\x00\x01\x1b[31mCONFIDENTIEL\x7f\x85\u2028\u2029",
    "bidi-overrides": "\u202eFR76 3000 6000 0112 3456 7890 189\u202c \u2066#tag\u2069 \u200f",
    "zwj": "👩\u200d👩\u200d👧\u200d👦" * 1000 + "a\u200db\u200c",
    "combining": "e" + "\u0301" * 50_000,
    "lonely-marks": "#" * 1000 + "@" * 1000 + "." * 1000 + "\n" * 1000,
    "long-email-ish": "a" * 70 + "@" + "b." * 5000 + "fr",
    "long-iban-ish": "FR76 " + "1234 " * 5000,
}


def _media(text: str) -> tuple[MediaSnapshot, ...]:
    return (
        MediaSnapshot(text, text, mime_type="image/jpeg", size=len(text)),
        MediaSnapshot("a.jpg", text[:3000], mime_type=text[:20]),
    )


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
@pytest.mark.parametrize("name", list(ODD_TEXTS))
def test_rule_survives_odd_text(rule: Rule, name: str) -> None:
    text = ODD_TEXTS[name]
    snapshot = _in_context(
        post(text, mastodon(text, byline=text), bluesky(text), media=_media(text)), text[:50]
    )
    started = time.perf_counter()
    findings = rule.run(snapshot)
    assert time.perf_counter() - started < 2  # linear scans: a 100k paste takes milliseconds
    for finding in findings:
        assert finding.rule == rule.code
        if finding.span is not None:
            assert 0 <= finding.span[0] < finding.span[1] <= len(text)


def test_default_charter_never_blocks_ordinary_posts() -> None:
    for text in [
        "Découvrez le guichet unique 🇫🇷 https://www.service-public.fr #ServicePublic",
        "Les inscriptions ouvrent lundi https://www.service-public.fr",
        "Le 12/03/2026 à 14 h, l'aide de 1 500 € sera versée (code postal 75007).",
        "Un accompagnement gratuit et confidentiel. Numéro vert : 0 800 123 456.",
        "La CAF et la CPAM vous accueillent. Merci à @dgx@social.example !",
    ]:
        report = check(post(text, mastodon(text), bluesky(text)), CharterConfig.default())
        assert report.blocking == (), text


def test_default_charter_long_texts_block_on_length_only() -> None:
    for text in ["x" * 600, "a" * 520]:
        report = check(post(text, mastodon(text), bluesky(text)), CharterConfig.default())
        assert {f.rule for f in report.blocking} == {"len.mastodon", "len.bluesky"}


# --- Parameters --------------------------------------------------------------------------------


def test_integer_and_boolean_params_normalized() -> None:
    params = {"a11y.hashtags": {"max": 5.0, "at_end": False}}
    assert normalize_params(params) == {"a11y.hashtags": {"max": 5, "at_end": False}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"max": 3.5}, "whole number"),
        ({"max": True}, "whole number"),
        ({"max": "3"}, "whole number"),
        ({"max": -1}, "between 0 and 30"),
        ({"max": 31}, "between 0 and 30"),
        ({"at_end": "yes"}, "true or false"),
        ({"at_end": 1}, "true or false"),
    ],
)
def test_integer_and_boolean_params_refused(value: dict[str, object], expected: str) -> None:
    with pytest.raises(CharterParamsError, match=expected):
        normalize_params({"a11y.hashtags": value})


def test_every_param_default_is_valid() -> None:
    for rule in RULES.values():
        for name, param in rule.params.items():
            assert param.coerce(param.default) == param.default, (rule.code, name)


def test_pii_and_confidential_block_a11y_warns() -> None:
    for code, rule in RULES.items():
        family = code.split(".")[0]
        if family in {"pii", "confidential"}:
            assert rule.default_severity is Severity.BLOCK, code
        if family in {"a11y", "links"}:
            assert rule.default_severity is Severity.WARN, code


# --- Property: any text, any media ------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=()),  # any codepoint, lone surrogates included
        st.sampled_from(list("0123456789 .-+@#:/()\n\u00a0\u200dAé🇫🇷⚠️\U0001d400\u210e")),
    ),
    max_size=400,
)
_MEDIA = st.lists(
    st.builds(
        MediaSnapshot,
        filename=st.text(max_size=20),
        alt_text=_TEXT,
        mime_type=st.sampled_from(["", "image/jpeg", "video/mp4", "audio/ogg", "x"]),
        size=st.integers(min_value=0, max_value=5_000_000),
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, media=_MEDIA, byline=st.text(max_size=30), author=st.text(max_size=10))
def test_every_rule_total_and_stable(
    text: str, media: list[MediaSnapshot], byline: str, author: str
) -> None:
    snapshot: PostSnapshot = _in_context(
        post(text, mastodon(text, byline=byline), bluesky(text, byline=byline), media=tuple(media)),
        author,
    )
    for rule in RULES.values():
        first = rule.run(snapshot)
        assert rule.run(snapshot) == first, rule.code
        for finding in first:
            if finding.span is not None:
                assert 0 <= finding.span[0] < finding.span[1] <= len(text), rule.code
