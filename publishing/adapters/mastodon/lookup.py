"""Finding a status after an unknown outcome: the account's statuses since the payload was
prepared, compared by a fingerprint of their words (``text_fingerprint``)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from mastodon import Mastodon

from ..base import (
    PublishedRef,
    PublishError,
)
from ..links import mastodon_status_url

# --- Unknown outcomes ----------------------------------------------------------------------
# After an unknown outcome the status is looked up in the account's statuses since the
# payload was prepared, by a fingerprint of its text stored in the payload, before any resend:
# on every server, since only Mastodon keeps an Idempotency-Key (and only for one hour).
LOOKUP_PAGE = 40
# Paging stops at the first status older than the payload (minus a minute of clock skew);
# this only bounds the reading on an account that posted thousands since then, in which case
# the lookup cannot tell and nothing is sent (never "absent" by giving up early).
LOOKUP_MAX_PAGES = 50
SCOPE_READ_STATUSES = "read:statuses"
# A lookup refused for a missing permission: someone must reconnect the account; the
# publication waits that long between tries (as an unknown outcome, never resent blindly).
LOOKUP_FORBIDDEN_RETRY = timedelta(minutes=15)
_MENTION_DOMAIN = re.compile(r"(?<![\w@])(@\w+)@[\w.-]+\.\w+")
_WORD = re.compile(r"\w+")


class _TextOfHtml(HTMLParser):
    """The words of a status's ``content``: inline tags join (Mastodon splits long URLs
    across spans mid-word), paragraphs and line breaks separate."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"p", "br"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of_html(content: str) -> str:
    parser = _TextOfHtml()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)


def text_fingerprint(text: str) -> str:
    """SHA-256 of the text's words, in order, as the server shows them back.

    Only words count: rendering changes markup, spacing and punctuation around links, and
    shows a remote mention ``@user@domain`` as ``@user``.
    """
    text = _MENTION_DOMAIN.sub(r"\1", unicodedata.normalize("NFC", text))
    return hashlib.sha256(" ".join(_WORD.findall(text)).encode("utf-8")).hexdigest()


def status_ref(api: Mastodon, status: Any) -> PublishedRef:
    return PublishedRef(
        remote_id=str(status["id"]), url=mastodon_status_url(str(api.api_base_url), status)
    )


def _parse_time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def find_status(api: Mastodon, data: dict[str, Any]) -> PublishedRef | None:
    """The status of ``data`` (a stored payload) among the account's statuses, newest first,
    down to the moment the payload was prepared."""
    wanted = str(data.get("fingerprint") or text_fingerprint(str(data["status"])))
    parent = str(data.get("in_reply_to_id") or "")
    prepared_at = _parse_time(data.get("prepared_at"))
    since = prepared_at - timedelta(minutes=1) if prepared_at is not None else None
    me: Any = api.account_verify_credentials()
    page: Any = api.account_statuses(me["id"], limit=LOOKUP_PAGE, exclude_reblogs=True)
    for _ in range(LOOKUP_MAX_PAGES):
        if not page:
            return None
        for status in page:
            if since is not None and status["created_at"] < since:
                return None  # older than the post we look for: it is not there
            if parent and str(status.get("in_reply_to_id") or "") != parent:
                continue
            if text_fingerprint(text_of_html(status["content"] or "")) == wanted:
                return status_ref(api, status)
        page = api.fetch_next(page)
    raise PublishError(
        f"Looked through {LOOKUP_PAGE * LOOKUP_MAX_PAGES} statuses of the account without "
        "reaching the moment the post was prepared: whether it went out cannot be told, so it "
        "is not sent again now.",
        permanent=False,
        maybe_sent=True,
    )
