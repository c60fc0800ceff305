"""Stories about a subscriber's strict Atom validator: whatever syndic publishes as Atom (posts
with podcasts, comment threads, summary feeds, a brand-new empty blog) is valid RFC 4287."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from feeds.feedset import FeedContext, build_doc, comment_entry, entries_for_posts, feed_title
from feeds.models import (
    Author,
    Comment,
    Enclosure,
    FeedFormat,
    FeedKey,
    FeedKind,
    FeedMode,
    FeedQuery,
    Post,
    PostDraft,
)
from feeds.posts import comment_entry_id, prepare_post
from feeds.render import FeedRenderer, render_oneshot
from feeds.render.document import FeedDoc
from tests.atom_rules import assert_atom_valid
from tests.conftest import NOW
from tests.feeds.render.samples import WORKSHOP

ATOM_NS = "http://www.w3.org/2005/Atom"
CTX = FeedContext(default_max=25, hub_url="https://pubsubhubbub.appspot.com/")
SITE = WORKSHOP
ZOE = Author("Zoë Ångström", "https://example.org/~zoe", "zoe@example.org")
KENJI = Author("Kenji 田中")  # no email, no page

ARTICLE = """
<figure><img src="/images/bench.jpg" alt="A workbench with a seed tray"><figcaption>The bench on
a January morning — one laptop, one seed tray, too many mugs.</figcaption></figure>
<p>Every couple of years somebody announces that feeds are “dead”. We read the obituaries, nod
politely, and go back to the bench, because the thing we build here — a small, stubborn feed
publisher — keeps finding people who need it. It’s not glamorous; it’s <em>useful</em>.</p>
<h2>What “publishing” involves</h2>
<ul><li>Dates: “5 p.m. on Tuesday” is not a time zone.</li>
<li>Quotes: ‘single’, “double”, „Polish”, «French» and 「Japanese」 marks.</li>
<li>Links: <a href="../2024/12/older.html">relative links</a> must become absolute.</li></ul>
<pre><code class="language-python">print("naïve café → ☕")</code></pre>
<table><tr><th>Kraków</th><td>Grüße aus Łódź</td></tr></table>
<p>Zażółć gęślą jaźń. 東京の朝のコーヒー。 Emoji survive too: 🌱🚂.</p>
"""


def _post(
    n: int,
    title: str,
    *,
    authors: tuple[Author, ...] = (ZOE,),
    labels: tuple[str, ...] = ("feeds", "web publishing"),
    enclosures: tuple[Enclosure, ...] = (),
    comments: int = 0,
) -> Post:
    published = datetime(2026, 10, 1, 7, 30, tzinfo=UTC) + timedelta(days=n)
    draft = PostDraft(
        title=title,
        content_html=f"<p>Part {n}.</p>{ARTICLE}",
        published=published,
        authors=authors,
        labels=labels,
        enclosures=enclosures,
    )
    return replace(prepare_post(SITE, draft, NOW), id=n, comment_count=comments)


POSTS = (
    _post(
        3,
        "Episode 12: “Seed catalogues” & optimism",
        labels=("podcast", "garden"),
        enclosures=(
            Enclosure("https://cdn.example.org/ep12.mp3", "audio/mpeg", 48_213_004),
            Enclosure("https://cdn.example.org/ep12.ogg", "audio/ogg", 39_004_112),
        ),
        comments=2,
    ),
    _post(2, "Kyoto coffee mornings — 京都の朝", authors=(KENJI,), labels=("travel", "café")),
    _post(1, "Why we still publish feeds", authors=(ZOE, KENJI), comments=0),
)


def _comments(post: Post) -> tuple[Comment, ...]:
    texts = (
        "<p>Lovely — “optimism” is exactly the word. Bought the Kraków seeds!</p>",
        "<p>Does the <code>ogg</code> file play in Apple’s app? 🤔</p>",
    )
    out = []
    for i, html in enumerate(texts, start=1):
        when = post.published + timedelta(hours=3 * i)
        out.append(
            Comment(
                id=i,
                post_id=post.id,
                site_id=SITE.id,
                entry_id=comment_entry_id(SITE, post.id, when, i),
                author=Author(f"Reader №{i}", "https://readers.example.net/" + str(i)),
                content_html=html,
                published=when,
                updated=when,
            )
        )
    return tuple(reversed(out))


def _posts_doc(key: FeedKey, posts: tuple[Post, ...] = POSTS) -> FeedDoc:
    entries = entries_for_posts(SITE, key, posts, CTX)
    title = feed_title(SITE, key, {}, None)
    return build_doc(SITE, key, FeedFormat.ATOM, entries, len(entries), title, CTX)


def _comments_doc(key: FeedKey) -> FeedDoc:
    post = POSTS[0]
    entries = tuple(comment_entry(SITE, c, post) for c in _comments(post))
    title = feed_title(SITE, key, {}, post)
    return build_doc(SITE, key, FeedFormat.ATOM, entries, len(entries), title, CTX)


Q = FeedQuery(max_results=25)
DOCS = {
    "site feed, full": _posts_doc(FeedKey(FeedKind.POSTS, Q, FeedMode.FULL)),
    "site feed, summary": _posts_doc(FeedKey(FeedKind.POSTS, Q, FeedMode.SUMMARY)),
    "label feed": _posts_doc(FeedKey(FeedKind.LABEL, Q, labels=("podcast",)), POSTS[:1]),
    "author feed": _posts_doc(FeedKey(FeedKind.AUTHOR, Q, author="kenji-田中"), POSTS[1:]),
    "second page": _posts_doc(
        FeedKey(FeedKind.POSTS, FeedQuery(max_results=1, start_index=2)), POSTS[1:2]
    ),
    "comments on a post": _comments_doc(FeedKey(FeedKind.POST_COMMENTS, Q, post_id=3)),
    "site comments": _comments_doc(FeedKey(FeedKind.COMMENTS, Q)),
    "empty blog": _posts_doc(FeedKey(FeedKind.POSTS, Q), ()),
}


def _entries(body: bytes) -> list[etree._Element]:
    return list(etree.fromstring(body).findall(f"{{{ATOM_NS}}}entry"))


@pytest.mark.parametrize("name", list(DOCS))
def test_every_atom_feed_a_reader_can_fetch_is_valid_rfc_4287(name: str) -> None:
    doc = DOCS[name]
    body = render_oneshot(doc)
    assert_atom_valid(body)
    assert len(_entries(body)) == len(doc.entries)


@pytest.mark.parametrize("name", list(DOCS))
def test_feeds_assembled_from_cached_fragments_are_valid_too(name: str) -> None:
    renderer = FeedRenderer(fragment_budget=10_000_000)
    for _ in range(2):  # the second time, every entry comes from the cache
        assert_atom_valid(renderer.render(DOCS[name]))


def test_a_podcast_episode_keeps_both_enclosures_and_its_reply_count() -> None:
    body = render_oneshot(DOCS["site feed, full"])
    assert_atom_valid(body)
    episode = _entries(body)[0]
    enclosures = [x for x in episode.findall(f"{{{ATOM_NS}}}link") if x.get("rel") == "enclosure"]
    assert [(x.get("type"), x.get("length")) for x in enclosures] == [
        ("audio/mpeg", "48213004"),
        ("audio/ogg", "39004112"),
    ]


def test_comment_entries_say_which_post_they_answer() -> None:
    body = render_oneshot(DOCS["comments on a post"])
    assert_atom_valid(body)
    thr = "{http://purl.org/syndication/thread/1.0}in-reply-to"
    refs = [e.find(thr) for e in _entries(body)]
    assert all(r is not None for r in refs)
    assert {r.get("ref") for r in refs if r is not None} == {POSTS[0].entry_id}
    assert {r.get("href") for r in refs if r is not None} == {
        "https://blog.example.org/2026/10/episode-12-seed-catalogues-optimism.html"
    }


def test_a_summary_feed_entry_has_no_content_but_an_alternate_link() -> None:
    body = render_oneshot(DOCS["site feed, summary"])
    assert_atom_valid(body)
    for entry in _entries(body):
        assert entry.find(f"{{{ATOM_NS}}}content") is None
        assert entry.find(f"{{{ATOM_NS}}}summary") is not None


def test_a_summary_entry_with_an_empty_summary_still_validates() -> None:
    # A post that is only a picture derives an empty summary.
    picture = replace(POSTS[2], summary="")
    doc = _posts_doc(FeedKey(FeedKind.POSTS, Q, FeedMode.SUMMARY), (picture,))
    assert_atom_valid(render_oneshot(doc))


def test_dates_in_another_zone_keep_their_offset_and_validate() -> None:
    doc = DOCS["site feed, full"]
    warsaw = ZoneInfo("Europe/Warsaw")
    moved = tuple(
        replace(e, published=e.published.astimezone(warsaw), updated=e.updated.astimezone(warsaw))
        for e in doc.entries
    )
    body = render_oneshot(replace(doc, entries=moved))
    assert_atom_valid(body)
    assert b"<published>2026-10-04T09:30:00+02:00</published>" in body


# --- the checker itself: it must catch what the grammar lets through ----------------------

VALID = (
    b'<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:uuid:1</id><title>t</title>'
    b"<updated>2026-01-01T00:00:00Z</updated><author><name>a</name></author>"
    b'<entry><id>urn:uuid:2</id><title>e</title><updated>2026-01-01T00:00:00Z</updated>'
    b'<link href="https://x.example/e"/></entry></feed>'
)


def test_the_checker_accepts_a_minimal_valid_feed() -> None:
    assert_atom_valid(VALID)


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        (VALID.replace(b"<updated>2026-01-01T00:00:00Z", b"<updated>2026-01-01T00:00:00"),
         "time zone"),
        (VALID.replace(b"<id>urn:uuid:2</id>", b"<id>post-2</id>"), "absolute IRI"),
        (VALID.replace(b"<author><name>a</name></author>", b""), "author"),
        (VALID.replace(b'<link href="https://x.example/e"/>',
                       b'<link rel="enclosure" href="https://x.example/e"/>'), "content"),
        (VALID.replace(b"<title>t</title>", b""), "grammar"),
    ],
)
def test_the_checker_rejects_what_the_rfc_forbids(broken: bytes, why: str) -> None:
    with pytest.raises(AssertionError, match=why):
        assert_atom_valid(broken)


def test_an_imported_guid_that_is_not_an_iri_is_a_tag_iri_in_atom_only() -> None:
    # An RSS guid kept from an import ("micro-2024-07-01"): readers of the RSS and JSON
    # feeds key on it as it is; Atom wants an IRI (RFC 4287 §4.2.6), the same at every render.
    post = replace(POSTS[0], entry_id="micro 2024/07#1")
    atom_id_ = "tag:blog.example.org,2019:entry:micro%202024%2F07%231"
    key = FeedKey(FeedKind.POSTS, Q, FeedMode.FULL)
    atom = render_oneshot(_posts_doc(key, (post,)))
    assert_atom_valid(atom)
    assert _entries(atom)[0].findtext(f"{{{ATOM_NS}}}id") == atom_id_
    entries = entries_for_posts(SITE, key, (post,), CTX)
    rss = render_oneshot(build_doc(SITE, key, FeedFormat.RSS, entries, 1, "t", CTX))
    assert etree.fromstring(rss).findtext("channel/item/guid") == "micro 2024/07#1"
    json_doc = build_doc(SITE, key, FeedFormat.JSON, entries, 1, "t", CTX)
    assert json.loads(render_oneshot(json_doc))["items"][0]["id"] == "micro 2024/07#1"

    comment = replace(_comments(POSTS[0])[0], post_id=post.id)
    comments_key = FeedKey(FeedKind.POST_COMMENTS, Q, post_id=post.id)
    doc = build_doc(SITE, comments_key, FeedFormat.ATOM, (comment_entry(SITE, comment, post),),
                    1, "c", CTX)
    body = render_oneshot(doc)
    assert_atom_valid(body)
    ref = _entries(body)[0].find("{http://purl.org/syndication/thread/1.0}in-reply-to")
    assert ref is not None and ref.get("ref") == atom_id_
