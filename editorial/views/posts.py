"""Writing a post: the dashboard, composing and editing, the live check, its images, submitting."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.models import User
from editorial import selectors, services
from editorial.form_input import parse_ids
from editorial.forms.networks import initial_from
from editorial.forms.posts import PostForm, join_thread
from editorial.models import (
    AUTHOR_EDITABLE_STATES,
    REVIEWED_STATES,
    Post,
    PostState,
    PostTier,
    Revision,
    RevisionMedia,
)
from editorial.selectors.dashboard import dashboard_for
from editorial.services.revisions import kept_media
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


# The cookie that tells the browser's copy of the form (static/js/compose.js) to go: read and
# deleted by static/js/porte-voix.js on the next page.
DRAFT_SAVED_COOKIE = "pv_draft_saved"


def draft_key(user: User, post_id: int | None = None, revision: int | None = None) -> str:
    """The key of the browser's copy of a compose form: the user, the post (or "new"), the
    revision edited (as compose.html writes it)."""
    if post_id is None:
        return f"pv-draft:{user.pk}:new"
    return f"pv-draft:{user.pk}:{post_id}:{revision or ''}"


def _forgets_draft(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """After a save (a POST answered with a redirect: a refused form is shown again), the
    browser may forget its copy of what was typed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.method == "POST" and isinstance(response, HttpResponseRedirect):
            pk = kwargs.get("pk")
            revision = next(iter(parse_ids([request.POST.get("base_revision", "")])), None)
            response.set_cookie(
                DRAFT_SAVED_COOKIE,
                draft_key(request_user(request), pk, revision),
                max_age=600,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    return wrapper


@login_required
@_forgets_draft
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
@_forgets_draft
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
    """The valid edit form, saved as a new revision (no new image: keep the current ones,
    with their alt texts as typed, less those the author removed)."""
    media, alt_texts = _edited_media(form, revision)
    services.post_update(
        post=post,
        by=by,
        base_revision=form.cleaned_data["base_revision"] or revision.number,
        text=form.cleaned_data["text"],
        language=form.cleaned_data["language"],
        accounts=list(form.cleaned_data["accounts"]),
        requested_publish_at=_edited_time(form, "requested_publish_at"),
        media=media,
        alt_texts=alt_texts,
        tier=form.cleaned_data["tier"] or None,
        embargo_until=_edited_time(form, "embargo_until"),
        source=form.cleaned_data["source"],
        network=form.network_options(),
        thread=form.thread_parts(),
    )


def _edited_media(
    form: PostForm, revision: Revision
) -> tuple[list[services.MediaInput] | None, list[str] | None]:
    """(media, alt_texts) for ``post_update``: a new image replaces the current ones; else
    the current ones are kept with the alt texts typed (an alt text change is a content
    change: a new revision, approvals invalidated), and removed ones are left out."""
    new_media = _media_from_form(form)
    if new_media:
        return new_media, None
    removed = form.removed_media()
    if not any(removed):
        return None, form.current_alt_texts()
    kept = kept_media(revision, form.current_alt_texts())
    return [m for m, gone in zip(kept, removed, strict=True) if not gone], None


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
