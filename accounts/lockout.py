"""Login throttling with django-axes: who counts as one client, when the lock lifts, what it says.

axes counts failures per (username, IP address) (``AXES_LOCKOUT_PARAMETERS``). Its single
limit cannot also lock an IP address that tries many usernames a few times each, so the
handler adds that second, higher limit (``LOGIN_IP_FAILURE_LIMIT``). The lockout is recorded
in the audit trail through ``accounts.signals.security_event`` (accounts does not import
editorial) and logged on the ``porte_voix.security`` logger.
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.signals import security_event

logger = logging.getLogger("porte_voix.security")


def _cool_off() -> timedelta:
    cool_off = get_cool_off()
    assert isinstance(cool_off, timedelta)  # set as a timedelta in config/settings.py
    return cool_off


def _ip_attempts(ip_address: str | None) -> Any:
    threshold = timezone.now() - _cool_off()
    return AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=threshold)


class LockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """axes' database handler, plus a lock on an IP address that fails too often overall."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        pair = int(super().get_failures(request, credentials))
        by_ip = _ip_attempts(request.axes_ip_address).aggregate(n=Sum("failures_since_start"))
        if (by_ip["n"] or 0) >= settings.LOGIN_IP_FAILURE_LIMIT:
            # Reported as the per-client limit: axes compares every count with that one.
            return max(pair, int(settings.LOGIN_FAILURE_LIMIT))
        return pair


def locked_until(request: HttpRequest, username: str) -> datetime:
    """When this client may try again: the cool-off after the last failure that counted.

    Failures during a lockout are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``
    is off), so this moment does not move while the page is shown.
    """
    ip_address = getattr(request, "axes_ip_address", None)
    attempts = _ip_attempts(ip_address)
    by_ip = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    if (by_ip["n"] or 0) < settings.LOGIN_IP_FAILURE_LIMIT:
        attempts = attempts.filter(username=username)
    last = attempts.aggregate(last=Max("attempt_time"))["last"] or timezone.now()
    return last + _cool_off()


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict[str, Any] | None,
) -> HttpResponse:
    """The lockout page (HTTP 429), in the visitor's language, saying when to try again."""
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))
    until = locked_until(request, username)
    return render(
        request,
        "accounts/lockout.html",
        {"until": until, "minutes": settings.LOGIN_COOLOFF_MINUTES},
        status=429,
    )


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.FORWARDED_ALLOW_IPS:
        if entry == "*":
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as our reverse proxy saw it.

    gunicorn trusts the proxies listed in FORWARDED_ALLOW_IPS for the scheme only: REMOTE_ADDR
    stays the proxy's address. Walk X-Forwarded-For from the right (each proxy appends the
    address it received from) past our trusted proxies; the first untrusted address is the
    client. Entries further left were written by the client and could be anything.
    """
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    if not remote or not _trusted(remote):
        return remote or None
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                # Not an address: a proxy of ours would not write that; the hop is the proxy.
                return remote
    return hops[0] if hops else remote


def on_user_locked_out(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """Record the moment a client gets locked out, once (not every refused try after it)."""
    if getattr(request, "axes_failures_since_start", None) is None:
        return  # a try while already locked out: not counted, not recorded again
    data = {
        "username": username or "",
        "ip_address": ip_address or "",
        "path": request.path,
        "locked_until": locked_until(request, username or "").isoformat(),
    }
    logger.warning("Login locked out: %s", data)
    security_event.send(sender=on_user_locked_out, verb="login_locked_out", actor=None, data=data)


@transaction.atomic
def lockout_clear(*, attempts: QuerySet[AccessAttempt], by: User) -> int:
    """Lift lockouts early (the admin's action on *Access attempts*): the clients' failures
    are forgotten, each one recorded as ``lockout_cleared`` with who lifted it. Whoever may
    delete access attempts may; returns how many were cleared.

    ``manage.py axes_reset_username``/``axes_reset_ip`` do the same from a shell, unrecorded:
    the system's hand, as every write with no person behind it."""
    if not (by.is_active and by.has_perm("axes.delete_accessattempt")):
        raise PermissionDenied(_("You may not lift login lockouts."))
    cleared = 0
    # Locked by id: the page's queryset may carry a DISTINCT, which FOR UPDATE refuses.
    rows = AccessAttempt.objects.select_for_update().filter(pk__in=attempts.values("pk"))
    for attempt in rows.order_by("pk"):
        data = {
            "username": attempt.username or "",
            "ip_address": attempt.ip_address or "",
            "failures": attempt.failures_since_start,
        }
        attempt.delete()
        logger.warning("Login lockout cleared by %s: %s", by.username, data)
        security_event.send(sender=User, verb="lockout_cleared", actor=by, data=data)
        cleared += 1
    return cleared
