"""Notifications by email, and each member's choice of which kinds they receive.

What an e-mail says and who wants one. Sending is ``editorial.email_delivery``'s, from a
worker once the change is committed, through Django's configured ``EMAIL_BACKEND``. The in-app
notification is the record: a mail server that refuses or times out never undoes the change
nor removes the notification from the member's list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from editorial import failures, policies
from editorial.models import Notification, NotificationPreference

if TYPE_CHECKING:
    from accounts.models import User

Kind = Notification.Kind

# Kinds that reach the author of the post whatever they chose: a failed publication of
# their own words is something they must hear of even when away from the app.
ALWAYS_TO_AUTHOR = frozenset({Kind.FAILED.value})


def kinds() -> list[tuple[str, str]]:
    """Every kind of notification, read at run time so kinds added later are offered too."""
    return [(str(value), str(label)) for value, label in Notification.Kind.choices]


def preference_for(user: User) -> NotificationPreference:
    """The member's preference, unsaved defaults (every email, site language) if none."""
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref or NotificationPreference(user=user)


def wants_email(note: Notification, pref: NotificationPreference | None) -> bool:
    recipient = note.recipient
    if not recipient.is_active or not recipient.email:
        return False
    post = note.post
    if note.kind in ALWAYS_TO_AUTHOR and post is not None and post.author_id == recipient.pk:
        return True
    return pref is None or note.kind not in pref.email_muted


@transaction.atomic
def notification_preferences_set(
    *, by: User, emailed: Iterable[str], language: str = ""
) -> NotificationPreference:
    """Record which kinds ``by`` wants by email (every other known kind is muted).

    Not in the audit trail: it is the member's own inbox, not an editorial act.
    """
    known = {value for value, _label in kinds()}
    chosen = set(emailed)
    unknown = chosen - known
    if unknown:
        raise ValueError(f"unknown notification kinds: {sorted(unknown)}")
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language: {language}")
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=by)
    pref.email_muted = sorted(known - chosen)
    pref.language = language
    pref.save()
    return pref


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def post_url(post_id: int) -> str:
    return str(settings.SITE_URL).rstrip("/") + reverse("editorial:post", args=[post_id])


def failure_context(note: Notification) -> dict[str, Any]:
    """For a failed publication: why, in the active language, and the links this recipient
    may use (the retry on the post's page for those who may retry; the Accounts page for the
    administrators of an account to reconnect)."""
    worded = note.failures
    if not worded:
        return {}
    site = str(settings.SITE_URL).rstrip("/")
    post = note.post
    return {
        "failures": worded,
        "managed_units": failures.reconnecting_units(note.recipient, worded),
        "accounts_url": site + reverse("publishing:accounts"),
        "retry_url": post_url(post.pk) + "#retry"
        if post is not None and policies.may_retry(post, note.recipient)
        else "",
    }


def compose(note: Notification, pref: NotificationPreference | None) -> Email:
    """The email for one notification, in the recipient's language (else the site's)."""
    language = (pref.language if pref else "") or settings.LANGUAGE_CODE
    with translation.override(language):
        headline = note.get_kind_display()
        post = note.post
        if post is not None:
            subject = _("[Porte-voix] %(what)s: post #%(id)s %(title)s") % {
                "what": headline,
                "id": post.pk,
                "title": post.title,
            }
        else:
            subject = _("[Porte-voix] %(what)s") % {"what": headline}
        body = render_to_string(
            "editorial/email/notification.txt",
            {
                "note": note,
                "headline": headline,
                "post": post,
                "url": post_url(post.pk) if post is not None else settings.SITE_URL,
                "preferences_url": str(settings.SITE_URL).rstrip("/")
                + reverse("editorial:notification_preferences"),
                **failure_context(note),
            },
        )
    # Subjects are one line: a title cut mid-sentence may still carry a newline.
    return Email(to=note.recipient.email, subject=one_line(subject), body=body)


def one_line(text: str) -> str:
    """Line breaks and runs of ordinary spaces become one space; no-break spaces stay (French
    puts one before a colon: ``str.split()`` would have dropped them)."""
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()
