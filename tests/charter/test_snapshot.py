from __future__ import annotations

import dataclasses

import pytest

from charter.snapshot import with_byline
from tests.charter.builders import mastodon


def test_with_byline_joins_with_a_blank_line() -> None:
    assert with_byline("Bonjour", "— DGX ^JD") == "Bonjour\n\n— DGX ^JD"


def test_with_byline_strips_trailing_space_of_the_body() -> None:
    assert with_byline("Bonjour  \n\n", "^JD") == "Bonjour\n\n^JD"


def test_with_byline_empty_byline_keeps_the_body_untouched() -> None:
    assert with_byline("Bonjour  \n", "") == "Bonjour  \n"


def test_rendition_full_text_is_with_byline() -> None:
    rendition = mastodon("Bonjour ", byline="^JD")
    assert rendition.full_text == with_byline("Bonjour ", "^JD")


def test_rendition_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        mastodon("x").body = "y"  # type: ignore[misc]
