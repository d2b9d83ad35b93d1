"""An edit changes only what the author changed; removing a time is an explicit act; "publish
now" is its own button. The forms are replayed as the page renders them, in French and in
English, the way a browser submits what it was shown."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import User
from editorial import history, services
from editorial.diffs import Change
from editorial.models import Post, PostState, Revision
from tests.conftest import Org

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
# Far from NOW; the seconds prove a time shown to the minute comes back unchanged.
REQUESTED = datetime(2026, 12, 10, 7, 0, 30, tzinfo=UTC)
EMBARGO = datetime(2026, 12, 9, 17, 0, tzinfo=UTC)
TEXT = "Les guichets ouvrent lundi, à 9 heures."
LANGUAGES = ["fr", "en"]


class _FormReader(HTMLParser):
    """The values a browser would submit from the first form with id or class ``css``."""

    def __init__(self, css: str) -> None:
        super().__init__()
        self.css, self.inside = css, False
        self._textarea: str | None = None
        self._select: str | None = None
        self.values_list: dict[str, list[str]] = {}

    def _add(self, name: str, value: str) -> None:
        self.values_list.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and (a.get("id") == self.css or self.css in a.get("class", "").split()):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") != "file":
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") in ("checkbox", "radio"):
                self._add(name, a.get("value", "on"))
            else:
                self._add(name, a.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self._add(name, "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values_list[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.inside:
            self.inside = False


def _form_values(page: str, css: str) -> dict[str, Any]:
    reader = _FormReader(css)
    reader.feed(page)
    values = reader.values_list
    assert values, f"no form .{css} on the page"
    # Textareas start with a newline Django adds for the browser, which drops it.
    return {k: v if len(v) > 1 else v[0].removeprefix("\n") for k, v in values.items()}


def _client(user: User, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _post(org: Org, **kwargs: Any) -> Post:
    kwargs.setdefault("requested_publish_at", REQUESTED)
    kwargs.setdefault("embargo_until", EMBARGO)
    return services.post_create(by=org.officer, accounts=[org.mastodon], text=TEXT, **kwargs)


def _revision(post: Post) -> Revision:
    post.refresh_from_db()
    assert post.current_revision is not None
    return post.current_revision


def _edit_form(org: Org, post: Post, language: str) -> tuple[Client, dict[str, Any]]:
    client = _client(org.officer, language)
    page = client.get(reverse("editorial:edit", args=[post.pk])).content.decode()
    return client, _form_values(page, "compose")


@pytest.mark.parametrize("language", LANGUAGES)
@time_machine.travel(NOW, tick=False)
def test_edit_view_one_word_keeps_the_embargo_and_the_requested_time(
    org: Org, language: str
) -> None:
    post = _post(org)
    client, data = _edit_form(org, post, language)
    data["text"] = TEXT.replace("lundi", "mardi")
    response = client.post(reverse("editorial:edit", args=[post.pk]), data)
    assert response.status_code == 302
    revision = _revision(post)
    assert revision.number == 2 and "mardi" in revision.text
    assert (post.requested_publish_at, revision.embargo_until) == (REQUESTED, EMBARGO)
    assert revision.requested_publish_at == REQUESTED
    changes = history.post_history(post).revisions[0].diff.changes
    assert [c.kind for c in changes] == []


@pytest.mark.parametrize("language", LANGUAGES)
@time_machine.travel(NOW, tick=False)
def test_edit_view_renders_the_times_as_iso_in_every_language(org: Org, language: str) -> None:
    _unused, data = _edit_form(org, _post(org), language)
    # Europe/Paris is UTC+1 in December.
    assert data["requested_publish_at"] == "2026-12-10T08:00"
    assert data["embargo_until"] == "2026-12-09T18:00"


@time_machine.travel(NOW, tick=False)
def test_edit_view_empty_time_without_the_checkbox_is_refused_and_shown_again(
    org: Org,
) -> None:
    post = _post(org)
    client, data = _edit_form(org, post, "fr")
    data["embargo_until"] = ""
    response = client.post(reverse("editorial:edit", args=[post.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Cette heure est revenue vide" in page
    assert 'value="2026-12-09T18:00"' in page
    assert _revision(post).number == 1


@pytest.mark.parametrize(
    ("name", "kind"),
    [("embargo_until", Change.EMBARGO), ("requested_publish_at", Change.REQUESTED_TIME)],
)
@time_machine.travel(NOW, tick=False)
def test_edit_view_removing_a_time_is_explicit_recorded_and_hashed(
    org: Org, name: str, kind: Change
) -> None:
    post = _post(org)
    before = _revision(post)
    client, data = _edit_form(org, post, "en")
    data[f"clear_{name}"] = "on"  # the field itself still shows the time
    response = client.post(reverse("editorial:edit", args=[post.pk]), data)
    assert response.status_code == 302
    after = _revision(post)
    removed = post.requested_publish_at if name == "requested_publish_at" else after.embargo_until
    kept = after.embargo_until if name == "requested_publish_at" else post.requested_publish_at
    assert removed is None and kept is not None
    assert after.content_hash != before.content_hash
    changes = history.post_history(post).revisions[0].diff.changes
    assert [(c.kind, bool(c.before), c.after) for c in changes] == [(kind, True, "")]


@time_machine.travel(NOW, tick=False)
def test_edit_view_remove_checkbox_and_a_new_time_together_are_refused(org: Org) -> None:
    post = _post(org)
    client, data = _edit_form(org, post, "en")
    data.update(embargo_until="2026-12-09T20:00", clear_embargo_until="on")
    response = client.post(reverse("editorial:edit", args=[post.pk]), data)
    assert "asked to remove it" in response.content.decode()
    assert _revision(post).number == 1


@time_machine.travel(NOW, tick=False)
def test_edit_view_changed_time_is_saved(org: Org) -> None:
    post = _post(org)
    client, data = _edit_form(org, post, "fr")
    data["requested_publish_at"] = "2026-12-10T09:30"
    client.post(reverse("editorial:edit", args=[post.pk]), data)
    post.refresh_from_db()
    assert post.requested_publish_at == datetime(2026, 12, 10, 8, 30, tzinfo=UTC)
    assert _revision(post).embargo_until == EMBARGO


def test_post_update_keeps_the_requested_time_unless_given(org: Org) -> None:
    post = _post(org)
    services.post_update(post=post, by=org.officer, base_revision=1, text="Autre.", language="fr")
    post.refresh_from_db()
    assert post.requested_publish_at == REQUESTED
    services.post_update(
        post=post,
        by=org.officer,
        base_revision=2,
        text="Autre.",
        language="fr",
        requested_publish_at=None,
    )
    post.refresh_from_db()
    assert post.requested_publish_at is None


def test_requested_time_is_part_of_the_content_hash(org: Org) -> None:
    timed = _revision(_post(org, embargo_until=None))
    untimed = _revision(_post(org, embargo_until=None, requested_publish_at=None))
    assert timed.content_hash != untimed.content_hash


# --- Images ------------------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def _with_image(org: Org) -> Post:
    image = services.MediaInput(filename="carte.png", data=_png(), alt_text="Une carte.")
    return _post(org, media=[image])


@pytest.mark.parametrize("language", LANGUAGES)
@time_machine.travel(NOW, tick=False)
def test_edit_view_shows_the_current_image_and_keeps_an_edited_alt_text(
    org: Org, language: str
) -> None:
    post = _with_image(org)
    old = _revision(post).media.get()
    client, data = _edit_form(org, post, language)
    assert data[f"media_alt_{old.pk}"] == "Une carte."
    data[f"media_alt_{old.pk}"] = "Carte des 12 nouveaux guichets du département."
    response = client.post(reverse("editorial:edit", args=[post.pk]), data)
    assert response.status_code == 302
    revision = _revision(post)
    new = revision.media.get()
    assert (revision.number, new.sha256, new.alt_text) == (
        2,
        old.sha256,
        "Carte des 12 nouveaux guichets du département.",
    )
    assert revision.content_hash != old.revision.content_hash
    changes = history.post_history(post).revisions[0].diff.changes
    assert [c.kind for c in changes] == [Change.ALT_TEXT]


@time_machine.travel(NOW, tick=False)
def test_edit_view_alt_text_for_a_missing_new_image_is_refused_not_dropped(org: Org) -> None:
    post = _with_image(org)
    client, data = _edit_form(org, post, "en")
    data["alt_text"] = "Carte des guichets."
    response = client.post(reverse("editorial:edit", args=[post.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "no image is attached" in page
    assert "Carte des guichets." in page  # what was typed is still there
    assert _revision(post).number == 1


@time_machine.travel(NOW, tick=False)
def test_edit_view_new_image_with_an_edited_current_alt_text_is_refused(org: Org) -> None:
    post = _with_image(org)
    old = _revision(post).media.get()
    client, data = _edit_form(org, post, "en")
    data[f"media_alt_{old.pk}"] = "Autre description."
    data["image"] = SimpleUploadedFile("plan.png", _png(), content_type="image/png")
    data["alt_text"] = "Un plan."
    response = client.post(reverse("editorial:edit", args=[post.pk]), data)
    assert "this alt text would be lost" in response.content.decode()
    assert _revision(post).number == 1


@time_machine.travel(NOW, tick=False)
def test_edit_view_new_image_replaces_the_current_one(org: Org) -> None:
    post = _with_image(org)
    client, data = _edit_form(org, post, "en")
    data["image"] = SimpleUploadedFile("plan.png", _png(), content_type="image/png")
    data["alt_text"] = "Un plan."
    client.post(reverse("editorial:edit", args=[post.pk]), data)
    assert [m.alt_text for m in _revision(post).media.all()] == ["Un plan."]


# --- Schedule --------------------------------------------------------------------------


def _approved(org: Org, **kwargs: Any) -> Post:
    post = _post(org, embargo_until=None, **kwargs)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    return post


def _schedule_form(org: Org, post: Post, language: str) -> tuple[Client, dict[str, Any]]:
    client = _client(org.manager, language)
    page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
    return client, _form_values(page, "schedule-form")


@pytest.mark.parametrize("language", LANGUAGES)
@time_machine.travel(NOW, tick=False)
def test_schedule_view_untouched_form_keeps_the_requested_time(org: Org, language: str) -> None:
    post = _approved(org)
    client, data = _schedule_form(org, post, language)
    assert data["at"] == "2026-12-10T08:00"
    client.post(reverse("editorial:schedule", args=[post.pk]), {**data, "schedule": ""})
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert post.scheduled_at == REQUESTED.replace(second=0)


@time_machine.travel(NOW, tick=False)
def test_schedule_view_empty_time_without_publish_now_is_refused(org: Org) -> None:
    post = _approved(org, requested_publish_at=None)
    client = _client(org.manager, "fr")
    response = client.post(
        reverse("editorial:schedule", args=[post.pk]), {"at": "", "schedule": ""}, follow=True
    )
    post.refresh_from_db()
    assert post.state == PostState.APPROVED and post.scheduled_at is None
    assert "une heure vide ne veut pas dire maintenant" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_schedule_view_publish_now_button_schedules_now(org: Org) -> None:
    post = _approved(org)
    client, data = _schedule_form(org, post, "en")
    client.post(reverse("editorial:schedule", args=[post.pk]), {**data, "now": ""})
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (PostState.SCHEDULED, NOW)


@time_machine.travel(NOW, tick=False)
def test_approve_and_schedule_without_a_time_needs_the_publish_now_button(org: Org) -> None:
    post = _post(org, embargo_until=None, requested_publish_at=None)
    services.post_submit(post=post, by=org.officer)
    _client(org.manager, "en").post(
        reverse("editorial:approve", args=[post.pk]), {"and_schedule": "1", "revision": "1"}
    )
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (PostState.APPROVED, None)


@time_machine.travel(NOW, tick=False)
def test_approve_and_publish_now_button_schedules_now(org: Org) -> None:
    post = _post(org, embargo_until=None, requested_publish_at=None)
    services.post_submit(post=post, by=org.officer)
    client = _client(org.manager, "en")
    page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
    button_form = page.split('id="approve-and-schedule"')[0].rsplit("<form", 1)[1]
    assert 'name="now" value="1"' in button_form
    client.post(
        reverse("editorial:approve", args=[post.pk]),
        {"and_schedule": "1", "now": "1", "revision": "1"},
    )
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (PostState.SCHEDULED, NOW)


def test_approve_and_schedule_with_a_passed_requested_time_does_not_publish_now(
    org: Org,
) -> None:
    with time_machine.travel(NOW, tick=False):
        post = _post(org, embargo_until=None)
        services.post_submit(post=post, by=org.officer)
    with time_machine.travel(datetime(2026, 12, 11, tzinfo=UTC), tick=False):
        response = _client(org.manager, "en").post(
            reverse("editorial:approve", args=[post.pk]),
            {"and_schedule": "1", "revision": "1"},
            follow=True,
        )
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (PostState.APPROVED, None)
    assert "has passed" in response.content.decode()
