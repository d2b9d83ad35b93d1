"""The Bluesky adapter: records (``records``), images and link cards (``images``, ``card``),
rich-text facets (``facets``), reply and label options (``options``), the SDK's errors mapped
to ``PublishError`` (``errors``), and the SDK imported with its lexicon models left lazy
(``atproto_import``)."""

from __future__ import annotations

from . import atproto_import

# Before anything imports the Bluesky SDK: it then loads only the models it uses.
atproto_import.load()

from .adapter import BlueskyAdapter  # noqa: E402

__all__ = ["BlueskyAdapter"]
