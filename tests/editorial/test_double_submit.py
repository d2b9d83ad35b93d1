"""The compose form sent twice (double click, two tabs) creates one post (#13)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from editorial import services
from editorial.models import AuditEvent, Post, Revision
from tests.conftest import Org
from tests.editorial.test_concurrency import _waiting_on_locks
from tests.factories import make_user


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _form(org: Org, token: str, **extra: Any) -> dict[str, Any]:
    return {
        "accounts": [str(org.mastodon.pk)],
        "text": "Fermeture exceptionnelle des guichets lundi.",
        "language": "fr",
        "creation_token": token,
        **extra,
    }


@pytest.mark.django_db
def test_double_submit_compose_page_carries_a_fresh_token_each_time(org: Org) -> None:
    client = _client(org.officer)
    pages = [client.get(reverse("editorial:compose")).content.decode() for _ in range(2)]
    tokens = [p.split('name="creation_token" value="')[1][:36] for p in pages]
    assert tokens[0] != tokens[1]
    assert all(uuid.UUID(t) for t in tokens)


@pytest.mark.django_db
def test_double_submit_second_post_redirects_to_the_first(org: Org) -> None:
    client = _client(org.officer)
    token = str(uuid.uuid4())
    first = client.post(reverse("editorial:compose"), _form(org, token))
    second = client.post(reverse("editorial:compose"), _form(org, token), follow=True)
    post = Post.objects.get()
    assert first["Location"] == reverse("editorial:post", args=[post.pk])
    assert second.redirect_chain == [(reverse("editorial:post", args=[post.pk]), 302)]
    assert "This form was already sent" in second.content.decode()
    assert Revision.objects.count() == 1
    assert AuditEvent.objects.filter(verb="created").count() == 1


@pytest.mark.django_db
def test_double_submit_submit_then_save_creates_nothing_more(org: Org) -> None:
    client = _client(org.officer)
    token = str(uuid.uuid4())
    client.post(reverse("editorial:compose"), _form(org, token, submit="1"))
    client.post(reverse("editorial:compose"), _form(org, token, submit="1"))
    assert Post.objects.count() == 1
    assert AuditEvent.objects.filter(verb="submitted").count() == 1


@pytest.mark.django_db
def test_double_submit_different_tokens_make_two_posts(org: Org) -> None:
    client = _client(org.officer)
    for _ in range(2):
        client.post(reverse("editorial:compose"), _form(org, str(uuid.uuid4())))
    assert Post.objects.count() == 2


@pytest.mark.django_db
def test_double_submit_token_of_another_author_is_not_theirs(org: Org) -> None:
    """A token is unique per author: another user's identical token creates their own post and
    never redirects to (or reveals) the first author's."""
    other = make_user(username="officer2")
    from accounts.models import Membership
    from accounts.services import membership_create

    membership_create(user=other, unit=org.service, role=Membership.Role.AUTHOR)
    token = str(uuid.uuid4())
    _client(org.officer).post(reverse("editorial:compose"), _form(org, token))
    _client(other).post(reverse("editorial:compose"), _form(org, token))
    assert sorted(Post.objects.values_list("author__username", flat=True)) == [
        "officer",
        "officer2",
    ]


@pytest.mark.django_db
def test_double_submit_service_raises_with_the_first_post(org: Org) -> None:
    token = uuid.uuid4()
    first = services.post_create(by=org.officer, accounts=[org.mastodon], text="Un.", token=token)
    with pytest.raises(services.AlreadyCreated) as refused:
        services.post_create(by=org.officer, accounts=[org.mastodon], text="Deux.", token=token)
    assert refused.value.post == first
    assert Post.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_double_submit_concurrent_requests_create_one_post(org: Org) -> None:
    """Two requests with one token at the same instant, on PostgreSQL: the test holds the
    token's place in the unique index (an uncommitted row), both requests queue behind it,
    then it lets go: one creates, the other finds its post."""
    if connection.vendor != "postgresql":
        # As in test_concurrency: make test and CI run on PostgreSQL, where this must run.
        if os.environ.get("CI"):
            pytest.fail("The double-submit race needs PostgreSQL (DATABASE_URL).")
        pytest.skip("SQLite serialises writers: run through make test for PostgreSQL.")
    token = str(uuid.uuid4())
    clients = [_client(org.officer), _client(org.officer)]
    responses: list[Any] = [None, None]

    def send(index: int) -> None:
        try:
            responses[index] = clients[index].post(reverse("editorial:compose"), _form(org, token))
        except Exception as exc:  # reported by the assertion below, not lost in the thread
            responses[index] = exc
        finally:
            from django.db import connections

            connections["default"].close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]

    class LetGo(Exception):
        pass

    with pytest.raises(LetGo), transaction.atomic():
        Post.objects.create(author=org.officer, unit=org.service, creation_token=token)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120  # a bound on a condition, not a speed goal
        while _waiting_on_locks() < 2:
            assert time.monotonic() < deadline, f"the requests never reached the lock: {responses}"
            time.sleep(0.02)
        raise LetGo  # roll the placeholder back: the two requests now race for real
    for thread in threads:
        thread.join(timeout=120)

    post = Post.objects.get()
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {reverse("editorial:post", args=[post.pk])}
    assert Revision.objects.count() == 1
    assert AuditEvent.objects.filter(verb="created").count() == 1
