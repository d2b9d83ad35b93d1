"""publishing/adapters/links.py: a post's link opens, on a real server and on a local peer."""

from __future__ import annotations

from publishing.adapters.links import bluesky_post_url, is_local_host, mastodon_status_url

STATUS = {"id": "42", "url": "https://social.example.gouv.fr/@sicom/42", "uri": "x"}


def test_is_local_host_knows_loopback_and_reserved_test_names() -> None:
    local = ["127.0.0.1", "127.8.0.1", "localhost", "[::1]", "pds.test", "ministere.test"]
    remote = ["social.numerique.gouv.fr", "bsky.social", "93.184.216.34", "test.fr", ""]
    assert [is_local_host(h) for h in local] == [True] * len(local)
    assert [is_local_host(h) for h in remote] == [False] * len(remote)


def test_mastodon_status_url_is_the_status_page_on_a_real_server() -> None:
    assert mastodon_status_url("https://social.example.gouv.fr", STATUS) == STATUS["url"]
    # A status without a web page (some servers leave url empty) falls back to its uri.
    assert mastodon_status_url("https://social.example.gouv.fr", {**STATUS, "url": None}) == "x"


def test_mastodon_status_url_is_the_api_status_on_a_local_server() -> None:
    url = mastodon_status_url("http://127.0.0.1:45011/", STATUS)
    assert url == "http://127.0.0.1:45011/api/v1/statuses/42"


def test_bluesky_post_url_is_bsky_app_for_a_real_account() -> None:
    url = bluesky_post_url(
        server_url="https://morel.us-east.host.bsky.network",
        handle="ministere.bsky.social",
        did="did:plc:abc",
        rkey="3kabc",
    )
    assert url == "https://bsky.app/profile/ministere.bsky.social/post/3kabc"


def test_bluesky_post_url_is_the_pds_record_for_a_local_pds_or_a_test_handle() -> None:
    expected = (
        "http://localhost:2583/xrpc/com.atproto.repo.getRecord"
        "?repo=did%3Aplc%3Aabc&collection=app.bsky.feed.post&rkey=3kabc"
    )
    local_pds = bluesky_post_url(
        server_url="http://localhost:2583", handle="ministere.test", did="did:plc:abc", rkey="3kabc"
    )
    assert local_pds == expected
    # A .test handle is never on bsky.app, whatever the server's name.
    test_handle = bluesky_post_url(
        server_url="https://pds.internal", handle="alice.test", did="did:plc:abc", rkey="3kabc"
    )
    assert test_handle.startswith("https://pds.internal/xrpc/com.atproto.repo.getRecord?")
