"""Facet detection and UTF-8 byte offsets: pure functions, no network, no database.

A facet pointing one byte off turns a link into garbage on Bluesky, so every test checks
that the bytes at ``byteStart:byteEnd`` are exactly the visible text of the facet.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from publishing.adapters.base import MediaItem, PublishError
from publishing.adapters.bluesky.facets import build_facets, byte_range, detect_spans
from publishing.adapters.bluesky.images import blob_cid, images_embed
from publishing.adapters.bluesky.records import encode_tid, iso_millis, new_tid

DIDS = {"alice.test": "did:plc:alice", "bob.test": "did:plc:bob"}


def resolve(handle: str) -> str | None:
    return DIDS.get(handle)


def facet_texts(text: str, facets: list[dict[str, Any]]) -> list[str]:
    encoded = text.encode("utf-8")
    return [
        encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8") for f in facets
    ]


def test_facets_link_after_accented_french_text_uses_byte_offsets() -> None:
    text = "Journée d'étude à l'École : https://univ.example/programme"
    facets = build_facets(text, resolve)
    # 28 characters before the URL, 4 of them two bytes long in UTF-8.
    assert facets == [
        {
            "index": {"byteStart": 32, "byteEnd": 62},
            "features": [
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://univ.example/programme"}
            ],
        }
    ]
    assert facet_texts(text, facets) == ["https://univ.example/programme"]


def test_facets_emoji_before_link_counts_four_bytes() -> None:
    text = "🎉 https://ex.org/fete"
    facets = build_facets(text, resolve)
    assert facets[0]["index"] == {"byteStart": 5, "byteEnd": 5 + len("https://ex.org/fete")}
    assert facet_texts(text, facets) == ["https://ex.org/fete"]


def test_facets_emoji_with_joiner_before_tag() -> None:
    text = "👩‍🔬 Nuit des chercheurs #science"
    facets = build_facets(text, resolve)
    assert facet_texts(text, facets) == ["#science"]
    assert facets[0]["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "science"}]


def test_facets_hashtags_with_accents() -> None:
    text = "Rentrée 2025 : #Éducation et #égalité_femmes_hommes."
    facets = build_facets(text, resolve)
    assert [f["features"][0]["tag"] for f in facets] == ["Éducation", "égalité_femmes_hommes"]
    assert facet_texts(text, facets) == ["#Éducation", "#égalité_femmes_hommes"]


def test_facets_hashtag_in_decomposed_form_keeps_combining_accent() -> None:
    text = "#e\u0301te\u0301 !"  # "#été" written with combining acute accents
    facets = build_facets(text, resolve)
    assert facets[0]["features"][0]["tag"] == "e\u0301te\u0301"
    assert facet_texts(text, facets) == ["#e\u0301te\u0301"]


def test_facets_hashtag_stops_at_hyphen_like_mastodon() -> None:
    facets = build_facets("Festival #café-théâtre", resolve)
    assert [f["features"][0]["tag"] for f in facets] == ["café"]


def test_facets_number_or_word_inner_hash_is_not_a_tag() -> None:
    assert build_facets("Lot #1 et C#, page#3", resolve) == []


def test_facets_url_containing_hash_is_one_link_and_no_tag() -> None:
    text = "Programme : https://ex.org/page#agenda #JPO"
    facets = build_facets(text, resolve)
    assert facet_texts(text, facets) == ["https://ex.org/page#agenda", "#JPO"]
    assert facets[0]["features"][0]["uri"] == "https://ex.org/page#agenda"


def test_facets_mention_at_start_resolves_to_did() -> None:
    text = "@alice.test présentera les résultats."
    facets = build_facets(text, resolve)
    assert facets == [
        {
            "index": {"byteStart": 0, "byteEnd": 11},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}],
        }
    ]


def test_facets_mention_excludes_final_full_stop() -> None:
    text = "Merci à @bob.test."
    assert facet_texts(text, build_facets(text, resolve)) == ["@bob.test"]


def test_facets_unresolved_mention_stays_plain_text() -> None:
    text = "Avec @inconnu.test et @alice.test"
    facets = build_facets(text, resolve)
    assert facet_texts(text, facets) == ["@alice.test"]


def test_facets_resolver_called_once_per_handle_lowercased() -> None:
    calls: list[str] = []

    def counting(handle: str) -> str | None:
        calls.append(handle)
        return DIDS.get(handle)

    build_facets("@Alice.test puis @alice.test", counting)
    assert calls == ["alice.test"]


def test_facets_resolver_failure_propagates() -> None:
    def unreachable(handle: str) -> str | None:
        raise ConnectionError("PDS down")

    with pytest.raises(ConnectionError):
        build_facets("Bonjour @alice.test", unreachable)


def test_facets_email_address_is_not_a_mention() -> None:
    assert build_facets("Écrire à contact@alice.test", resolve) == []


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("Voir https://ex.org/a.", "https://ex.org/a"),
        ("Voir https://ex.org/a, puis", "https://ex.org/a"),
        ("Vraiment https://ex.org/a ?!", "https://ex.org/a"),
        ("Vraiment https://ex.org/a?!", "https://ex.org/a"),
        ("(voir https://ex.org/a).", "https://ex.org/a"),
        (
            "(voir https://fr.wikipedia.org/wiki/Paris_(France))",
            "https://fr.wikipedia.org/wiki/Paris_(France)",
        ),
        ("«https://ex.org/a»", "https://ex.org/a"),
        ("Lien : https://ex.org/recherche?q=été&p=2…", "https://ex.org/recherche?q=été&p=2"),
    ],
)
def test_facets_link_trailing_punctuation_not_included(text: str, link: str) -> None:
    facets = build_facets(text, resolve)
    assert facet_texts(text, facets) == [link]
    assert facets[0]["features"][0]["uri"] == link


def test_facets_bare_domain_and_other_schemes_are_not_links() -> None:
    assert build_facets("Site : univ.example ou ftp://ex.org ou https://", resolve) == []


def test_facets_sorted_and_never_overlapping() -> None:
    text = "#JPO @alice.test https://ex.org/@alice.test/#x fin"
    spans = detect_spans(text)
    assert [s.kind for s in spans] == ["tag", "mention", "link"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_byte_range_matches_encoded_slice() -> None:
    text = "Ça 🇫🇷 é"
    start, end = byte_range(text, 3, 5)  # the flag: two regional indicators
    assert (start, end) == (4, 12)
    assert text.encode("utf-8")[start:end].decode("utf-8") == "🇫🇷"


# --- The rest of the record: record key and timestamp -------------------------------------


def test_tid_encoding_is_13_sortable_chars() -> None:
    assert encode_tid(0, 0) == "2222222222222"
    earlier = encode_tid(1_700_000_000_000_000, 1023)
    later = encode_tid(1_700_000_000_000_001, 0)
    assert len(earlier) == 13
    assert earlier < later
    assert earlier[0] in "234567abcdefghij"  # top bit clear: fits a signed 64-bit integer


def test_tid_fresh_keys_strictly_increase() -> None:
    keys = [new_tid()[0] for _ in range(1000)]
    assert keys == sorted(set(keys))


def test_created_at_is_utc_milliseconds_with_z() -> None:
    assert iso_millis(1_700_000_000_123_456) == "2023-11-14T22:13:20.123Z"


def test_blob_cid_matches_the_known_cid_of_empty_bytes() -> None:
    # CIDv1, raw codec, sha2-256 of b"": the value every IPFS implementation gives.
    assert blob_cid(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def test_images_embed_freezes_blob_refs_and_alt_text() -> None:
    item = MediaItem(data=b"\x89PNG...", mime_type="image/png", alt_text="Affiche de la JPO")
    assert images_embed((item,)) == {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "alt": "Affiche de la JPO",
                "image": {
                    "$type": "blob",
                    "ref": {"$link": blob_cid(item.data)},
                    "mimeType": "image/png",
                    "size": 7,
                },
            }
        ],
    }


@pytest.mark.parametrize(
    "media",
    [
        tuple(MediaItem(data=b"x", mime_type="image/png", alt_text="") for _ in range(5)),
        (MediaItem(data=b"x", mime_type="video/mp4", alt_text=""),),
        (MediaItem(data=b"x" * 2_000_001, mime_type="image/jpeg", alt_text=""),),
    ],
)
def test_images_embed_refuses_what_the_pds_would_refuse(media: tuple[MediaItem, ...]) -> None:
    with pytest.raises(PublishError) as info:
        images_embed(media)
    assert info.value.permanent
