"""Writing a post: the dashboard, composing and editing, the live check, its images, submitting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.models import SocialAccount, User
from charter.engine import CheckReport, counters
from charter.highlight import highlight
from charter.snapshot import MediaSnapshot, PostSnapshot
from editorial import selectors, services
from editorial.form_input import parse_ids, without_nul
from editorial.forms.dates import LocalDateTimeField
from editorial.forms.networks import initial_from
from editorial.forms.posts import PostForm, join_thread, split_thread
from editorial.models import (
    AUTHOR_EDITABLE_STATES,
    REVIEWED_STATES,
    Post,
    PostState,
    PostTier,
    Revision,
    RevisionMedia,
)
from editorial.networks import NETWORKS
from editorial.selectors.dashboard import dashboard_for
from editorial.snapshots import build_snapshot, charter_check
from editorial.views.common import request_user
from editorial.views.post_page import post_page


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    posts = selectors.posts_visible_to(user)
    return render(
        request,
        "editorial/dashboard.html",
        {
            "mine": posts.filter(author=user).exclude(state=PostState.PUBLISHED)[:50],
            "queue": selectors.review_queue(user),
            "recent": posts.filter(
                state__in=[
                    PostState.PUBLISHED,
                    PostState.SCHEDULED,
                    PostState.HELD,
                    PostState.PUBLISHING,
                    PostState.FAILED,
                ]
            )[:20],
            "can_draft": permissions.accounts_for(user, permissions.Perm.DRAFT).exists(),
            "board": dashboard_for(user),
        },
    )


def _media_from_form(form: PostForm) -> list[services.MediaInput]:
    image = form.cleaned_data.get("image")
    if not image:
        return []
    return [
        services.MediaInput(
            filename=image.name,
            data=image.read(),
            alt_text=form.cleaned_data.get("alt_text", ""),
            mime_type=getattr(image, "content_type", "") or "",
            focus=form.cleaned_data.get("image_focus"),
        )
    ]


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    accounts = permissions.accounts_for(user, permissions.Perm.DRAFT)
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        accounts=accounts,
        # A fresh token per page: a refused form shown again keeps the one it was sent with.
        initial={"creation_token": uuid.uuid4()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                by=user,
                accounts=list(form.cleaned_data["accounts"]),
                text=form.cleaned_data["text"],
                language=form.cleaned_data["language"],
                requested_publish_at=form.cleaned_data["requested_publish_at"],
                media=_media_from_form(form),
                tier=form.cleaned_data["tier"] or PostTier.STANDARD,
                embargo_until=form.cleaned_data["embargo_until"],
                source=form.cleaned_data["source"],
                network=form.network_options(),
                thread=form.thread_parts(),
                token=form.cleaned_data["creation_token"],
            )
        except services.AlreadyCreated as exc:
            messages.info(request, exc.message)
            return redirect("editorial:post", pk=exc.post.pk)
        except services.EditorialError as exc:
            messages.error(request, exc.message)
        else:
            if "submit" in request.POST:
                return _submit_and_redirect(request, post.pk)
            messages.success(request, _("Draft saved."))
            return redirect("editorial:post", pk=post.pk)
    return render(request, "editorial/compose.html", {"form": form, "post": None})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    if post.author_id != user.pk or post.state not in AUTHOR_EDITABLE_STATES:
        raise PermissionDenied(_("Only the author can edit a post, until it is published."))
    reviewed = post.state in REVIEWED_STATES
    accounts = permissions.accounts_for(user, permissions.Perm.DRAFT)
    revision = post.current_revision
    assert revision is not None
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        accounts=accounts,
        media=list(revision.media.all()),
        initial=_edit_initial(post, revision),
    )
    if request.method == "POST" and form.is_valid():
        try:
            _update_from_form(post, revision, form, by=user)
        except services.EditorialError as exc:
            messages.error(request, exc.message)
        else:
            if reviewed:
                _tell_back_to_review(request, post)
            elif "submit" in request.POST:
                return _submit_and_redirect(request, post.pk)
            else:
                messages.success(request, _("New revision saved."))
            return redirect("editorial:post", pk=post.pk)
    return render(
        request, "editorial/compose.html", {"form": form, "post": post, "reviewed": reviewed}
    )


def _edit_initial(post: Post, revision: Revision) -> dict[str, Any]:
    """The edit form filled with the post and its current revision."""
    return {
        "accounts": list(post.accounts.all()),
        "text": revision.text,
        "language": revision.language,
        "base_revision": revision.number,
        "requested_publish_at": post.requested_publish_at,
        "tier": post.tier,
        "embargo_until": revision.embargo_until,
        "source": revision.source,
        "thread": join_thread(list(revision.thread or [])),
        **initial_from(revision.network_options),
    }


def _update_from_form(post: Post, revision: Revision, form: PostForm, *, by: User) -> None:
    """The valid edit form, saved as a new revision (no new image: keep the current ones)."""
    new_media = _media_from_form(form)
    services.post_update(
        post=post,
        by=by,
        base_revision=form.cleaned_data["base_revision"] or revision.number,
        text=form.cleaned_data["text"],
        language=form.cleaned_data["language"],
        accounts=list(form.cleaned_data["accounts"]),
        requested_publish_at=_edited_time(form, "requested_publish_at"),
        media=new_media or None,
        alt_texts=None if new_media else form.current_alt_texts(),
        tier=form.cleaned_data["tier"] or None,
        embargo_until=_edited_time(form, "embargo_until"),
        source=form.cleaned_data["source"],
        network=form.network_options(),
        thread=form.thread_parts(),
    )


def _edited_time(form: PostForm, name: str) -> datetime | services.Unchanged | None:
    """The new time if the author changed or removed it; otherwise the service keeps it (a
    time shown to the minute comes back without its seconds: that is no change)."""
    changed, value = form.edited_time(name)
    return value if changed else services.UNCHANGED


def _tell_back_to_review(request: HttpRequest, post: Post) -> None:
    """After an edit of a post under review: where it went, and why."""
    scheduled = post.state == PostState.SCHEDULED
    post.refresh_from_db()
    revision = post.current_revision
    assert revision is not None
    if post.state == PostState.DRAFT:
        for finding in revision.check_report.get("findings", []):
            if finding.get("severity") == "block" and not finding.get("waived"):
                messages.error(request, finding.get("message", ""))
        messages.warning(
            request,
            _(
                "The charter blocks this revision: the post is back to draft and its "
                "approvals no longer count. Change it and submit it again."
            ),
        )
        return
    messages.success(
        request,
        _("New revision saved and sent back to review: earlier approvals no longer count."),
    )
    if scheduled:
        messages.warning(request, _("The post left the schedule until it is approved again."))


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
    """The compose page's live counters and findings (htmx, debounced by the page)."""
    user = request_user(request)
    data = without_nul(request.POST)
    ids = parse_ids(data.getlist("accounts"))
    accounts = list(permissions.accounts_for(user, permissions.Perm.DRAFT).filter(pk__in=ids))
    text = data.get("text", "")
    unit = services.speaking_unit(user, accounts) if accounts else None
    if unit is None:
        return render(request, "editorial/_live.html", {"counters": [], "findings": []})
    snapshot = build_snapshot(
        text=text,
        language=data.get("language", "fr"),
        accounts=accounts,
        unit=unit,
        author=user,
        media=_live_media(data),
        scheduled_for=_requested_time(data.get("requested_publish_at", "")),
        embargo_until=_requested_time(data.get("embargo_until", "")),
        source=data.get("source", ""),
        # The counters measure what each network will receive.
        variants={n: data.get(f"variant_{n}", "") for n in NETWORKS},
        spoiler_text=data.get("spoiler_text", "").strip(),
        thread=split_thread(data.get("thread", "")),
    )
    report = charter_check(snapshot, unit=unit, accounts=accounts)
    context = _live_context(snapshot, report, accounts, text=text, data=data)
    return render(request, "editorial/_live.html", context)


def _live_media(data: QueryDict) -> list[MediaSnapshot]:
    """The images the live check measures: the one being chosen, or the current ones."""
    if data.get("has_image") == "1":
        # The page sends the file's name, not its bytes (the browser may prefix a fake path).
        name = data.get("image_name", "").replace("\\", "/").rsplit("/", 1)[-1]
        return [MediaSnapshot(filename=name[:200], alt_text=data.get("alt_text", ""))]
    # The edit page's current images, each with its alt text as typed.
    return [
        MediaSnapshot(filename="", alt_text=data.get(key, ""))
        for key in data
        if key.startswith("media_alt_")
    ]


def _live_context(
    snapshot: PostSnapshot,
    report: CheckReport,
    accounts: list[SocialAccount],
    *,
    text: str,
    data: QueryDict,
) -> dict[str, Any]:
    names = {a.pk: str(a) for a in accounts}
    runs = highlight(text, report.findings)
    return {
        "counters": [(names.get(c.account_id, ""), c) for c in counters(snapshot)],
        "findings": report.findings,
        "runs": runs if any(r.severity for r in runs) else [],
        "blocking": report.blocking,
        # The submit button is swapped out of band: disabled with the reasons while the
        # charter blocks; saving a draft is never disabled.
        # The edit page of a post under review has no submit button to swap.
        "live": data.get("live_without_submit") != "1",
    }


@login_required
def media(request: HttpRequest, pk: int, media_id: int) -> FileResponse:
    """Draft images are served only to those who may see the post (never a public URL)."""
    post = selectors.post_get_for(request_user(request), pk)
    item = get_object_or_404(RevisionMedia, pk=media_id, revision__post=post)
    response = FileResponse(item.file.open("rb"), content_type=item.mime_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return post_page(request, pk)


def _submit_and_redirect(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    try:
        report = services.post_submit(post=post, by=user)
    except services.CharterRefused as exc:
        for finding in exc.report.blocking:
            messages.error(request, finding.message)
        messages.warning(request, _("The draft is kept: change it and submit again."))
    except services.EditorialError as exc:
        messages.error(request, exc.message)
    else:
        for finding in report.findings:
            messages.warning(request, finding.message)
        messages.success(request, _("Submitted for review."))
    return redirect("editorial:post", pk=pk)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _submit_and_redirect(request, pk)
