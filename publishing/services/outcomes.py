"""Reporting a post's outcome to editorial once all its publications have ended."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from editorial.services import PostOutcome, post_record_outcomes
from publishing.adapters.base import Reason
from publishing.models import Publication, PublicationState

P = PublicationState


def finish_post_if_done(post_id: int) -> None:
    finish_posts_if_done([post_id])


def finish_posts_if_done(post_ids: Iterable[int]) -> None:
    """Report, in one editorial call, the outcome of those posts whose publications have
    all ended; posts with a publication still open are left for its own send to report."""
    by_post: dict[int, list[Publication]] = {}
    for publication in (
        Publication.objects.filter(post_id__in=set(post_ids))
        .select_related("account")
        # Not the stored payloads (a Bluesky record, perhaps a card's picture): unused here.
        .defer(
            "payload",
            "byline_record",
            "account__credentials_encrypted",
            "account__session_encrypted",
        )
        .order_by("post_id", "account_id", "part")
    ):
        by_post.setdefault(publication.post_id, []).append(publication)
    outcomes = [
        _outcome(post_id, publications)
        for post_id, publications in by_post.items()
        if all(p.is_terminal for p in publications)
    ]
    if outcomes:
        post_record_outcomes(outcomes)


def _outcome(post_id: int, publications: list[Publication]) -> PostOutcome:
    published = all(p.state == P.PUBLISHED for p in publications)
    details: dict[str, Any] = {
        "publications": [
            {
                "account": str(p.account),
                "part": p.part,
                "state": p.state,
                "url": p.remote_url,
                "error": p.last_error,
                **(_failure(p) if p.state == P.FAILED else {}),
            }
            for p in publications
        ]
    }
    if not published:
        details["error"] = "; ".join(
            f"{p.account}: {p.last_error}" for p in publications if p.state == P.FAILED
        )
    return PostOutcome(post_id=post_id, published=published, details=details)


def _failure(publication: Publication) -> dict[str, Any]:
    """What editorial needs to word a failure in each reader's language (codes, never our
    English): the reason (``adapters.base.Reason``), its parameters, and the account's
    network and unit, which say who may reconnect it."""
    account = publication.account
    return {
        "reason": publication.last_error_reason or Reason.UNKNOWN.value,
        "params": publication.last_error_params or {},
        "network": account.network,
        "account_id": account.pk,
        "unit_id": account.unit_id,
    }
