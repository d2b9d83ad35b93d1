"""The compose page's live check: counters, charter findings and each account's preview,
rendered on the server at each pause in typing (htmx): one truth, and no inline script."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from accounts import permissions
from accounts.models import SocialAccount
from charter.engine import CheckReport, counters
from charter.snapshot import MediaSnapshot, PostSnapshot
from editorial import services
from editorial.form_input import parse_ids, without_nul
from editorial.forms.dates import LocalDateTimeField
from editorial.forms.posts import split_thread
from editorial.networks import NETWORKS, SelfLabel
from editorial.previews import Identity, Marks, identity, previews
from editorial.snapshots import build_snapshot, charter_check
from editorial.views.common import request_user


def _requested_time(value: str) -> datetime | None:
    """The compose form's requested time as the form reads it; None while empty or half-typed,
    so the live check judges the post as sent when approved."""
    try:
        parsed: datetime | None = LocalDateTimeField(required=False).clean(value)
    except ValidationError:
        return None
    return parsed


@login_required
def live_check(request: HttpRequest) -> HttpResponse:
    """The compose page's live counters, findings and previews (htmx, debounced by the page)."""
    user = request_user(request)
    data = without_nul(request.POST)
    ids = parse_ids(data.getlist("accounts"))
    accounts = list(
        permissions.accounts_for(user, permissions.Perm.DRAFT)
        .filter(pk__in=ids)
        .select_related("unit")
    )
    text = data.get("text", "")
    unit = services.speaking_unit(user, accounts) if accounts else None
    if unit is None:
        return render(
            request, "editorial/_live.html", {"counters": [], "findings": [], "previews": []}
        )
    media, thumbnails = _live_media(data)
    snapshot = build_snapshot(
        text=text,
        language=data.get("language", "fr"),
        accounts=accounts,
        unit=unit,
        author=user,
        media=media,
        scheduled_for=_requested_time(data.get("requested_publish_at", "")),
        embargo_until=_requested_time(data.get("embargo_until", "")),
        source=data.get("source", ""),
        # The counters measure what each network will receive.
        variants={n: data.get(f"variant_{n}", "") for n in NETWORKS},
        spoiler_text=data.get("spoiler_text", "").strip(),
        thread=split_thread(data.get("thread", "")),
    )
    report = charter_check(snapshot, unit=unit, accounts=accounts)
    context = _live_context(snapshot, report, accounts, data=data, thumbnails=thumbnails)
    return render(request, "editorial/_live.html", context)


def _live_media(data: QueryDict) -> tuple[list[MediaSnapshot], list[str]]:
    """The images the live check measures: the one being chosen, or the current ones (with
    the address of each, for the preview: the media view checks who may see it)."""
    if data.get("has_image") == "1":
        # The page sends the file's name, not its bytes (the browser may prefix a fake path).
        name = data.get("image_name", "").replace("\\", "/").rsplit("/", 1)[-1]
        return [MediaSnapshot(filename=name[:200], alt_text=data.get("alt_text", ""))], []
    # The edit page's current images, each with its alt text as typed; a removed one is gone.
    post_id = next(iter(parse_ids([data.get("post_id", "")])), None)
    media: list[MediaSnapshot] = []
    thumbnails: list[str] = []
    for key in data:
        if not key.startswith("media_alt_"):
            continue
        media_id = next(iter(parse_ids([key.removeprefix("media_alt_")])), None)
        if media_id is not None and data.get(f"media_remove_{media_id}"):
            continue
        media.append(MediaSnapshot(filename="", alt_text=data.get(key, "")))
        address = reverse("editorial:media", args=[post_id, media_id]) if post_id else ""
        thumbnails.append(address if media_id is not None else "")
    return media, thumbnails


def _live_context(
    snapshot: PostSnapshot,
    report: CheckReport,
    accounts: list[SocialAccount],
    *,
    data: QueryDict,
    thumbnails: list[str],
) -> dict[str, Any]:
    names = {a.pk: str(a) for a in accounts}
    shown = previews(snapshot, report.findings, _identities(accounts), thumbnails, _marks(data))
    by_account = {p.account_id: p for p in shown}
    return {
        "counters": [
            (names.get(c.account_id, ""), c, by_account.get(c.account_id))
            for c in counters(snapshot)
        ],
        "findings": report.findings,
        "previews": shown,
        "blocking": report.blocking,
        # The submit button is swapped out of band: disabled with the reasons while the
        # charter blocks; saving a draft is never disabled.
        # The edit page of a post under review has no submit button to swap.
        "live": data.get("live_without_submit") != "1",
    }


def _marks(data: QueryDict) -> Marks:
    """The options that change how the post looks: Mastodon's sensitive media, the name of
    the Bluesky self-label chosen (an unknown value shows none, as the form refuses it)."""
    choice = data.get("bluesky_label") or ""
    label = dict(SelfLabel.choices).get(choice, "") if choice else ""
    return Marks(sensitive=bool(data.get("sensitive")), label=str(label))


def _identities(accounts: list[SocialAccount]) -> dict[int, Identity]:
    """Each account as its preview names it: its unit above the post, its handle."""
    return {
        a.pk: identity(
            network=a.network, handle=a.handle, server_url=a.server_url, display_name=a.unit.name
        )
        for a in accounts
    }
