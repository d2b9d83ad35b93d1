"""Which rules editorial runs again when a post is scheduled and when it is claimed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from charter.elections import PARIS
from charter.engine import CharterConfig, check
from charter.rules import RECHECKED, RULES
from charter.snapshot import ElectionWindowSnapshot, PostSnapshot, RenditionSnapshot

TEXT = (
    "Grâce à l'action du maire, promesse tenue : le bilan est exceptionnel. "
    "Votez pour nous ! Écrivez à jeanne.dupont@example.org."
)


def _calm() -> PostSnapshot:
    """Nothing about the moment or the accounts to object to."""
    rendition = RenditionSnapshot(
        account_id=1, network="bluesky", handle="mairie.test", body=TEXT, byline="— DGX ^JD"
    )
    return PostSnapshot(
        text=TEXT,
        language="fr",
        renditions=(rendition,),
        scheduled_for=datetime(2026, 6, 1, 10, tzinfo=PARIS),
        author_unit_code="DGX",
        author_initials="JD",
    )


def _troubled() -> PostSnapshot:
    """The same content, in an electoral silence, before its embargo, on a deactivated
    account whose byline template grew past the limit and lost the author's initials."""
    calm = _calm()
    rendition = replace(calm.renditions[0], account_active=False, byline="— DGX " + "x" * 300)
    window = ElectionWindowSnapshot(
        name="Municipales",
        kind="municipal",
        window_start=date(2025, 9, 1),
        vote_dates=(date(2026, 3, 15),),
    )
    return replace(
        calm,
        renditions=(rendition,),
        scheduled_for=datetime(2026, 3, 14, 12, tzinfo=PARIS),
        embargo_until=datetime(2026, 3, 16, 10, tzinfo=PARIS),
        election_windows=(window,),
    )


def test_recheck_rules_are_rules() -> None:
    assert set(RULES) >= RECHECKED


def test_recheck_rules_include_every_rule_that_depends_on_the_moment_or_the_account() -> None:
    """A rule whose verdict changes with the moment or the account's settings, the content
    being the same, must be run again when the post leaves."""
    config = CharterConfig.default()
    calm, troubled = check(_calm(), config), check(_troubled(), config)
    changed = {f.rule for f in set(calm.findings) ^ set(troubled.findings)}
    assert changed  # the troubled snapshot does trouble some rules
    assert changed <= RECHECKED


def test_check_only_runs_the_rules_asked_for() -> None:
    config = CharterConfig.default()
    everything = check(_troubled(), config)
    rechecked = check(_troubled(), config, only=RECHECKED)
    assert "pii.email" in {f.rule for f in everything.findings}
    assert {f.rule for f in rechecked.findings} == {
        f.rule for f in everything.findings if f.rule in RECHECKED
    }
    assert {"neutrality.electoral_silence", "embargo.later_than_schedule"} <= {
        f.rule for f in rechecked.blocking
    }
