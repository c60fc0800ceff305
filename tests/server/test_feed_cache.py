"""The in-memory feed cache under its byte budget: the least recently requested feeds give
up their bodies first and keep their headers; a feed read back from the table gets its
bodies (compressed ones made since included) and response heads again; the budget counts
what holding a feed costs, not only its bodies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from feeds.models import Artifact, FeedFormat
from server.feed_cache import ENTRY_OVERHEAD, FeedCache, make_cached, resident_size


def artifact(n: int, size: int = 1000) -> Artifact:
    return Artifact(site_id=1, key=f"/feeds/posts/default/-/label{n:05d}", format=FeedFormat.ATOM,
                    body=b"x" * size, etag=f'"etag-{n:05d}"',
                    last_modified=datetime(2026, 1, 1, tzinfo=UTC),
                    content_type="application/atom+xml; charset=utf-8",
                    self_url=f"https://blog.example/feeds/posts/default/-/label{n:05d}")


def cached(n: int, size: int = 1000):  # type: ignore[no-untyped-def]
    return make_cached(artifact(n, size), "https://blog.example/hub", 300)


def test_the_budget_counts_bodies_response_heads_and_the_entry() -> None:
    feed = cached(1)
    assert feed.size == resident_size(feed.bodies, feed.wire)
    assert feed.size == 1000 + sum(len(h) for h in feed.wire.values()) + ENTRY_OVERHEAD


def test_the_least_recently_requested_feeds_give_up_their_bodies_and_keep_their_headers() -> None:
    one = cached(0).size
    cache = FeedCache(budget_bytes=10 * one, variant_entries=0)
    for n in range(10_000):
        cache.put(cached(n))
        if n == 5:
            assert cache.get((1, "/feeds/posts/default/-/label00000", FeedFormat.ATOM))
    resident = [n for n in range(10_000)
                if cache.peek((1, f"/feeds/posts/default/-/label{n:05d}", FeedFormat.ATOM)).bodies]  # type: ignore[union-attr]
    assert resident == list(range(9_990, 10_000))
    assert len(cache) == 10_000 and cache.resident_bytes == 10 * one
    evicted = cache.get((1, "/feeds/posts/default/-/label00000", FeedFormat.ATOM))
    assert evicted is not None and evicted.bodies == {} and evicted.wire == {}
    assert evicted.headers["ETag"] == '"etag-00000"'


def test_an_evicted_feed_read_back_has_its_compressed_bodies_and_heads_again() -> None:
    cache = FeedCache(budget_bytes=cached(0).size + 2000, variant_entries=0)
    cache.put(cached(0))
    cache.put(cached(1))  # evicts feed 0
    feed = cache.get((1, "/feeds/posts/default/-/label00000", FeedFormat.ATOM))
    assert feed is not None and not feed.bodies

    cache.restore(feed, (b"x" * 1000, b"gz-body", b"br-body"))

    assert feed.bodies == {"identity": b"x" * 1000, "gzip": b"gz-body", "br": b"br-body"}
    assert set(feed.wire) == {"304", "304 gzip", "304 br", "identity", "gzip", "br"}
    assert b"Content-Length: 7" in feed.wire["gzip"]
    # Each coding's 200 and 304 carry its own ETag (RFC 9110 §8.8.3).
    for head in (feed.wire["gzip"], feed.wire["304 gzip"]):
        assert b'\r\nETag: "etag-00000-gz"\r\n' in head
    assert b'\r\nETag: "etag-00000-br"\r\n' in feed.wire["304 br"]
    assert b'\r\nETag: "etag-00000"\r\n' in feed.wire["304"]
    assert feed.size == resident_size(feed.bodies, feed.wire)
    # Feed 1 was the least recently requested: it gave up its bodies for feed 0's.
    other = cache.peek((1, "/feeds/posts/default/-/label00001", FeedFormat.ATOM))
    assert other is not None and not other.bodies
    assert cache.resident_bytes == feed.size


def test_a_feed_replaced_or_dropped_no_longer_counts_against_the_budget() -> None:
    cache = FeedCache(budget_bytes=10**6, variant_entries=0)
    cache.put(cached(0))
    cache.put(cached(0, size=2000))
    assert cache.resident_bytes == cached(0, size=2000).size
    cache.drop(1, "/feeds/posts/default/-/label00000")
    assert cache.resident_bytes == 0 and len(cache) == 0


def test_a_feed_larger_than_the_whole_budget_keeps_its_bodies_for_its_reader() -> None:
    cache = FeedCache(budget_bytes=100, variant_entries=0)
    cache.put(cached(0))
    feed = cache.get((1, "/feeds/posts/default/-/label00000", FeedFormat.ATOM))
    assert feed is not None and feed.bodies
    cache.put(cached(1))
    assert not cache.peek((1, "/feeds/posts/default/-/label00000", FeedFormat.ATOM)).bodies  # type: ignore[union-attr]


def test_a_deleted_sites_feeds_all_go_and_nobody_elses() -> None:
    cache = FeedCache(budget_bytes=cached(0).size * 2, variant_entries=10)
    for n in range(4):  # two in memory, two evicted
        cache.put(cached(n))
    other = replace(artifact(9), site_id=2)
    cache.put(make_cached(other, None, 300))
    cache.put_variant(make_cached(replace(artifact(5), key="/feeds/posts/default?max-results=1"),
                                  None, 300))
    cache.drop_site(1)
    assert cache.standard_keys() == [(2, other.key, FeedFormat.ATOM)]
    assert cache.get((1, "/feeds/posts/default?max-results=1", FeedFormat.ATOM)) is None
    assert cache.resident_bytes == cache.peek(cache.standard_keys()[0]).size  # type: ignore[union-attr]


def test_one_feed_left_with_an_older_base_url_means_the_site_is_not_rendered_for_this_one(
) -> None:
    cache = FeedCache(budget_bytes=10**6, variant_entries=0)
    assert not cache.has_base_url(1, "https://blog.example")  # nothing held: render it all
    for n in range(3):
        cache.put(cached(n))
    assert cache.has_base_url(1, "https://blog.example")
    # Not only the first feed met decides: any one left in another base URL.
    stale = artifact(7)
    cache.put(make_cached(replace(stale, self_url=stale.self_url.replace(
        "https://blog.example", "http://localhost:8080")), None, 300))
    assert not cache.has_base_url(1, "https://blog.example")
    assert not cache.has_base_url(1, "http://localhost:8080")
    assert not cache.has_base_url(2, "https://blog.example")
