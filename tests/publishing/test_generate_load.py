"""``manage.py generate_load``: refuses outside DEBUG unless told, and writes a consistent
organisation whose audit chain still verifies."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import permissions
from accounts.models import Membership, SocialAccount, User
from editorial.models import Approval, AuditEvent, Post, PostState
from publishing.models import Publication


@pytest.mark.django_db
def test_generate_load_refuses_without_debug_or_the_flag(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("generate_load", posts=10, accounts=2, users=4)
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_generate_load_writes_a_consistent_organisation(settings: Any) -> None:
    settings.DEBUG = False
    out = io.StringIO()
    call_command("generate_load", posts=300, accounts=4, users=24, not_production=True, stdout=out)
    assert "generate_load done: 300 posts" in out.getvalue()
    assert (SocialAccount.objects.count(), User.objects.count()) == (4, 24)
    assert Post.objects.count() == 300
    assert not Post.objects.filter(current_revision__isnull=True).exists()
    gone_out = Post.objects.filter(state__in=[PostState.PUBLISHED, PostState.RETRACTED])
    assert Publication.objects.count() == gone_out.count() > 0
    assert Approval.objects.count() > gone_out.count()
    assert Post.objects.filter(state=PostState.IN_REVIEW).exists()
    # Every post's author may draft on its account: the rights were derived, not invented.
    post = Post.objects.select_related("author").first()
    assert post is not None
    account = post.accounts.get()
    assert permissions.can(post.author, permissions.Perm.DRAFT, account)
    # Each account's service has an administrator (the records export and the electoral step).
    admins = Membership.objects.filter(role=Membership.Role.ADMIN).values_list("unit_id", flat=True)
    assert set(SocialAccount.objects.values_list("unit_id", flat=True)) <= set(admins)
    assert AuditEvent.objects.count() == 300
    call_command("verify_audit", stdout=io.StringIO())  # raises CommandError if broken
