"""The compose page's views: the live check's previews, the edit page's images (alt texts and
removal through post_update), and the cookie that lets the browser forget its autosaved copy."""

from __future__ import annotations

import io
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from charter.counting import bluesky_graphemes
from editorial import policies, services
from editorial.models import Post, PostState
from editorial.views.posts import DRAFT_SAVED_COOKIE
from tests.conftest import Org
from tests.factories import make_account

BYLINE = "— SICOM ^JD"


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def _with_image(org: Org, alt: str = "Une carte.") -> Post:
    image = services.MediaInput(filename="carte.png", data=_png(), alt_text=alt)
    return services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Les guichets ouvrent.", media=[image]
    )


def _edit_data(post: Post, **fields: str) -> dict[str, Any]:
    revision = post.current_revision
    assert revision is not None
    data: dict[str, Any] = {
        "accounts": [a.pk for a in post.accounts.all()],
        "text": revision.text,
        "language": revision.language,
        "base_revision": revision.number,
        "tier": post.tier,
        "save": "1",
    }
    for m in revision.media.all():
        data[f"media_alt_{m.pk}"] = m.alt_text
    data.update(fields)
    return data


def test_live_check_renders_a_preview_per_account_out_of_band(org: Org) -> None:
    page = (
        _client(org.officer)
        .post(
            reverse("editorial:live_check"),
            {"accounts": [org.mastodon.pk, org.bluesky.pk], "text": "Voir https://www.gouv.fr"},
        )
        .content.decode()
    )
    assert '<section id="previews"' in page and 'hx-swap-oob="true"' in page
    assert (
        f'data-account="{org.mastodon.pk}"' in page and f'data-account="{org.bluesky.pk}"' in page
    )
    assert f'<span class="pv-byline">{BYLINE}</span>' in page
    assert "@compte0@social.example.gouv.fr" in page  # Mastodon's handle names its server
    assert '<span class="pv-card__host">gouv.fr</span>' in page


def test_live_check_counts_each_part_and_marks_the_finding_in_its_part(org: Org) -> None:
    second = "Écrivez à jean.dupont@gmail.com."
    page = (
        _client(org.officer)
        .post(
            reverse("editorial:live_check"),
            {"accounts": [org.bluesky.pk], "text": "Premier.", "thread": second},
        )
        .content.decode()
    )
    counts = [bluesky_graphemes("Premier."), bluesky_graphemes(f"{second}\n\n{BYLINE}")]
    for n, used in enumerate(counts, start=1):
        assert f'data-part="{n}">Part {n}: <strong>{used}</strong>' in page
    part_two = page[page.index('class="pv-status" data-part="2"') :]
    assert ">jean.dupont@gmail.com</mark>" in part_two
    part_one = page[page.index('class="pv-status" data-part="1"') : page.index(part_two)]
    assert "<mark" not in part_one


def test_live_check_shows_a_missing_alt_in_the_preview(org: Org) -> None:
    page = (
        _client(org.officer)
        .post(
            reverse("editorial:live_check"),
            {
                "accounts": [org.mastodon.pk],
                "text": "Bonjour.",
                "has_image": "1",
                "image_name": "carte.png",
                "alt_text": "",
            },
        )
        .content.decode()
    )
    assert "pv-alt--missing" in page and "An image has no alt text" in page


def test_live_check_leaves_out_a_removed_image_and_links_the_current_one(org: Org) -> None:
    post = _with_image(org)
    media = post.current_revision.media.get()  # type: ignore[union-attr]
    client = _client(org.officer)
    data = {
        "accounts": [org.mastodon.pk],
        "text": "Bonjour.",
        "post_id": post.pk,
        f"media_alt_{media.pk}": "Une carte.",
    }
    shown = client.post(reverse("editorial:live_check"), data).content.decode()
    assert f'src="{reverse("editorial:media", args=[post.pk, media.pk])}"' in shown
    removed = client.post(
        reverse("editorial:live_check"), {**data, f"media_remove_{media.pk}": "on"}
    ).content.decode()
    assert "pv-image" not in removed


def test_edit_page_shows_the_images_with_their_alt_and_a_remove_box(org: Org) -> None:
    post = _with_image(org)
    media = post.current_revision.media.get()  # type: ignore[union-attr]
    page = _client(org.officer).get(reverse("editorial:edit", args=[post.pk])).content.decode()
    assert f'src="{reverse("editorial:media", args=[post.pk, media.pk])}" alt="Une carte."' in page
    assert f'name="media_alt_{media.pk}"' in page and f'name="media_remove_{media.pk}"' in page
    assert f'data-autosave-key="pv-draft:{org.officer.pk}:{post.pk}:1"' in page


def test_edit_removes_an_image_through_a_new_revision(org: Org) -> None:
    post = _with_image(org)
    media = post.current_revision.media.get()  # type: ignore[union-attr]
    response = _client(org.officer).post(
        reverse("editorial:edit", args=[post.pk]),
        _edit_data(post, **{f"media_remove_{media.pk}": "on"}),
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.current_revision is not None and post.current_revision.number == 2
    assert post.current_revision.media.count() == 0
    assert post.revisions.get(number=1).media.count() == 1  # history keeps it


def test_edit_of_an_alt_text_sends_an_approved_post_back_to_review(org: Org) -> None:
    post = _with_image(org)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    media = post.current_revision.media.get()  # type: ignore[union-attr]
    response = _client(org.officer).post(
        reverse("editorial:edit", args=[post.pk]),
        _edit_data(post, **{f"media_alt_{media.pk}": "Carte des 12 guichets du département."}),
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW
    assert policies.current_approvals(post) == []
    assert post.current_revision.media.get().alt_text == (  # type: ignore[union-attr]
        "Carte des 12 guichets du département."
    )


def test_compose_save_tells_the_browser_to_forget_its_copy(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:compose"),
        {"accounts": [org.mastodon.pk], "text": "Bonjour.", "language": "fr", "save": "1"},
    )
    assert response.status_code == 302
    assert response.cookies[DRAFT_SAVED_COOKIE].value == f"pv-draft:{org.officer.pk}:new"


def test_compose_refused_keeps_the_browsers_copy(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:compose"), {"accounts": [org.mastodon.pk], "text": "", "save": "1"}
    )
    assert response.status_code == 200
    assert DRAFT_SAVED_COOKIE not in response.cookies
    # Shown again with what was sent: the page does not restore an older copy over it.
    assert 'data-autosave-restore="0"' in response.content.decode()


def test_edit_save_names_the_revision_edited(org: Org) -> None:
    post = _with_image(org)
    response = _client(org.officer).post(
        reverse("editorial:edit", args=[post.pk]), _edit_data(post, text="Nouveau texte.")
    )
    assert response.status_code == 302
    assert response.cookies[DRAFT_SAVED_COOKIE].value == f"pv-draft:{org.officer.pk}:{post.pk}:1"


def test_live_check_queries_do_not_grow_with_accounts_or_parts(org: Org) -> None:
    client = _client(org.officer)

    def queries(ids: list[int], thread: str) -> int:
        data = {"accounts": ids, "text": "Voir https://www.gouv.fr", "thread": thread}
        with CaptureQueriesContext(connection) as captured:
            assert client.post(reverse("editorial:live_check"), data).status_code == 200
        return len(captured.captured_queries)

    queries([org.mastodon.pk], "")  # the session and caches, read once
    one = queries([org.mastodon.pk], "")
    more = [make_account(org.service, "mastodon").pk for _ in range(5)]
    many = queries([org.mastodon.pk, org.bluesky.pk, *more], "Deux.\n---\nTrois.\n---\nQuatre.")
    assert many == one


def test_live_check_shows_the_bluesky_label_and_mastodon_sensitive_media(org: Org) -> None:
    data = {
        "accounts": [org.mastodon.pk, org.bluesky.pk],
        "text": "Bonjour.",
        "has_image": "1",
        "image_name": "carte.png",
        "alt_text": "Une carte.",
        "sensitive": "on",
        "bluesky_label": "graphic-media",
    }
    page = _client(org.officer).post(reverse("editorial:live_check"), data).content.decode()
    assert page.count("Sensitive media: hidden until opened") == 1  # Mastodon only
    assert page.count("Content label: Graphic media") == 1  # Bluesky only
    unknown = {**data, "bluesky_label": "made-up", "sensitive": ""}
    page = _client(org.officer).post(reverse("editorial:live_check"), unknown).content.decode()
    assert "Content label" not in page and "Sensitive media" not in page
