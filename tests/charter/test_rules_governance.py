from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from charter.elections import PARIS
from charter.rules import RULES, Severity
from charter.rules.governance import find_figures
from charter.snapshot import MediaSnapshot, PostSnapshot, RenditionSnapshot
from tests.charter.builders import bluesky, mastodon

ACTIVE = RULES["gov.account_active"]
BYLINE = RULES["gov.byline"]
FIGURES = RULES["gov.figures_source"]
EMBARGO = RULES["embargo.later_than_schedule"]
CARD = RULES["links.bluesky_card"]


def _post(text: str = "Bonjour", *renditions: RenditionSnapshot, **fields: Any) -> PostSnapshot:
    return PostSnapshot(
        text=text, language="fr", renditions=renditions or (mastodon(text),), **fields
    )


def _paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


# --- gov.account_active ------------------------------------------------------------------------


def test_account_active_deactivated_account_blocks_for_that_rendition() -> None:
    snapshot = _post("x", mastodon("x"), bluesky("x", account_active=False))
    (finding,) = ACTIVE.run(snapshot)
    assert (finding.severity, finding.account_id) == (Severity.BLOCK, 2)
    assert "dgx.bsky.social" in finding.message


def test_account_active_all_active_passes() -> None:
    assert ACTIVE.run(_post("x", mastodon("x"), bluesky("x"))) == ()


# --- gov.byline --------------------------------------------------------------------------------


def _signed(byline: str, unit: str = "DGX", initials: str = "JD") -> PostSnapshot:
    return _post("x", mastodon("x", byline=byline), author_unit_code=unit, author_initials=initials)


@pytest.mark.parametrize(
    ("byline", "passes"),
    [
        ("— DGX ^JD", True),
        ("— dgx ^jd", True),  # case does not matter
        ("JD pour DGX", True),
        ("— DGX", False),
        ("^JD", False),
        ("— DGXY ^JD", False),  # the unit code as a whole word only
        ("— DGX ^JDL", False),
        ("", False),
        ("   ", False),
    ],
)
def test_byline_shows_unit_and_initials(byline: str, passes: bool) -> None:
    assert (BYLINE.run(_signed(byline)) == ()) is passes


def test_byline_message_names_what_is_missing() -> None:
    (finding,) = BYLINE.run(_signed("— DGX"))
    assert "does not show JD" in finding.message
    assert finding.account_id == 1


@pytest.mark.parametrize(
    ("byline", "passes"),
    [
        ("^JD", True),  # the short form: the account and the public roster give the unit
        ("— DGX ^JD", True),  # the full form still satisfies a short-form charter
        ("^AB", False),  # someone else's initials
        ("^JDL", False),
        ("— DGX", False),
        ("", False),
    ],
)
def test_byline_short_form_checks_the_authors_initials(byline: str, passes: bool) -> None:
    assert (BYLINE.run(_signed(byline), {"form": "short"}) == ()) is passes


def test_byline_short_form_message_names_the_initials() -> None:
    (finding,) = BYLINE.run(_signed("^AB"), {"form": "short"})
    assert "initials JD" in finding.message
    assert "DGX" not in finding.message


def test_byline_form_parameter_refused_in_words() -> None:
    from charter.engine import CharterParamsError, normalize_params

    assert normalize_params({"gov.byline": {"form": "short"}}) == {"gov.byline": {"form": "short"}}
    with pytest.raises(CharterParamsError, match="expected one of: full, short"):
        normalize_params({"gov.byline": {"form": "initials"}})


def test_byline_unknown_author_not_checked() -> None:
    assert BYLINE.run(_post("x", mastodon("x", byline=""))) == ()


def test_byline_each_rendition_checked() -> None:
    snapshot = _post(
        "x",
        mastodon("x", byline="— DGX ^JD"),
        bluesky("x", byline="— DGX"),
        author_unit_code="DGX",
        author_initials="JD",
    )
    assert [f.account_id for f in BYLINE.run(snapshot)] == [2]


# --- gov.figures_source ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Le chômage baisse de 0,3 % ce trimestre.", ["0,3 %"]),
        ("Une aide de 1 500 € par foyer.", ["1 500 €"]),
        ("Budget : 12\u202fM€ et 3 millions d'euros.", ["12\u202fM€", "3 millions d'euros"]),
        ("Hausse de 12% et 40 pour cent", ["12%", "40 pour cent"]),
        ("Un prix de €25.", ["€25"]),
        ("200 euros", ["200 euros"]),
        ("Le 12/03/2026 à 14 h, 36 communes.", []),
        ("Code postal 75007, tél. 0 800 123 456", []),
        ("https://example.fr/50%-off #2026", []),
        ("Le 100eurosmax", []),
    ],
)
def test_figures_found(text: str, found: list[str]) -> None:
    assert [text[s:e] for s, e in find_figures(text)] == found


def test_figures_source_missing_warns_at_first_figure() -> None:
    text = "Le chômage baisse de 0,3 % ; 1 500 € d'aide."
    (finding,) = FIGURES.run(_post(text))
    assert finding.severity is Severity.WARN
    assert finding.span == (21, 26)
    assert finding.message.startswith("2 figure(s)")


def test_figures_source_given_passes() -> None:
    assert FIGURES.run(_post("Baisse de 0,3 %.", source="Insee")) == ()


def test_figures_source_blank_source_counts_as_none() -> None:
    assert FIGURES.run(_post("Baisse de 0,3 %.", source="  "))


def test_figures_source_no_figures_passes() -> None:
    assert FIGURES.run(_post("La médiathèque ouvre le dimanche.")) == ()


# --- embargo.later_than_schedule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheduled", "blocked"),
    [(_paris(12, 9, 59), True), (_paris(12, 10, 0), False), (_paris(13, 8), False)],
)
def test_embargo_schedule_before_embargo_blocks(scheduled: datetime, blocked: bool) -> None:
    snapshot = _post(scheduled_for=scheduled, embargo_until=_paris(12, 10))
    findings = EMBARGO.run(snapshot)
    assert bool(findings) is blocked
    assert all(f.severity is Severity.BLOCK for f in findings)


def test_embargo_unscheduled_judged_at_check_time() -> None:
    (finding,) = EMBARGO.run(_post(checked_at=_paris(11, 9), embargo_until=_paris(12, 10)))
    assert "not scheduled" in finding.message
    assert EMBARGO.run(_post(checked_at=_paris(12, 11), embargo_until=_paris(12, 10))) == ()


def test_embargo_none_passes() -> None:
    assert EMBARGO.run(_post(scheduled_for=_paris(11, 9))) == ()


def test_embargo_naive_times_are_paris_time() -> None:
    snapshot = _post(scheduled_for=datetime(2026, 3, 12, 9, 30), embargo_until=_paris(12, 10))
    assert EMBARGO.run(snapshot)


# --- links.bluesky_card ------------------------------------------------------------------------

TWO_LINKS = "Infos https://a.example.fr et https://b.example.fr/x"
PHOTO = MediaSnapshot("p.jpg", "Une photo de la mairie.", "image/jpeg", 1000)


def test_bluesky_card_one_link_passes() -> None:
    text = "Infos https://a.example.fr"
    assert CARD.run(_post(text, bluesky(text))) == ()


def test_bluesky_card_several_links_warn_on_the_others() -> None:
    (finding,) = CARD.run(_post(TWO_LINKS, mastodon(TWO_LINKS), bluesky(TWO_LINKS)))
    assert (finding.severity, finding.account_id) == (Severity.WARN, 2)
    assert TWO_LINKS[slice(*finding.span or (0, 0))] == "https://b.example.fr/x"


def test_bluesky_card_images_take_the_embed() -> None:
    text = "Infos https://a.example.fr"
    (finding,) = CARD.run(_post(text, bluesky(text), media=(PHOTO,)))
    assert finding.span == (6, 26)
    assert "images" in finding.message


def test_bluesky_card_mastodon_only_passes() -> None:
    assert CARD.run(_post(TWO_LINKS, mastodon(TWO_LINKS))) == ()
