"""Stories about rendering feeds from cached entry fragments: a reader must never be able to
tell a feed assembled from fragments from one rendered in one go, and editing one post of a
busy blog must cost one entry render, not fifty."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import brotli
import pytest

from feeds.feedset import FeedContext, build_doc
from feeds.models import (
    Author,
    Enclosure,
    FeedFormat,
    FeedKey,
    FeedKind,
    FeedMode,
    FeedQuery,
)
from feeds.render import FeedRenderer, compress, etag_for, render_oneshot
from feeds.render.document import EntryDoc, FeedDoc
from feeds.render.jsonfeed import VERSION_URL
from tests.feeds.render.samples import WORKSHOP

HUB = "https://pubsubhubbub.appspot.com/"
CTX = FeedContext(default_max=25, hub_url=HUB)
SITE = WORKSHOP
AUTHORS = (
    Author("Zoë Ångström", "https://example.org/~zoe", "zoe@example.org"),
    Author("Kenji 田中"),
    Author("Ryszard Łukasiewicz", "https://ryszard.example.pl/"),
)
LABELS = ("feeds", "garden", "travel", "café", "web publishing")
BIG = 10_000_000


def _body(n: int) -> str:
    return (
        f"<h2>Day {n}: “cold frames” &amp; optimism</h2>"
        "<p>Every couple of years somebody announces that feeds are dead — we read the "
        "obituaries, nod politely, and go back to the bench. It’s not glamorous; it’s "
        "<em>useful</em>. Zażółć gęślą jaźń; naïve café in Kraków; 東京の朝のコーヒー。</p>"
        '<figure><img src="https://blog.example.org/images/bench-'
        f'{n}.jpg" alt="The bench, day {n}"><figcaption>«Le banc» — 🌱</figcaption></figure>'
        "<ul><li>‘single’ and “double” quotes</li><li>„Polish” and 「Japanese」 ones</li></ul>"
        '<pre><code class="language-python">print("→ ☕")</code></pre>'
    ) * 3


def entry(n: int, mode: FeedMode = FeedMode.FULL) -> EntryDoc:
    published = datetime(2026, 6, 1, 7, 30, tzinfo=UTC) + timedelta(hours=13 * n)
    url = f"https://blog.example.org/{published:%Y/%m}/day-{n}.html"
    return EntryDoc(
        entry_id=f"tag:blog.example.org,{published:%Y-%m-%d}:post-day-{n}",
        title=f"Day {n}: “cold frames” — {LABELS[n % 5]}",
        url=url,
        published=published,
        updated=published + timedelta(minutes=n),
        summary=f"Day {n}: every couple of years somebody announces that feeds are dead…",
        content_html=_body(n) if mode is FeedMode.FULL else None,
        authors=(AUTHORS[n % 3],) if n % 4 else AUTHORS[:2],
        labels=(LABELS[n % 5], LABELS[(n + 2) % 5]),
        label_scheme="https://blog.example.org/",
        thumbnail=f"https://blog.example.org/images/bench-{n}.jpg",
        enclosures=(Enclosure(f"https://cdn.example.org/day-{n}.mp3", "audio/mpeg", 1000 * n),)
        if n % 7 == 0
        else (),
        comment_count=n % 6,
        replies_atom_url=f"https://blog.example.org/feeds/{n}/comments/default",
        replies_rss_url=f"https://blog.example.org/feeds/{n}/comments/default?alt=rss",
        comments_page_url=url + "#comments",
    )


def doc(
    fmt: FeedFormat,
    entries: tuple[EntryDoc, ...],
    *,
    mode: FeedMode = FeedMode.FULL,
    total: int | None = None,
    start_index: int = 1,
    labels: tuple[str, ...] = (),
    hub: str | None = HUB,
) -> FeedDoc:
    """A FeedDoc as the publisher builds it: paging links for `total` posts, a hub."""
    query = FeedQuery(max_results=50, start_index=start_index)
    key = (
        FeedKey(FeedKind.LABEL, query, mode, labels=labels)
        if labels
        else FeedKey(FeedKind.POSTS, query, mode)
    )
    total = len(entries) if total is None else total
    ctx = replace(CTX, hub_url=hub)
    return build_doc(SITE, key, fmt, entries, total, SITE.title, ctx)


def entries(count: int, mode: FeedMode = FeedMode.FULL) -> tuple[EntryDoc, ...]:
    return tuple(entry(n, mode) for n in range(count, 0, -1))


# --- fragments are invisible --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FeedFormat))
@pytest.mark.parametrize("mode", list(FeedMode))
@pytest.mark.parametrize("count", [0, 1, 50])
def test_a_feed_from_fragments_is_byte_for_byte_the_one_shot_render(
    fmt: FeedFormat, mode: FeedMode, count: int
) -> None:
    # A middle page of a 180-post blog: first, previous, next and last links, and a hub.
    the_doc = doc(fmt, entries(count, mode), mode=mode, total=180, start_index=51)
    assert {rel for rel, _ in the_doc.paging} == {"first", "previous", "next", "last"}
    expected = render_oneshot(the_doc)
    renderer = FeedRenderer(fragment_budget=BIG)
    assert renderer.render(the_doc) == expected  # fragments rendered now
    assert renderer.render(the_doc) == expected  # fragments from the cache
    assert renderer.fragments_rendered == count


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_a_single_page_feed_without_a_hub_matches_too(fmt: FeedFormat) -> None:
    the_doc = doc(fmt, entries(3), hub=None)
    assert [rel for rel, _ in the_doc.paging] == ["first", "last"]
    assert FeedRenderer(fragment_budget=BIG).render(the_doc) == render_oneshot(the_doc)


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_compressed_bodies_decode_to_the_rendered_body(fmt: FeedFormat) -> None:
    the_doc = doc(fmt, entries(5))
    body = FeedRenderer(fragment_budget=BIG).render(the_doc)
    gz, br = compress(body)
    assert body == render_oneshot(the_doc)
    assert gzip.decompress(gz) == body
    assert brotli.decompress(br) == body


# --- editing one post re-renders one entry ------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_editing_one_post_of_fifty_renders_exactly_one_new_fragment(fmt: FeedFormat) -> None:
    renderer = FeedRenderer(fragment_budget=BIG)
    before = entries(50)
    renderer.render(doc(fmt, before))
    assert renderer.fragments_rendered == 50

    fixed = replace(
        before[17],
        title=before[17].title + " (typo fixed)",
        updated=before[17].updated + timedelta(days=1),
    )
    after = (*before[:17], fixed, *before[18:])
    new_doc = doc(fmt, after)
    body = renderer.render(new_doc)

    assert renderer.fragments_rendered == 51
    assert body == render_oneshot(new_doc)
    assert b"(typo fixed)" in body


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_republishing_an_unchanged_feed_renders_no_fragment(fmt: FeedFormat) -> None:
    renderer = FeedRenderer(fragment_budget=BIG)
    first = renderer.render(doc(fmt, entries(50)))
    rendered = renderer.fragments_rendered
    # A rebuilt FeedDoc with equal (not identical) entries hits the cache.
    assert renderer.render(doc(fmt, entries(50))) == first
    assert renderer.fragments_rendered == rendered


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_a_new_post_on_top_costs_one_fragment(fmt: FeedFormat) -> None:
    renderer = FeedRenderer(fragment_budget=BIG)
    renderer.render(doc(fmt, entries(50)))
    newer = doc(fmt, entries(51)[:50])  # day 51 arrives, day 1 drops off the page
    assert renderer.render(newer) == render_oneshot(newer)
    assert renderer.fragments_rendered == 51


# --- the byte budget ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_a_tiny_fragment_budget_still_renders_the_right_bytes(fmt: FeedFormat) -> None:
    renderer = FeedRenderer(fragment_budget=1)
    the_doc = doc(fmt, entries(50))
    expected = render_oneshot(the_doc)
    assert renderer.render(the_doc) == expected
    assert renderer.render(the_doc) == expected
    # Nothing fits, so nothing was kept: every fragment was rendered twice.
    assert renderer.fragments_rendered == 100


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_the_budget_evicts_the_least_recently_used_fragments(fmt: FeedFormat) -> None:
    sizing = FeedRenderer(fragment_budget=BIG)
    twenty = doc(fmt, entries(20))
    sizing.render(twenty)
    one_fragment = len(render_oneshot(doc(fmt, entries(20)[:1]))) - len(
        render_oneshot(doc(fmt, ()))
    )
    # Room for about ten of the twenty fragments.
    renderer = FeedRenderer(fragment_budget=one_fragment * 10)
    expected = render_oneshot(twenty)
    assert renderer.render(twenty) == expected
    assert renderer.fragments_rendered == 20
    assert renderer.render(twenty) == expected  # the earliest ones were evicted
    assert 20 < renderer.fragments_rendered < 40 + 1

    # The newest (last-used) entries of the page are still cached.
    tail = doc(fmt, twenty.entries[-5:])
    count = renderer.fragments_rendered
    assert renderer.render(tail) == render_oneshot(tail)
    assert renderer.fragments_rendered == count


# --- feeds that share posts share fragments -----------------------------------------------------


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_a_label_feed_reuses_the_site_feeds_fragments(fmt: FeedFormat) -> None:
    renderer = FeedRenderer(fragment_budget=BIG)
    site_feed = doc(fmt, entries(50))
    renderer.render(site_feed)
    garden = tuple(e for e in site_feed.entries if "garden" in e.labels)
    assert 10 <= len(garden) < 50
    label_feed = doc(fmt, garden, labels=("garden",), total=len(garden))
    assert label_feed.self_url != site_feed.self_url

    body = renderer.render(label_feed)

    assert renderer.fragments_rendered == 50
    assert body == render_oneshot(label_feed)


def test_the_same_post_in_atom_and_rss_is_two_different_fragments() -> None:
    renderer = FeedRenderer(fragment_budget=BIG)
    for fmt in FeedFormat:
        the_doc = doc(fmt, entries(10))
        assert renderer.render(the_doc) == render_oneshot(the_doc)
    assert renderer.fragments_rendered == 30


def test_full_and_summary_versions_of_a_post_are_different_fragments() -> None:
    renderer = FeedRenderer(fragment_budget=BIG)
    for mode in FeedMode:
        the_doc = doc(FeedFormat.ATOM, entries(10, mode), mode=mode)
        assert renderer.render(the_doc) == render_oneshot(the_doc)
    assert renderer.fragments_rendered == 20


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_the_same_instant_written_in_another_zone_is_not_served_stale(fmt: FeedFormat) -> None:
    renderer = FeedRenderer(fragment_budget=BIG)
    utc = entries(3)
    renderer.render(doc(fmt, utc))
    cet = timezone(timedelta(hours=1))
    local = tuple(
        replace(e, published=e.published.astimezone(cet), updated=e.updated.astimezone(cet))
        for e in utc
    )
    local_doc = doc(fmt, local)
    assert renderer.render(local_doc) == render_oneshot(local_doc)


# --- JSON Feed 1.1 ------------------------------------------------------------------------------

RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def _json(the_doc: FeedDoc) -> dict[str, object]:
    body = FeedRenderer(fragment_budget=BIG).render(the_doc)
    assert body == render_oneshot(the_doc)
    parsed = json.loads(body)
    assert isinstance(parsed, dict)
    return parsed


def test_a_json_feed_reader_gets_a_complete_version_1_1_document() -> None:
    feed = _json(doc(FeedFormat.JSON, entries(50), total=180))
    assert feed["version"] == VERSION_URL == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == SITE.title
    assert feed["home_page_url"] == "https://blog.example.org/"
    assert feed["feed_url"] == "https://blog.example.org/feeds/posts/full?max-results=50&alt=json"
    assert feed["next_url"] == (
        "https://blog.example.org/feeds/posts/full?max-results=50&start-index=51&alt=json"
    )
    assert feed["hubs"] == [{"type": "WebSub", "url": HUB}]
    assert feed["authors"] == [{"name": SITE.title, "url": "https://blog.example.org/"}]
    items = feed["items"]
    assert isinstance(items, list) and len(items) == 50
    for item, e in zip(items, entries(50), strict=True):
        assert item["id"] == e.entry_id
        assert item["url"] == e.url
        assert item["title"] == e.title
        assert item["content_html"] == e.content_html
        assert "content_text" not in item
        assert RFC_3339.fullmatch(item["date_published"])
        assert RFC_3339.fullmatch(item["date_modified"])
        assert datetime.fromisoformat(item["date_published"]) == e.published
        assert item["authors"] == [
            {"name": a.name, **({"url": a.uri} if a.uri else {})} for a in e.authors
        ]
        assert "email" not in json.dumps(item["authors"])
        assert item["tags"] == list(e.labels)
    day_7 = next(i for i in items if i["id"] == entry(7).entry_id)
    assert day_7["attachments"] == [
        {"url": "https://cdn.example.org/day-7.mp3", "mime_type": "audio/mpeg",
         "size_in_bytes": 7000}
    ]


def test_a_json_summary_feed_carries_text_not_html() -> None:
    feed = _json(doc(FeedFormat.JSON, entries(3, FeedMode.SUMMARY), mode=FeedMode.SUMMARY))
    items = feed["items"]
    assert isinstance(items, list)
    for item in items:
        assert "content_html" not in item
        assert item["content_text"].startswith("Day ")


def test_the_last_json_page_has_no_next_url_and_no_hub_when_none_is_set() -> None:
    feed = _json(doc(FeedFormat.JSON, entries(30), total=180, start_index=151, hub=None))
    assert "next_url" not in feed
    assert "hubs" not in feed


def test_an_empty_json_feed_is_still_a_document_with_items() -> None:
    feed = _json(doc(FeedFormat.JSON, ()))
    assert feed["items"] == []
    assert "next_url" not in feed


def test_json_keeps_non_ascii_as_utf8_not_escapes() -> None:
    body = render_oneshot(doc(FeedFormat.JSON, entries(2)))
    assert "Zażółć gęślą jaźń".encode() in body
    assert b"\\u" not in body


# --- ETags and compression ----------------------------------------------------------------------


def test_the_etag_is_a_strong_hash_of_exactly_these_bytes() -> None:
    body = render_oneshot(doc(FeedFormat.ATOM, entries(5)))
    tag = etag_for(body)
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    assert etag_for(bytes(body)) == tag
    assert etag_for(body + b" ") != tag


def test_compressed_bodies_are_the_same_bytes_every_time() -> None:
    body = render_oneshot(doc(FeedFormat.RSS, entries(20)))
    first, again = compress(body), compress(body)
    assert first == again  # gzip without a timestamp: cacheable, comparable
    gz, br = first
    assert gzip.decompress(gz) == body and brotli.decompress(br) == body
    assert len(gz) < len(body) and len(br) < len(body)
