"""Threads on the editorial side: parts typed with separators, bound to the approval,
measured part by part by the charter."""

from __future__ import annotations

import pytest

from editorial import services
from editorial.forms.posts import join_thread, split_thread
from editorial.models import PostState
from tests.conftest import Org


def test_split_thread_on_dash_lines_and_back() -> None:
    typed = "Deuxième partie.\n---\nTroisième partie.\n  -----  \n\n"
    assert split_thread(typed) == ["Deuxième partie.", "Troisième partie."]
    assert split_thread(join_thread(["a", "b"])) == ["a", "b"]
    assert split_thread("Un tiret - dans le texte --- reste.") == [
        "Un tiret - dans le texte --- reste."
    ]


def test_thread_parts_are_part_of_what_an_approval_covers(org: Org) -> None:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Partie 1.", thread=["Partie 2."]
    )
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    before = post.current_revision.content_hash  # type: ignore[union-attr]

    services.post_update(
        post=post,
        by=org.officer,
        base_revision=1,
        text="Partie 1.",
        language="fr",
        thread=["Partie 2, corrigée."],
    )

    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW
    assert post.current_revision.content_hash != before  # type: ignore[union-attr]


def test_update_without_thread_keeps_the_parts(org: Org) -> None:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Partie 1.", thread=["Partie 2."]
    )
    revision = services.post_update(
        post=post, by=org.officer, base_revision=1, text="Partie 1 bis.", language="fr"
    )
    assert revision.thread == ["Partie 2."]


def test_charter_measures_each_part_and_names_it(org: Org) -> None:
    post = services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text="Court.",
        thread=["Toujours court.", "x" * 600],
    )
    with pytest.raises(services.CharterRefused) as info:
        services.post_submit(post=post, by=org.officer)
    assert "(part 3 of 3 of the thread)" in info.value.message


def test_personal_data_in_a_later_part_is_still_found(org: Org) -> None:
    post = services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text="Un fil sur l'accueil.",
        thread=["Écrivez à jean.dupont@gmail.com pour vous inscrire."],
    )
    with pytest.raises(services.CharterRefused) as info:
        services.post_submit(post=post, by=org.officer)
    assert any(f.rule == "pii.email" for f in info.value.report.blocking)


def test_too_many_parts_are_refused_with_the_limit(org: Org) -> None:
    with pytest.raises(services.EditorialError) as info:
        services.post_create(
            by=org.officer, accounts=[org.mastodon], text="1", thread=[str(n) for n in range(30)]
        )
    assert "at most 25 parts" in info.value.message
