"""The post and its state machine.

The post's life is a django-fsm state machine. Transitions carry their guards (source state,
conditions, permission); only ``editorial.services`` calls them, inside a transaction that also
writes the audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts import permissions
from accounts.models import OrgUnit, SocialAccount
from editorial.failures import FailureWords, failures_of
from editorial.models.states import (
    EDITABLE_STATES,
    REVIEWED_STATES,
    WITHDRAWABLE_STATES,
    PostTier,
    S,
)


# Guards receive the model and user as django-fsm passes them (typed loosely there).
def _post(instance: models.Model) -> Post:
    assert isinstance(instance, Post)
    return cast("Post", instance)


def _is_author(post: Post, user: Any) -> bool:
    return bool(post.author_id == user.pk)


def _holds(user: Any, perm: permissions.Perm, post: Post) -> bool:
    return all(permissions.can(user, perm, account) for account in post.accounts.all())


def _may_edit(instance: models.Model, user: Any) -> bool:
    post = _post(instance)
    return _is_author(post, user) and _holds(user, permissions.Perm.DRAFT, post)


# The two guards below ask the post's approval chain (editorial.policies.review): never the
# author, at most one step per person, only the open step's approvers (deputies included).
# The chain is read from ApprovalPolicy, Approval and Consultation, models that point at Post
# and so are built after it, while django-fsm wants the guard when Post is built. So these
# guards import the chain when they run (the app registry is complete by then), never when
# this module loads: editorial.models imports nothing from editorial.policies, and policies
# import models one way. These are the only imports inside a function in editorial.models.
def _may_approve(instance: models.Model, user: Any) -> bool:
    from editorial.policies.review import may_approve

    return may_approve(_post(instance), user)


def _may_request_changes(instance: models.Model, user: Any) -> bool:
    from editorial.policies.review import approves_any_step

    return approves_any_step(_post(instance), user)


def _may_publish(instance: models.Model, user: Any) -> bool:
    return _holds(user, permissions.Perm.PUBLISH, _post(instance))


def _may_withdraw(instance: models.Model, user: Any) -> bool:
    # The author changes their mind; a publisher of every account stops what is queued.
    # Asked of what explains the rights, not of the rows: a deactivated account has none, and
    # its held posts must still be withdrawable by their author and its publishers.
    post = _post(instance)
    accounts = list(post.accounts.all())

    def explained(perm: permissions.Perm) -> bool:
        return all(permissions.explains(user, perm, account) for account in accounts)

    return (_is_author(post, user) and explained(permissions.Perm.DRAFT)) or explained(
        permissions.Perm.PUBLISH
    )


def _published_somewhere(post: Post) -> bool:
    if post.state == S.PUBLISHED:
        return True
    return any(link.get("state") == "published" for link in post.remote_links or [])


def _nothing_published(instance: models.Model) -> bool:
    return not _published_somewhere(_post(instance))


def _something_published(instance: models.Model) -> bool:
    return _published_somewhere(_post(instance))


def _may_publish_urgently(instance: models.Model, user: Any) -> bool:
    # Four-eyes in spirit: the author never skips the review of their own post.
    post = _post(instance)
    return not _is_author(post, user) and _holds(user, permissions.Perm.URGENT, post)


def _has_accounts(instance: models.Model) -> bool:
    return _post(instance).accounts.exists()


def _has_revision(instance: models.Model) -> bool:
    return _post(instance).current_revision_id is not None


@dataclass(frozen=True)
class HoldWords:
    """A charter hold as a reader reads it: the moment judged and one line per problem."""

    moment: datetime | None
    problems: list[str]


def hold_words(record: Mapping[str, Any]) -> HoldWords | None:
    """The problems of a stored verdict (``recheck.Verdict.record``) in the active language.

    They were worded in every language when the post was held (``worded``); a record
    without them (older events) gives its ``problems`` as stored, in the words of whoever
    caused the hold. None for a record with no problems at all.
    """
    worded = record.get("worded") or {}
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    problems = worded.get(language) or worded.get(settings.LANGUAGE_CODE)
    problems = problems or record.get("problems") or []
    if not problems:
        return None
    try:
        moment = datetime.fromisoformat(str(record.get("at", "")))
    except ValueError:
        moment = None
    return HoldWords(moment=moment, problems=[str(p) for p in problems])


class Post(ConcurrentTransitionMixin, models.Model):
    state = FSMField(_("state"), default=S.DRAFT, choices=S.choices, protected=True, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("author"),
    )
    # The unit that speaks: frozen at creation so a later transfer does not rewrite bylines.
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="posts", verbose_name=_("unit")
    )
    accounts = models.ManyToManyField(
        SocialAccount, related_name="posts", verbose_name=_("accounts")
    )
    # Part of the content hash: an approval of a standard post does not cover a political one.
    tier = models.CharField(
        _("tier"), max_length=16, choices=PostTier.choices, default=PostTier.STANDARD
    )
    current_revision = models.ForeignKey(
        "Revision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("current revision"),
    )
    # What the author asks for; None means as soon as approved.
    requested_publish_at = models.DateTimeField(
        _("requested publication time"), null=True, blank=True
    )
    scheduled_at = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name=_("scheduled at")
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    # Frozen at scheduling: who speaks, who approved, under which charter (see services).
    byline_record = models.JSONField(default=dict, blank=True, verbose_name=_("byline record"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    # Reported by the publisher when the post is done: account, state and public link.
    remote_links = models.JSONField(default=list, blank=True, verbose_name=_("remote links"))
    # Accounts (as shown) where the publisher holds the post because it is too late: a
    # publisher confirms or cancels (publishing.services.late).
    held_late = models.JSONField(default=list, blank=True, verbose_name=_("held for being late"))
    # Why the charter holds the post (state "held"): what the re-check found, in words.
    hold_reason = models.TextField(_("reason held"), blank=True)
    # The same verdict, structured, so each reader reads it in their own language
    # (``charter_hold``): the moment judged, the rule codes, and the problems worded in
    # every language of ``LANGUAGES`` (``recheck.Verdict.record``). ``hold_reason`` stays
    # the fallback for posts held before this existed.
    hold_verdict = models.JSONField(default=dict, blank=True, verbose_name=_("hold verdict"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    # The compose form's one-time token: the same form sent twice (a double click, two tabs)
    # finds the post it already created instead of making a second one. Empty for posts made
    # elsewhere (services called from code).
    creation_token = models.UUIDField(
        null=True, blank=True, editable=False, verbose_name=_("creation token")
    )

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["state", "scheduled_at"])]
        constraints = [
            # Per author: a token another user sent (copied, guessed) never reveals their post.
            models.UniqueConstraint(
                fields=["author", "creation_token"], name="unique_post_creation_token"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.state})"

    @property
    def title(self) -> str:
        text = self.current_revision.text if self.current_revision else ""
        return (text[:60] + "…") if len(text) > 60 else text

    @property
    def charter_hold(self) -> HoldWords | None:
        """Why the charter holds the post, in the reader's language; None when not known
        in that shape (the template then shows ``hold_reason``)."""
        return hold_words(self.hold_verdict)

    @property
    def failures(self) -> list[FailureWords]:
        """Why its publications failed, per account, in the reader's language (empty for a
        post that failed before reasons were recorded: the page shows ``last_error``)."""
        if self.state != S.FAILED:
            return []
        return failures_of(self.remote_links or [])

    # --- transitions: bodies stay empty; services do the work around them ------------------
    @transition(
        field=state,
        source=EDITABLE_STATES,
        target=S.IN_REVIEW,
        conditions=[_has_accounts, _has_revision],
        permission=_may_edit,
    )
    def submit(self) -> None:
        pass

    # The approval that satisfies the chain's last step; the ones before it use approve_step.
    @transition(field=state, source=S.IN_REVIEW, target=S.APPROVED, permission=_may_approve)
    def approve(self) -> None:
        pass

    @transition(field=state, source=S.IN_REVIEW, target=S.IN_REVIEW, permission=_may_approve)
    def approve_step(self) -> None:
        pass

    # The chain was complete and the last blocking consultation now agrees: nobody approves
    # here, the consultation's answer completes what the approvers already did.
    @transition(field=state, source=S.IN_REVIEW, target=S.APPROVED)
    def consultations_cleared(self) -> None:
        pass

    @transition(
        field=state,
        source=S.IN_REVIEW,
        target=S.CHANGES_REQUESTED,
        permission=_may_request_changes,
    )
    def request_changes(self) -> None:
        pass

    # An edit after submission: the new revision goes back to review (earlier approvals were
    # of another content hash), or back to draft when the charter blocks it.
    @transition(field=state, source=REVIEWED_STATES, target=S.IN_REVIEW, permission=_may_edit)
    def reopen(self) -> None:
        pass

    @transition(field=state, source=REVIEWED_STATES, target=S.DRAFT, permission=_may_edit)
    def return_to_draft(self) -> None:
        pass

    # Cancel before publication: the post and its history stay, with the reason.
    @transition(
        field=state,
        source=WITHDRAWABLE_STATES,
        target=S.WITHDRAWN,
        conditions=[_nothing_published],
        permission=_may_withdraw,
    )
    def withdraw(self) -> None:
        pass

    # Delete from the networks after publication (the publisher does the deleting).
    @transition(
        field=state,
        source=(S.PUBLISHED, S.FAILED),
        target=S.RETRACTED,
        conditions=[_something_published],
        permission=_may_publish,
    )
    def retract(self) -> None:
        pass

    # The urgent procedure (editorial.services.urgent): pending steps are skipped and
    # reviewed afterwards.
    @transition(
        field=state, source=S.IN_REVIEW, target=S.APPROVED, permission=_may_publish_urgently
    )
    def approve_urgently(self) -> None:
        pass

    # A held post is scheduled again once what held it is gone; a scheduled post is moved to
    # another time (the calendar's drag, the post page's form). Scheduling re-checks each time.
    @transition(
        field=state,
        source=(S.APPROVED, S.HELD, S.SCHEDULED),
        target=S.SCHEDULED,
        permission=_may_publish,
    )
    def schedule(self) -> None:
        pass

    # A publisher moves an approved (or scheduled, or held) post to a time its approval
    # policy wants approved again (``ApprovalPolicy.reschedule_rule``): a new revision with
    # that time goes back to review, as an edit does, in the publisher's name.
    @transition(
        field=state,
        source=(S.APPROVED, S.HELD, S.SCHEDULED),
        target=S.IN_REVIEW,
        permission=_may_publish,
    )
    def reopen_for_new_time(self) -> None:
        pass

    # The re-check at the claim (or after an election was declared, a byline changed) finds
    # that a blocking rule would now refuse the post: nobody acts, nothing is sent.
    @transition(field=state, source=S.SCHEDULED, target=S.HELD)
    def hold(self) -> None:
        pass

    @transition(field=state, source=S.SCHEDULED, target=S.PUBLISHING)
    def start_publishing(self) -> None:
        pass

    @transition(field=state, source=S.PUBLISHING, target=S.PUBLISHED)
    def mark_published(self) -> None:
        pass

    @transition(field=state, source=S.PUBLISHING, target=S.FAILED)
    def mark_failed(self) -> None:
        pass

    @transition(field=state, source=S.FAILED, target=S.SCHEDULED, permission=_may_publish)
    def retry(self) -> None:
        pass
