"""The compose page's previews: the text as sent, each part counted as the charter counts it,
findings highlighted in the part they fall in. Pure: snapshots built by hand, no database."""

from __future__ import annotations

from charter.counting import bluesky_graphemes, status_length
from charter.engine import CharterConfig, check, counters
from charter.rules.base import Finding, Severity
from charter.snapshot import MediaSnapshot, PostSnapshot, RenditionSnapshot, join_parts
from editorial.previews import Identity, Marks, first_card, identity, previews

BYLINE = "— SICOM ^JD"


def _snapshot(
    text: str,
    thread: tuple[str, ...] = (),
    *,
    spoiler: str = "",
    media: tuple[MediaSnapshot, ...] = (),
    mastodon_body: str | None = None,
) -> PostSnapshot:
    return PostSnapshot(
        text=join_parts([text, *thread]),
        language="fr",
        renditions=(
            RenditionSnapshot(
                account_id=1,
                network="mastodon",
                handle="sicom",
                body=mastodon_body or text,
                byline=BYLINE,
                counting="mastodon",
                spoiler_text=spoiler,
                thread=thread,
            ),
            RenditionSnapshot(
                account_id=2,
                network="bluesky",
                handle="sicom.bsky.social",
                body=text,
                byline=BYLINE,
                thread=thread,
            ),
        ),
        media=media,
    )


def _previews(snapshot: PostSnapshot, findings: tuple[Finding, ...] = ()) -> list:  # type: ignore[type-arg]
    return previews(snapshot, findings, {})


def test_previews_show_the_text_with_the_byline_exactly_as_sent() -> None:
    snapshot = _snapshot("Les inscriptions ouvrent lundi.  ")
    mastodon, bluesky = _previews(snapshot)
    for preview, rendition in zip((mastodon, bluesky), snapshot.renditions, strict=True):
        (part,) = preview.parts
        assert part.text == rendition.full_text == "Les inscriptions ouvrent lundi.\n\n" + BYLINE
        assert "".join(r.text for r in part.runs) + part.byline == part.text
        assert part.byline == BYLINE


def test_previews_split_a_thread_into_the_parts_sent_byline_in_the_last() -> None:
    snapshot = _snapshot("Premier.", ("Deuxième.", "Troisième."))
    mastodon, _bluesky = _previews(snapshot)
    assert [p.text for p in mastodon.parts] == [
        "Premier.",
        "Deuxième.",
        "Troisième.\n\n" + BYLINE,
    ]
    assert [p.number for p in mastodon.parts] == [1, 2, 3]
    assert [p.byline for p in mastodon.parts] == ["", "", BYLINE]
    assert mastodon.is_thread


def test_previews_count_each_part_as_the_charter_counts_it() -> None:
    long_part = "Un lien https://www.service-public.fr/particuliers " + "é" * 280
    snapshot = _snapshot("Court.", (long_part,), spoiler="Élections")
    mastodon, bluesky = _previews(snapshot)
    sent = snapshot.renditions[0].parts
    assert [p.used for p in mastodon.parts] == [
        status_length(t, "Élections", counting="mastodon") for t in sent
    ]
    assert [p.used for p in bluesky.parts] == [bluesky_graphemes(t) for t in sent]
    assert bluesky.parts[1].over and not bluesky.parts[0].over
    # The page's summary counter is the part furthest over: the same figure.
    summary = {c.account_id: c.used for c in counters(snapshot)}
    assert summary == {1: max(p.used for p in mastodon.parts), 2: bluesky.parts[1].used}


def test_previews_highlight_a_finding_in_the_part_it_falls_in() -> None:
    snapshot = _snapshot("Rien à signaler.", ("Écrivez à jean.dupont@example.fr demain.",))
    report = check(snapshot, CharterConfig.default())
    assert any(f.rule == "pii.email" for f in report.findings)
    mastodon, bluesky = _previews(snapshot, report.findings)
    for preview in (mastodon, bluesky):
        first, second = preview.parts
        assert not any(r.severity for r in first.runs)
        marked = [r for r in second.runs if r.severity]
        assert [r.text for r in marked] == ["jean.dupont@example.fr"]
        assert marked[0].severity == str(Severity.BLOCK)


def test_previews_never_highlight_the_byline() -> None:
    text = "Fin du texte"
    finding = Finding("x", Severity.WARN, "m", span=(4, len(text) + 50))
    (mastodon, _b) = _previews(_snapshot(text), (finding,))
    (part,) = mastodon.parts
    assert [r.text for r in part.runs if r.severity] == ["du texte"]
    assert part.byline == BYLINE


def test_previews_leave_a_networks_own_version_unmarked() -> None:
    # The rules read the common text: their positions do not apply to Mastodon's own version.
    snapshot = _snapshot("Écrivez à jean.dupont@example.fr", mastodon_body="Version Mastodon")
    report = check(snapshot, CharterConfig.default())
    mastodon, bluesky = _previews(snapshot, report.findings)
    assert not any(r.severity for r in mastodon.parts[0].runs)
    assert any(r.severity for r in bluesky.parts[0].runs)
    assert mastodon.parts[0].text == "Version Mastodon\n\n" + BYLINE


def test_previews_show_images_with_their_alt_or_a_missing_alt_on_the_first_part() -> None:
    media = (MediaSnapshot("carte.png", "Carte des guichets"), MediaSnapshot("b.png", "  "))
    mastodon, _b = _previews(
        _snapshot("Voir https://example.fr", ("Suite https://a.fr",), media=media)
    )
    assert [(i.alt_text, i.missing_alt) for i in mastodon.images] == [
        ("Carte des guichets", False),
        ("  ", True),
    ]
    # A part with images shows no link card; the next part shows its own.
    assert mastodon.parts[0].card is None
    assert mastodon.parts[1].card is not None and mastodon.parts[1].card.host == "a.fr"


def test_previews_carry_the_content_warning_to_mastodon_only() -> None:
    mastodon, bluesky = _previews(_snapshot("Texte.", spoiler="Violences"))
    assert mastodon.spoiler_text == "Violences"
    assert bluesky.spoiler_text == ""


def test_first_card_is_the_first_link_with_its_host() -> None:
    card = first_card("Voir https://www.service-public.fr/a?b=1 puis https://example.org")
    assert card is not None
    assert card.url == "https://www.service-public.fr/a?b=1"
    assert card.host == "service-public.fr"
    assert first_card("Pas de lien, seulement example.org") is None


def test_identity_shows_the_mastodon_server_and_the_bluesky_domain() -> None:
    assert identity(
        network="mastodon",
        handle="sicom",
        server_url="https://social.gouv.fr",
        display_name="SICOM",
    ) == Identity("SICOM", "@sicom@social.gouv.fr")
    assert identity(
        network="bluesky",
        handle="@sicom.bsky.social",
        server_url="https://bsky.social",
        display_name="",
    ) == Identity("sicom.bsky.social", "@sicom.bsky.social")


def test_previews_hide_mastodon_media_when_sensitive_or_under_a_warning() -> None:
    media = (MediaSnapshot("carte.png", "Carte"),)
    plain = previews(_snapshot("Texte.", media=media), (), {})
    asked = previews(_snapshot("Texte.", media=media), (), {}, marks=Marks(sensitive=True))
    warned = previews(_snapshot("Texte.", media=media, spoiler="Accident"), (), {})
    assert [p.sensitive for p in plain] == [False, False]
    # Bluesky has no such flag: its self-label plays that role.
    assert [p.sensitive for p in asked] == [True, False]
    assert [p.sensitive for p in warned] == [True, False]


def test_previews_show_the_bluesky_label_on_bluesky_only() -> None:
    mastodon, bluesky = previews(_snapshot("Texte."), (), {}, marks=Marks(label="Nudité"))
    assert (mastodon.label, bluesky.label) == ("", "Nudité")
