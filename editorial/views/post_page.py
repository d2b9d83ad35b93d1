"""The post page: the post, its history and the panels of each area (consultations, urgent
procedure, waivers), gathered in one context."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import permissions
from accounts.models import User
from charter.selectors import link_statuses
from charter.snapshot import LinkStatus
from editorial import failures, history, policies, selectors, services
from editorial.forms.consultations import ConsultationForm
from editorial.forms.members import CommentForm
from editorial.forms.review import EndPostForm, RequestChangesForm, ScheduleForm
from editorial.models import AUTHOR_EDITABLE_STATES, Consultation, Post
from editorial.policies import consultations as consultation_rules
from editorial.selectors import consultations as consultation_selectors
from editorial.snapshots import links_of
from editorial.views import urgent as views_urgent
from editorial.views import waivers as views_waivers
from editorial.views.common import request_user


def _link_rows(text: str) -> list[tuple[str, LinkStatus | None]]:
    """Each link of the text with what the worker found, None while it is not checked."""
    urls = links_of(text)
    found = {s.url: s for s in link_statuses(urls)}
    return [(url, found.get(url)) for url in dict.fromkeys(urls)]


@dataclass(frozen=True)
class RemoteLink:
    """One publication of the post as the page lists it: which part of which account."""

    link: dict[str, Any]  # as stored in ``Post.remote_links`` (account, part, url, state…)
    part: int  # 1-based
    parts: int  # how many parts this account's thread has


def remote_links(post: Post) -> list[RemoteLink]:
    """The post's links, each numbered within its account's thread, in reading order."""
    links = list(post.remote_links or [])
    totals = Counter(str(link.get("account", "")) for link in links)
    ordered = sorted(links, key=lambda link: (str(link.get("account", "")), link.get("part", 0)))
    return [
        RemoteLink(
            link=link,
            part=int(link.get("part", 0) or 0) + 1,
            parts=totals[str(link.get("account", ""))],
        )
        for link in ordered
    ]


def byline_approvals(post: Post) -> list[dict[str, Any]]:
    """The approvers frozen in the byline, each with its time read back as a moment (it is
    stored as ISO text) so the page shows it in the reader's zone and format."""
    approvals = []
    for approver in (post.byline_record or {}).get("approvers", []):
        try:
            at: datetime | None = datetime.fromisoformat(str(approver.get("at", "")))
        except ValueError:
            at = None
        approvals.append({**approver, "at": at})
    return approvals


def post_page(request: HttpRequest, pk: int, *, status: int = 200, **shown: Any) -> HttpResponse:
    """The post page; ``shown`` replaces parts of its context, e.g. a refused form shown again
    with what was typed and its errors (a time on a clock-change night asks its question
    there: a redirect would lose both)."""
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    revision = post.current_revision
    context: dict[str, Any] = {
        "post": post,
        "revision": revision,
        "media": list(revision.media.all()) if revision else [],
        "history": history.post_history(post),
        "comments": selectors.comments_for(post),
        "comment_form": CommentForm(),
        # The banner quotes the latest request for changes, not the latest comment.
        "changes_note": post.events.filter(verb="changes_requested").order_by("-seq").first(),
        "chain": selectors.approval_chain(post, user),
        "links": _link_rows(revision.text if revision else ""),
        "remote_links": remote_links(post),
        "byline_approvals": byline_approvals(post),
        "consultations": section(post, user),
        "failures": post.failures,
        "managed_units": failures.reconnecting_units(user, post.failures),
        "can": _actions(post, user),
        "changes_form": RequestChangesForm(),
        "end_form": EndPostForm(),
        "schedule_form": ScheduleForm(initial={"at": post.requested_publish_at}),
        **views_urgent.post_context(post, user),
        **views_waivers.post_context(post, user),
        **shown,
    }
    return render(request, "editorial/post.html", context, status=status)


def _actions(post: Post, user: User) -> dict[str, bool]:
    """What ``user`` may do to the post now, for the page's buttons."""
    return {
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
        and all(permissions.can(user, permissions.Perm.PUBLISH, a) for a in post.accounts.all()),
    }


@dataclass(frozen=True)
class Section:
    rows: list[consultation_selectors.ConsultationRow]
    ask_form: ConsultationForm | None  # None: this user may not ask now


def section(post: Post, user: User) -> Section:
    """What the post page shows of the post's consultations to ``user``."""
    may_ask = consultation_rules.ask_refusal(post, user) is None
    return Section(
        rows=consultation_selectors.consultation_rows(post, user),
        ask_form=ConsultationForm(post=post) if may_ask else None,
    )
