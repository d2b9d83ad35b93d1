"""Thin views: fetch through a selector (404), call one service, turn refusals into messages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.models import User
from charter.engine import counters
from charter.highlight import highlight
from charter.selectors import link_statuses
from charter.snapshot import LinkStatus, MediaSnapshot
from editorial import (
    failures,
    forms_networks,
    history,
    policies,
    selectors,
    services,
    views_consultations,
    views_urgent,
    views_waivers,
)
from editorial.consultations.selectors import consultation_queue
from editorial.form_input import nul_refusal, parse_ids, without_nul
from editorial.forms import (
    EndPostForm,
    FreezeForm,
    PostForm,
    RequestChangesForm,
    ScheduleForm,
    join_thread,
    split_thread,
)
from editorial.forms_dates import LocalDateTimeField
from editorial.forms_members import CommentForm
from editorial.models import (
    AUTHOR_EDITABLE_STATES,
    REVIEWED_STATES,
    Consultation,
    Notification,
    Post,
    PostState,
    PostTier,
    RevisionMedia,
)
from editorial.networks import NETWORKS
from editorial.services import comments, urgent
from editorial.snapshots import build_snapshot, charter_check, links_of


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
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
        },
    )


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "editorial/queue.html",
        {
            "queue": selectors.review_queue(user),
            "posthoc": urgent.posthoc_reviews_for(user),
            "consultations": consultation_queue(user),
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
    user = _user(request)
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
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    if post.author_id != user.pk or post.state not in AUTHOR_EDITABLE_STATES:
        raise PermissionDenied(_("Only the author can edit a post, until it is published."))
    reviewed = post.state in REVIEWED_STATES
    accounts = permissions.accounts_for(user, permissions.Perm.DRAFT)
    revision = post.current_revision
    assert revision is not None
    initial = {
        "accounts": list(post.accounts.all()),
        "text": revision.text,
        "language": revision.language,
        "base_revision": revision.number,
        "requested_publish_at": post.requested_publish_at,
        "tier": post.tier,
        "embargo_until": revision.embargo_until,
        "source": revision.source,
        "thread": join_thread(list(revision.thread or [])),
        **forms_networks.initial_from(revision.network_options),
    }
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        accounts=accounts,
        media=list(revision.media.all()),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        new_media = _media_from_form(form)
        try:
            services.post_update(
                post=post,
                by=user,
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
    user = _user(request)
    data = without_nul(request.POST)
    ids = parse_ids(data.getlist("accounts"))
    accounts = list(permissions.accounts_for(user, permissions.Perm.DRAFT).filter(pk__in=ids))
    text = data.get("text", "")
    media = []
    if data.get("has_image") == "1":
        # The page sends the file's name, not its bytes (the browser may prefix a fake path).
        name = data.get("image_name", "").replace("\\", "/").rsplit("/", 1)[-1]
        media.append(MediaSnapshot(filename=name[:200], alt_text=data.get("alt_text", "")))
    else:
        # The edit page's current images, each with its alt text as typed.
        media += [
            MediaSnapshot(filename="", alt_text=data.get(key, ""))
            for key in data
            if key.startswith("media_alt_")
        ]
    unit = services.speaking_unit(user, accounts) if accounts else None
    if unit is None:
        return render(request, "editorial/_live.html", {"counters": [], "findings": []})
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
    names = {a.pk: str(a) for a in accounts}
    runs = highlight(text, report.findings)
    return render(
        request,
        "editorial/_live.html",
        {
            "counters": [(names.get(c.account_id, ""), c) for c in counters(snapshot)],
            "findings": report.findings,
            "runs": runs if any(r.severity for r in runs) else [],
            "blocking": report.blocking,
            # The submit button is swapped out of band: disabled with the reasons while the
            # charter blocks; saving a draft is never disabled.
            # The edit page of a post under review has no submit button to swap.
            "live": data.get("live_without_submit") != "1",
        },
    )


@login_required
def media(request: HttpRequest, pk: int, media_id: int) -> FileResponse:
    """Draft images are served only to those who may see the post (never a public URL)."""
    post = selectors.post_get_for(_user(request), pk)
    item = get_object_or_404(RevisionMedia, pk=media_id, revision__post=post)
    response = FileResponse(item.file.open("rb"), content_type=item.mime_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _link_rows(text: str) -> list[tuple[str, LinkStatus | None]]:
    """Each link of the text with what the worker found, None while it is not checked."""
    urls = links_of(text)
    found = {s.url: s for s in link_statuses(urls)}
    return [(url, found.get(url)) for url in dict.fromkeys(urls)]


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return post_page(request, pk)


def post_page(request: HttpRequest, pk: int, *, status: int = 200, **shown: Any) -> HttpResponse:
    """The post page; ``shown`` replaces parts of its context, e.g. a refused form shown again
    with what was typed and its errors (a time on a clock-change night asks its question
    there: a redirect would lose both)."""
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    revision = post.current_revision
    context: dict[str, Any] = {
        "post": post,
        "revision": revision,
        "media": list(revision.media.all()) if revision else [],
        "history": history.post_history(post),
        "comments": comments.comments_for(post),
        "comment_form": CommentForm(),
        # The banner quotes the latest request for changes, not the latest comment.
        "changes_note": post.events.filter(verb="changes_requested").order_by("-seq").first(),
        "chain": selectors.approval_chain(post, user),
        "links": _link_rows(revision.text if revision else ""),
        "consultations": views_consultations.section(post, user),
        "failures": post.failures,
        "managed_units": failures.reconnecting_units(user, post.failures),
        "can": {
            "edit": post.author_id == user.pk and post.state in AUTHOR_EDITABLE_STATES,
            "submit": services.may(post.submit, user),
            "review": services.may(post.approve, user),
            "request_changes": services.may(post.request_changes, user),
            "schedule": services.may(post.schedule, user),
            "retry": services.may(post.retry, user),
            "withdraw": services.may(post.withdraw, user),
            "retract": services.may(post.retract, user),
            # Offered to a reviewer who may also publish on every account of the post.
            "approve_and_schedule": services.may(post.approve, user)
            and policies.would_complete(policies.chain_status(post))
            and not Consultation.objects.holding(post).exists()
            and all(
                permissions.can(user, permissions.Perm.PUBLISH, a) for a in post.accounts.all()
            ),
        },
        "changes_form": RequestChangesForm(),
        "end_form": EndPostForm(),
        "schedule_form": ScheduleForm(initial={"at": post.requested_publish_at}),
        **views_urgent.post_context(post, user),
        **views_waivers.post_context(post, user),
        **shown,
    }
    return render(request, "editorial/post.html", context, status=status)


def _submit_and_redirect(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    user = _user(request)
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


def _run(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Call one service; a refusal becomes a message that says what to change."""
    try:
        action()
    except services.EditorialError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def _seen_revision(request: HttpRequest) -> int | None:
    """The revision number the approval form carries; None when missing or not a number (a
    number too long for the database is no revision either)."""
    seen = request.POST.get("revision", "").strip()
    if not seen.isascii() or not seen.isdigit() or len(seen) > 9:
        return None
    return int(seen)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    revision = _seen_revision(request)
    if revision is None:
        # Never approve "whatever is current": the approver names the revision they read.
        messages.error(
            request,
            _(
                "The approval does not say which revision you read: open the post again and "
                "approve from its page."
            ),
        )
        return post_page(request, pk, status=400)
    if not _run(
        request,
        lambda: services.post_approve(post=post, by=user, revision=revision),
        _("Approved."),
    ):
        return redirect("editorial:post", pk=pk)
    post.refresh_from_db()
    if post.state == PostState.IN_REVIEW and policies.is_complete(policies.chain_status(post)):
        # The last step is approved but a blocking consultation holds the post: say which.
        messages.warning(request, policies.waiting_for_consultations(post) or "")
    if "and_schedule" in request.POST and services.may(post.schedule, user):
        _approve_and_schedule(request, post, user)
    return redirect("editorial:post", pk=pk)


def _approve_and_schedule(request: HttpRequest, post: Post, user: User) -> None:
    """The approval's second half: at the author's requested time; now only when none was
    asked and the button said so. A requested time that has passed is not read as "now"."""
    requested = post.requested_publish_at
    if requested is None:
        if ScheduleForm.NOW in request.POST:
            _run(request, lambda: services.post_schedule(post=post, by=user), _("Scheduled."))
        return
    if requested <= timezone.now():
        messages.warning(
            request,
            _("The requested time (%(at)s) has passed: choose a new time below, or publish now.")
            % {"at": formats.date_format(timezone.localtime(requested), "SHORT_DATETIME_FORMAT")},
        )
        return
    _run(
        request,
        lambda: services.post_schedule(post=post, by=user, at=requested),
        _("Scheduled."),
    )


@login_required
@require_POST
def request_changes(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    comment = RequestChangesForm(request.POST).data.get("comment", "")
    refusal = nul_refusal(comment)
    if refusal:
        messages.error(request, refusal)
        return redirect("editorial:post", pk=pk)
    _run(
        request,
        lambda: services.post_request_changes(post=post, by=user, comment=comment),
        _("Sent back to the author."),
    )
    return redirect("editorial:post", pk=pk)


@login_required
@require_POST
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        for error in form["at"].errors:
            messages.error(request, str(error))
        # Shown again as typed, with the question on a clock-change night.
        return post_page(request, pk, status=400, schedule_form=form)
    if form.publish_now:
        # Its own button: the only way to ask for "now".
        _run(
            request,
            lambda: services.post_schedule(post=post, by=user),
            _("Scheduled to go out now."),
        )
    else:
        at = form.cleaned_data["at"]
        _run(request, lambda: services.post_schedule(post=post, by=user, at=at), _("Scheduled."))
    return redirect("editorial:post", pk=pk)


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    _run(
        request,
        lambda: services.post_retry(post=post, by=user),
        _("Publication will be tried again."),
    )
    return redirect("editorial:post", pk=pk)


def _end_post(
    request: HttpRequest, pk: int, service: Callable[..., object], success: str
) -> HttpResponse:
    """Withdraw or retract: one service call with the reason typed on the post page."""
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    reason = EndPostForm(request.POST).data.get("reason", "")
    refusal = nul_refusal(reason)
    if refusal:
        messages.error(request, refusal)
        return redirect("editorial:post", pk=pk)
    _run(request, lambda: service(post=post, by=user, reason=reason), success)
    return redirect("editorial:post", pk=pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _end_post(request, pk, services.post_withdraw, _("Withdrawn: it will not be published."))


@login_required
@require_POST
def retract(request: HttpRequest, pk: int) -> HttpResponse:
    return _end_post(
        request, pk, services.post_retract, _("Retracted: it is being deleted from the networks.")
    )


@login_required
def freezes(request: HttpRequest) -> HttpResponse:
    """Active freezes and their history; freeze an account (or the organisation) with a reason."""
    user = _user(request)
    accounts = permissions.accounts_for(user, permissions.Perm.PUBLISH)
    org_wide = services.may_freeze(user, None)
    if not org_wide and not accounts.exists():
        raise PermissionDenied(_("Only publishers can freeze publishing."))
    form = FreezeForm(request.POST or None, accounts=accounts, org_wide=org_wide)
    if request.method == "POST" and form.is_valid():
        account = form.cleaned_data["account"]
        try:
            services.freeze_create(account=account, reason=form.cleaned_data["reason"], by=user)
        except services.EditorialError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Publishing is frozen on %(target)s: scheduled posts wait until it is lifted.")
                % {"target": account or _("the whole organisation")},
            )
            return redirect("editorial:freezes")
    rows = list(selectors.freezes_visible_to(user)[:200])
    return render(
        request,
        "editorial/freezes.html",
        {
            "form": form,
            "active": [(f, services.may_freeze(user, f.account)) for f in rows if f.is_active],
            "history": [f for f in rows if not f.is_active],
        },
    )


@login_required
@require_POST
def freeze_lift(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    freeze = get_object_or_404(selectors.freezes_visible_to(user), pk=pk)
    _run(
        request,
        lambda: services.freeze_lift(freeze=freeze, by=user),
        _("Freeze lifted: the posts it held go out at the next scheduler tick."),
    )
    return redirect("editorial:freezes")


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    notes = list(selectors.notifications_for(user)[:100])
    # A failure says what to do, and offers only what this reader may do about it.
    worded = {n.pk: n.failures for n in notes if n.kind == Notification.Kind.FAILED}
    managed = failures.reconnecting_units(user, [f for fs in worded.values() for f in fs])
    failed_posts = {n.post_id: n.post for n in notes if n.pk in worded}
    retry = {pk for pk, post in failed_posts.items() if failures.may_retry(post, user)}
    return render(
        request,
        "editorial/notifications.html",
        {
            "notifications": notes,
            "managed_units": managed,
            "retryable": retry,
        },
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(by=_user(request))
    return redirect("editorial:notifications")
