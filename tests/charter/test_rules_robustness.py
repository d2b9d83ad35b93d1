"""Every registered rule, on any text and any media: no exception, the same findings twice."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.odd_texts import ODD_TEXTS, in_context, rule_snapshot
from charter.engine import CharterConfig, CharterParamsError, check, normalize_params
from charter.rules import RULES, Rule, Severity
from charter.snapshot import MediaSnapshot, PostSnapshot
from tests.charter.builders import bluesky, mastodon, post


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
@pytest.mark.parametrize("name", list(ODD_TEXTS))
def test_rule_survives_odd_text(rule: Rule, name: str) -> None:
    # No exception and well-formed findings. How fast (linear scans: milliseconds for a 100k
    # paste) is measured by bench/charter_worst_case.py, not asserted on this machine.
    text = ODD_TEXTS[name]
    findings = rule.run(rule_snapshot(text))
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
    snapshot: PostSnapshot = in_context(
        post(text, mastodon(text, byline=byline), bluesky(text, byline=byline), media=tuple(media)),
        author,
    )
    for rule in RULES.values():
        first = rule.run(snapshot)
        assert rule.run(snapshot) == first, rule.code
        for finding in first:
            if finding.span is not None:
                assert 0 <= finding.span[0] < finding.span[1] <= len(text), rule.code
