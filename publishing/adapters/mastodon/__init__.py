"""The Mastodon adapter (``adapter``) and what it learns of each server (``server``)."""

from __future__ import annotations

from .adapter import MastodonAdapter
from .lookup import text_fingerprint, text_of_html
from .server import ServerInfo

__all__ = ["MastodonAdapter", "ServerInfo", "text_fingerprint", "text_of_html"]
