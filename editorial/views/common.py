"""What the editorial pages share: the signed-in member, one service call turned into a message."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest

from accounts.models import User
from editorial import services


def request_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def run_service(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Call one service; a refusal becomes a message that says what to change."""
    try:
        action()
    except services.EditorialError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True
