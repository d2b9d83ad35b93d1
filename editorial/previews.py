"""What each account will show: the compose page's Mastodon and Bluesky previews.

Built from the charter's snapshot, never from a second composition of the text: each part is
``RenditionSnapshot.parts`` (``charter.snapshot.thread_parts`` → ``with_byline``), the very
strings the charter counts and the scheduler sends. Each part is counted with the functions the
length rules use (``charter.counting``) and carries the findings whose span falls in it, so a
finding in part 3 of a thread is highlighted in part 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from charter.counting import (
    BLUESKY_MAX_BYTES,
    BLUESKY_MAX_GRAPHEMES,
    bluesky_graphemes,
    status_length,
    url_spans,
    utf8_bytes,
)
from charter.highlight import Run, highlight
from charter.rules.base import Finding
from charter.snapshot import PostSnapshot, RenditionSnapshot


@dataclass(frozen=True)
class CardPreview:
    """The link card of a part: what we know without fetching the page (its address)."""

    url: str
    host: str


@dataclass(frozen=True)
class ImagePreview:
    filename: str
    alt_text: str
    thumbnail: str = ""  # the address of the stored image (the edit page), "" for a new one

    @property
    def missing_alt(self) -> bool:
        return not self.alt_text.strip()


@dataclass(frozen=True)
class PartPreview:
    number: int  # from 1
    text: str  # exactly as sent, byline included in the last part
    runs: tuple[Run, ...]  # the text before the byline, cut by the findings that cover it
    byline: str  # the byline, at the end of the last part only
    used: int
    limit: int
    unit: str  # "characters" (Mastodon) | "graphemes" (Bluesky)
    over: bool
    card: CardPreview | None = None

    @property
    def remaining(self) -> int:
        return self.limit - self.used


@dataclass(frozen=True)
class AccountPreview:
    account_id: int
    network: str
    display_name: str
    handle: str
    spoiler_text: str
    parts: tuple[PartPreview, ...]
    images: tuple[ImagePreview, ...] = ()
    # Mastodon: the images are hidden behind a warning (asked for, or implied by a content
    # warning, as Mastodon does). Bluesky: the self-label's name, "" for none.
    sensitive: bool = False
    label: str = ""

    @property
    def initial(self) -> str:
        return (self.display_name.strip()[:1] or self.handle.lstrip("@")[:1] or "?").upper()

    @property
    def is_thread(self) -> bool:
        return len(self.parts) > 1

    @property
    def over(self) -> bool:
        return any(p.over for p in self.parts)

    @property
    def missing_alt(self) -> bool:
        return any(i.missing_alt for i in self.images)


@dataclass(frozen=True)
class Marks:
    """The network options that change how a post looks: Mastodon's sensitive-media flag and
    the name of Bluesky's self-label ("" for none)."""

    sensitive: bool = False
    label: str = ""


@dataclass(frozen=True)
class Identity:
    """How an account is shown in its preview: the name above the post and its handle."""

    display_name: str
    handle: str


def identity(*, network: str, handle: str, server_url: str, display_name: str) -> Identity:
    """Mastodon shows ``@user@server``; Bluesky's handle is already a domain name."""
    bare = handle.strip().lstrip("@")
    if network == "mastodon" and "@" not in bare:
        host = urlsplit(server_url).hostname or ""
        bare = f"{bare}@{host}" if host else bare
    return Identity(display_name=display_name or bare, handle="@" + bare)


def part_count(rendition: RenditionSnapshot, text: str) -> tuple[int, int, str, bool]:
    """(used, limit, unit, over) of one part, measured as the length rules measure it."""
    if rendition.network == "mastodon":
        used = status_length(
            text,
            rendition.spoiler_text,
            counting=rendition.counting,
            url_length=rendition.characters_reserved_per_url,
        )
        limit = rendition.max_characters
        return used, limit, "characters", used > limit
    used = bluesky_graphemes(text)
    over = used > BLUESKY_MAX_GRAPHEMES or utf8_bytes(text) > BLUESKY_MAX_BYTES
    return used, BLUESKY_MAX_GRAPHEMES, "graphemes", over


def first_card(text: str) -> CardPreview | None:
    """The card of the first link, as both networks pick it (Mastodon's link crawler and our
    Bluesky adapter's ``first_link``)."""
    spans = url_spans(text)
    if not spans:
        return None
    url = text[spans[0][0] : spans[0][1]]
    return CardPreview(url=url, host=(urlsplit(url).hostname or url).removeprefix("www."))


def _part_findings(
    findings: Sequence[Finding], span: tuple[int, int], *, account_id: int, length: int
) -> list[Finding]:
    """The findings inside ``span`` of the snapshot's text, their spans made relative to it
    and clipped to the part's own text (``length``: never into the byline)."""
    start, end = span
    found = []
    for f in findings:
        if f.span is None or (f.account_id is not None and f.account_id != account_id):
            continue
        s, e = max(f.span[0], start) - start, min(f.span[1], end, start + length) - start
        if s < e:
            found.append(replace(f, span=(s, e)))
    return found


def _sources(snapshot: PostSnapshot, rendition: RenditionSnapshot) -> list[tuple[int, int] | None]:
    """Where each part of the rendition lies in ``snapshot.text`` (the text the rules read),
    or None for a part the rules did not read: a network's own version of the first part."""
    spans = list(snapshot.part_spans)
    bodies = [rendition.body, *rendition.thread]
    if len(spans) != len(bodies):
        return [None] * len(bodies)
    return [
        s if snapshot.text[s[0] : s[1]] == body else None
        for s, body in zip(spans, bodies, strict=True)
    ]


def _part(
    rendition: RenditionSnapshot,
    index: int,
    text: str,
    source: tuple[int, int] | None,
    findings: Sequence[Finding],
    *,
    with_card: bool,
) -> PartPreview:
    last = index == len(rendition.parts) - 1
    byline = rendition.byline if last and rendition.byline else ""
    body = text[: len(text) - len(byline)] if byline else text
    found = (
        _part_findings(findings, source, account_id=rendition.account_id, length=len(body))
        if source is not None
        else []
    )
    used, limit, unit, over = part_count(rendition, text)
    return PartPreview(
        number=index + 1,
        text=text,
        runs=tuple(highlight(body, found)),
        byline=byline,
        used=used,
        limit=limit,
        unit=unit,
        over=over,
        card=first_card(text) if with_card else None,
    )


def account_preview(
    snapshot: PostSnapshot,
    rendition: RenditionSnapshot,
    findings: Sequence[Finding],
    who: Identity,
    *,
    thumbnails: Sequence[str] = (),
    marks: Marks | None = None,
) -> AccountPreview:
    """``thumbnails``: the addresses of the images already stored, in the snapshot's order."""
    marks = marks or Marks()
    mastodon = rendition.network == "mastodon"
    images = tuple(
        ImagePreview(m.filename, m.alt_text, thumbnails[i] if i < len(thumbnails) else "")
        for i, m in enumerate(snapshot.media)
    )
    sources = _sources(snapshot, rendition)
    parts = tuple(
        # The images go with the first part; a part with images shows no link card.
        _part(rendition, i, text, sources[i], findings, with_card=not (i == 0 and images))
        for i, text in enumerate(rendition.parts)
    )
    return AccountPreview(
        account_id=rendition.account_id,
        network=rendition.network,
        display_name=who.display_name,
        handle=who.handle,
        spoiler_text=rendition.spoiler_text,
        parts=parts,
        images=images,
        sensitive=mastodon and (marks.sensitive or bool(rendition.spoiler_text)),
        label="" if mastodon else marks.label,
    )


def previews(
    snapshot: PostSnapshot,
    findings: Sequence[Finding],
    identities: dict[int, Identity],
    thumbnails: Sequence[str] = (),
    marks: Marks | None = None,
) -> list[AccountPreview]:
    """One preview per rendition on a known network, in the snapshot's order."""
    return [
        account_preview(
            snapshot,
            r,
            findings,
            identities.get(r.account_id) or Identity(r.handle, "@" + r.handle.lstrip("@")),
            thumbnails=thumbnails,
            marks=marks,
        )
        for r in snapshot.renditions
        if r.network in ("mastodon", "bluesky")
    ]
