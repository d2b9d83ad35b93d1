"""Per-network variants and options: stored on the revision, covered by the content hash,
measured by the charter on what each network receives, editable from the compose page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from editorial import services
from editorial.models import Post
from editorial.networks import NetworkOptions
from editorial.snapshots import snapshot_for_revision
from tests.conftest import Org

EN = {"accept-language": "en"}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(org: Org, network: NetworkOptions | None = None, text: str = "Texte long.") -> Post:
    return services.post_create(
        by=org.officer, accounts=[org.mastodon, org.bluesky], text=text, network=network
    )


def test_snapshot_renditions_use_each_network_variant(org: Org) -> None:
    post = _post(org, NetworkOptions(variants={"bluesky": "Court."}))
    assert post.current_revision is not None

    snapshot = snapshot_for_revision(post, post.current_revision)

    bodies = {r.network: r.body for r in snapshot.renditions}
    assert bodies == {"mastodon": "Texte long.", "bluesky": "Court."}


def test_snapshot_spoiler_text_only_on_mastodon_renditions(org: Org) -> None:
    post = _post(org, NetworkOptions(spoiler_text="Violence"))
    assert post.current_revision is not None

    snapshot = snapshot_for_revision(post, post.current_revision)

    assert {r.network: r.spoiler_text for r in snapshot.renditions} == {
        "mastodon": "Violence",
        "bluesky": "",
    }


def test_post_create_blank_variant_is_the_main_text(org: Org) -> None:
    post = _post(org, NetworkOptions(variants={"bluesky": "   ", "mastodon": "Version M."}))
    revision = post.current_revision
    assert revision is not None

    assert revision.variants == {"mastodon": "Version M."}
    assert revision.text_for("bluesky") == "Texte long."


@pytest.mark.parametrize(
    "options",
    [
        NetworkOptions(variants={"bluesky": "Court."}),
        NetworkOptions(variants={"mastodon": "Autre."}),
        NetworkOptions(visibility="unlisted"),
        NetworkOptions(spoiler_text="Attention"),
        NetworkOptions(sensitive=True),
        NetworkOptions(self_label="graphic-media"),
        NetworkOptions(reply_gate="nobody"),
    ],
)
def test_content_hash_changes_with_each_option(org: Org, options: NetworkOptions) -> None:
    plain = _post(org).current_revision
    optioned = _post(org, options).current_revision
    assert plain is not None and optioned is not None

    assert plain.content_hash != optioned.content_hash


def test_post_update_without_options_keeps_those_of_the_current_revision(org: Org) -> None:
    post = _post(org, NetworkOptions(reply_gate="mentioned", variants={"bluesky": "Court."}))

    revision = services.post_update(
        post=post, by=org.officer, base_revision=1, text="Texte revu.", language="fr"
    )

    assert revision.reply_gate == "mentioned"
    assert revision.variants == {"bluesky": "Court."}


def test_post_update_with_options_replaces_them(org: Org) -> None:
    post = _post(org, NetworkOptions(spoiler_text="Attention"))

    revision = services.post_update(
        post=post,
        by=org.officer,
        base_revision=1,
        text="Texte long.",
        language="fr",
        network=NetworkOptions(visibility="private"),
    )

    assert (revision.spoiler_text, revision.mastodon_visibility) == ("", "private")


def test_post_create_refuses_an_unknown_visibility(org: Org) -> None:
    with pytest.raises(services.EditorialError, match="visibility"):
        _post(org, NetworkOptions(visibility="direct"))
    assert not Post.objects.exists()


def test_post_submit_blocked_when_the_bluesky_variant_is_too_long(org: Org) -> None:
    post = _post(org, NetworkOptions(variants={"bluesky": "x" * 300}))

    with pytest.raises(services.CharterRefused) as refused:
        services.post_submit(post=post, by=org.officer)

    assert {f.rule for f in refused.value.report.blocking} == {"len.bluesky"}


def test_views_compose_saves_variants_and_options(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:compose"),
        {
            "accounts": [org.mastodon.pk, org.bluesky.pk],
            "text": "Le texte complet pour Mastodon.",
            "language": "fr",
            "variant_bluesky": "Version courte.",
            "mastodon_visibility": "unlisted",
            "spoiler_text": "Accident",
            "sensitive": "on",
            "bluesky_label": "graphic-media",
            "reply_gate": "followers",
            "save": "1",
        },
    )
    revision = Post.objects.get().current_revision
    assert response.status_code == 302
    assert revision is not None
    assert revision.network_options == NetworkOptions(
        variants={"bluesky": "Version courte."},
        visibility="unlisted",
        spoiler_text="Accident",
        sensitive=True,
        self_label="graphic-media",
        reply_gate="followers",
    )


def test_views_live_check_counts_the_bluesky_variant(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:live_check"),
        {"accounts": [org.bluesky.pk], "text": "x" * 400, "variant_bluesky": "Court."},
    )
    expected = len("Court.") + len("\n\n— SICOM ^JD")
    assert f"<strong>{expected}</strong>" in response.content.decode()


def test_views_live_check_counts_the_content_warning_on_mastodon(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:live_check"),
        {"accounts": [org.mastodon.pk], "text": "Bilan.", "spoiler_text": "Accident"},
    )
    expected = len("Accident") + len("Bilan.") + len("\n\n— SICOM ^JD")
    assert f"<strong>{expected}</strong>" in response.content.decode()


def test_views_post_page_shows_variant_and_options(org: Org) -> None:
    post = _post(org, NetworkOptions(variants={"bluesky": "Version courte."}, reply_gate="nobody"))

    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk]), headers=EN)

    content = page.content.decode()
    assert 'data-network="bluesky">Version courte.</blockquote>' in content
    assert '<dd data-option="reply_gate">Nobody</dd>' in content


def test_views_edit_page_prefills_the_options(org: Org) -> None:
    post = _post(org, NetworkOptions(spoiler_text="Accident", variants={"bluesky": "Court."}))

    page = _client(org.officer).get(reverse("editorial:edit", args=[post.pk]), headers=EN)

    content = page.content.decode()
    assert 'name="spoiler_text" value="Accident"' in content
    assert "Court.</textarea>" in content


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def _image(focus: tuple[float, float] | None) -> services.MediaInput:
    return services.MediaInput(
        filename="carte.png", data=_png(), alt_text="Carte", mime_type="image/png", focus=focus
    )


def test_post_create_stores_the_image_focus_in_the_content_hash(org: Org) -> None:
    centred = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Carte.", media=[_image(None)]
    )
    focused = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Carte.", media=[_image((0.0, 0.5))]
    )
    assert centred.current_revision is not None and focused.current_revision is not None

    assert focused.current_revision.media.get().focus == (0.0, 0.5)
    assert centred.current_revision.content_hash != focused.current_revision.content_hash


def test_post_create_refuses_a_focus_outside_the_image(org: Org) -> None:
    with pytest.raises(services.EditorialError, match="between -1 and 1"):
        services.post_create(
            by=org.officer, accounts=[org.mastodon], text="Carte.", media=[_image((1.5, 0.0))]
        )


def test_post_update_keeps_the_focus_of_a_kept_image(org: Org) -> None:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Carte.", media=[_image((-0.5, 0.25))]
    )

    revision = services.post_update(
        post=post, by=org.officer, base_revision=1, text="Carte revue.", language="fr"
    )

    assert revision.media.get().focus == (-0.5, 0.25)


def _compose_with_focus(org: Org, focus: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return _client(org.officer).post(
        reverse("editorial:compose"),
        {
            "accounts": [org.mastodon.pk],
            "text": "La carte.",
            "language": "fr",
            "image": SimpleUploadedFile("carte.png", _png(), content_type="image/png"),
            "alt_text": "Carte",
            "image_focus": focus,
            "save": "1",
        },
        headers=EN,
    )


def test_views_compose_saves_the_image_focus(org: Org) -> None:
    _compose_with_focus(org, "0.25,-0.5")

    revision = Post.objects.get().current_revision
    assert revision is not None
    assert revision.media.get().focus == (0.25, -0.5)


def test_views_compose_refuses_a_focus_out_of_range(org: Org) -> None:
    response = _compose_with_focus(org, "2,0")

    assert response.status_code == 200
    assert not Post.objects.exists()
    assert "between -1 and 1" in response.content.decode()


def test_history_lists_the_options_changed_by_a_revision(org: Org) -> None:
    from editorial import history

    post = _post(org, NetworkOptions(spoiler_text="Accident"))
    services.post_update(
        post=post,
        by=org.officer,
        base_revision=1,
        text="Texte long.",
        language="fr",
        network=NetworkOptions(variants={"bluesky": "Court."}),
    )

    latest = history.post_history(post).revisions[0]

    changes = {(c.label, c.before, c.after) for c in latest.diff.changes}
    assert changes == {
        ("Content warning on Mastodon", "Accident", ""),
        ("Bluesky version", "", "Court."),
    }
