"""Stories pinning each feedgen 1.0.0 defect (design.md, "feedgen 1.0.0: what the wrapper must
handle"): every test here fails if the published output regresses to what feedgen does alone."""

from __future__ import annotations

import email.utils
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import feedgen.entry
import feedgen.feed
import pytest
from lxml import etree

from feeds.errors import InvalidPostError
from feeds.feedset import FeedContext, build_doc, post_entry
from feeds.models import (
    Author,
    Enclosure,
    FeedFormat,
    FeedKey,
    FeedKind,
    FeedMode,
    FeedQuery,
    PostDraft,
)
from feeds.posts import prepare_post
from feeds.render import FeedRenderer, render_oneshot
from feeds.render.document import EntryDoc, FeedDoc
from tests.conftest import NOW
from tests.feeds.render.samples import WORKSHOP

ATOM = "http://www.w3.org/2005/Atom"
THR = "http://purl.org/syndication/thread/1.0"
NS = {
    "a": ATOM,
    "atom": ATOM,
    "thr": THR,
    "dc": "http://purl.org/dc/elements/1.1/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}

SITE_URL = "https://blog.example.org/"
SELF_ATOM = "https://blog.example.org/feeds/posts/default"
SELF_RSS = "https://blog.example.org/feeds/posts/default?alt=rss"
HUB = "https://hub.example.net/"
KENJI = Author("Kenji 田中", "https://kenji.example.jp/")  # no email
BODY = (
    "<p>“Curly quotes”, an em dash — and a naïve café in Kraków. 東京の朝。</p>"
    "<p>It’s the <em>third</em> paragraph of a long post… 🌱</p>" * 3
)


def entry(n: int, **changes: Any) -> EntryDoc:
    published = datetime(2026, 11, 1, 7, 30, tzinfo=UTC) + timedelta(days=n)
    base = EntryDoc(
        entry_id=f"tag:blog.example.org,2026-11-{n:02d}:post-{n}",
        title=f"Post {n}: “winter” pruning — part {n}",
        url=f"https://blog.example.org/2026/11/post-{n}.html",
        published=published,
        updated=published + timedelta(hours=2),
        summary=f"Summary {n}: “winter” pruning…",
        content_html=BODY,
        authors=(KENJI,),
        labels=("garden", "winter"),
        label_scheme=SITE_URL,
        comment_count=4,
        replies_atom_url=f"https://blog.example.org/feeds/{n}/comments/default",
        replies_rss_url=f"https://blog.example.org/feeds/{n}/comments/default?alt=rss",
        comments_page_url=f"https://blog.example.org/2026/11/post-{n}.html#comments",
    )
    return replace(base, **changes)


def feed(fmt: FeedFormat, entries: tuple[EntryDoc, ...], **changes: Any) -> FeedDoc:
    base = FeedDoc(
        format=fmt,
        feed_id="tag:blog.example.org,2019:site-1/feeds/posts/default",
        title="The Workshop Notebook",
        subtitle="Feeds, gardens — and trains",
        updated=max((e.updated for e in entries), default=datetime(2019, 3, 1, tzinfo=UTC)),
        site_url=SITE_URL,
        self_url=SELF_RSS if fmt is FeedFormat.RSS else SELF_ATOM,
        language="en",
        author=Author("The Workshop Notebook", SITE_URL),
        entries=entries,
        hub_url=HUB,
    )
    return replace(base, **changes)


def xml(doc: FeedDoc) -> Any:
    """The rendered document, parsed; the cached-fragment path must agree byte for byte."""
    body = render_oneshot(doc)
    assert FeedRenderer(fragment_budget=1_000_000).render(doc) == body
    return etree.fromstring(body)


# --- entry-level Atom <link> loses rel, type and length --------------------------------------


def test_a_podcast_entry_in_atom_keeps_its_enclosure_with_rel_type_and_length() -> None:
    mp3 = Enclosure("https://cdn.example.org/episode-12.mp3", "audio/mpeg", 48_213_004)
    root = xml(feed(FeedFormat.ATOM, (entry(1, enclosures=(mp3,)),)))
    links = root.findall("a:entry/a:link", NS)
    to_mp3 = [x for x in links if x.get("href") == mp3.url]
    assert [dict(x.attrib) for x in to_mp3] == [
        {"href": mp3.url, "rel": "enclosure", "type": "audio/mpeg", "length": "48213004"}
    ]
    # The page link stays the (only) alternate link.
    alternates = [x for x in links if x.get("rel", "alternate") == "alternate"]
    assert [x.get("href") for x in alternates] == ["https://blog.example.org/2026/11/post-1.html"]


# --- RSS <channel><link> is the href of the last link() call ---------------------------------


def test_rss_channel_link_is_the_site_not_the_feed_itself() -> None:
    root = xml(feed(FeedFormat.RSS, (entry(1),)))
    assert [x.text for x in root.findall("channel/link")] == [SITE_URL]
    self_links = root.findall("channel/atom:link[@rel='self']", NS)
    assert [x.get("href") for x in self_links] == [SELF_RSS]


def test_atom_feed_links_to_both_the_site_and_itself() -> None:
    root = xml(feed(FeedFormat.ATOM, (entry(1),)))
    links = {x.get("rel"): x.get("href") for x in root.findall("a:link", NS)}
    assert links["alternate"] == SITE_URL
    assert links["self"] == SELF_ATOM


# --- RSS drops rel=hub -----------------------------------------------------------------------


def test_rss_readers_find_the_websub_hub() -> None:
    root = xml(feed(FeedFormat.RSS, (entry(1),)))
    hubs = root.findall("channel/atom:link[@rel='hub']", NS)
    assert [x.get("href") for x in hubs] == [HUB]


def test_atom_readers_find_the_websub_hub() -> None:
    root = xml(feed(FeedFormat.ATOM, (entry(1),)))
    assert [x.get("href") for x in root.findall("a:link[@rel='hub']", NS)] == [HUB]


@pytest.mark.parametrize("fmt", [FeedFormat.ATOM, FeedFormat.RSS])
def test_a_feed_without_a_hub_announces_none(fmt: FeedFormat) -> None:
    body = render_oneshot(feed(fmt, (entry(1),), hub_url=None))
    assert b'rel="hub"' not in body


# --- rel="replies" is rejected; no thr/slash/wfw support -------------------------------------


def test_atom_entries_link_to_their_comments_with_thread_counts() -> None:
    root = xml(feed(FeedFormat.ATOM, (entry(7, comment_count=12),)))
    (replies,) = root.findall("a:entry/a:link[@rel='replies']", NS)
    assert replies.get("href") == "https://blog.example.org/feeds/7/comments/default"
    assert replies.get("type") == "application/atom+xml"
    assert replies.get(f"{{{THR}}}count") == "12"  # RFC 4685 §4
    assert [x.text for x in root.findall("a:entry/thr:total", NS)] == ["12"]  # RFC 4685 §5


def test_a_post_nobody_has_commented_on_yet_says_zero() -> None:
    root = xml(feed(FeedFormat.ATOM, (entry(7, comment_count=0),)))
    (replies,) = root.findall("a:entry/a:link[@rel='replies']", NS)
    assert replies.get(f"{{{THR}}}count") == "0"
    assert [x.text for x in root.findall("a:entry/thr:total", NS)] == ["0"]


def test_rss_items_carry_comment_count_feed_and_page() -> None:
    root = xml(feed(FeedFormat.RSS, (entry(7, comment_count=12),)))
    (item,) = root.findall("channel/item")
    assert item.findtext("slash:comments", namespaces=NS) == "12"
    assert item.findtext("wfw:commentRss", namespaces=NS) == (
        "https://blog.example.org/feeds/7/comments/default?alt=rss"
    )
    assert item.findtext("comments") == "https://blog.example.org/2026/11/post-7.html#comments"


def test_comment_entries_themselves_carry_no_reply_counts() -> None:
    comment = entry(
        8,
        comment_count=None,
        replies_atom_url=None,
        replies_rss_url=None,
        comments_page_url=None,
        in_reply_to=("tag:blog.example.org,2026-11-07:post-7", "https://blog.example.org/p.html"),
    )
    atom = render_oneshot(feed(FeedFormat.ATOM, (comment,)))
    rss = render_oneshot(feed(FeedFormat.RSS, (comment,)))
    assert b'rel="replies"' not in atom and b"thr:total" not in atom
    assert b"thr:in-reply-to" in atom
    assert b"slash:comments" not in rss and b"<comments>" not in rss


# --- one XML-illegal character makes the whole feed fail: clean text first -------------------

SITE = WORKSHOP
CTX = FeedContext(default_max=25, hub_url=HUB)
PASTED = PostDraft(
    title="A\x0bB “pasted from Word”",
    content_html="<p>x\x0b<script>alert(1)</script></p><p>Zażółć\x0c gęślą jaźń — “ok”.</p>",
    published=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
    authors=(Author("Zoë\x0b Ångström"),),
    labels=("tips\x0b", "word\x01"),
)


def _text_of(fmt: FeedFormat, body: bytes) -> str:
    """Every character a reader sees: element text, attribute values, JSON strings."""
    if fmt is FeedFormat.JSON:
        return json.dumps(json.loads(body), ensure_ascii=False)
    root = etree.fromstring(body)  # raises on any XML-illegal character
    parts = [t for elem in root.iter() for t in (elem.text, elem.tail) if t]
    parts += [v for elem in root.iter() for v in elem.attrib.values()]
    return "\n".join(parts)


@pytest.mark.parametrize("fmt", list(FeedFormat))
@pytest.mark.parametrize("mode", list(FeedMode))
def test_a_post_pasted_with_control_characters_and_a_script_publishes_clean(
    fmt: FeedFormat, mode: FeedMode
) -> None:
    post = replace(prepare_post(SITE, PASTED, NOW), id=1)
    doc = build_doc(
        SITE,
        FeedKey(FeedKind.POSTS, FeedQuery(max_results=25), mode),
        fmt,
        (post_entry(SITE, post, mode, CTX),),
        1,
        SITE.title,
        CTX,
    )
    body = render_oneshot(doc)
    assert FeedRenderer(fragment_budget=1_000_000).render(doc) == body
    text = _text_of(fmt, body)
    for bad in ("\x0b", "\x0c", "\x01", "<script", "alert(1)"):
        assert bad not in text
        assert bad.encode() not in body
    assert b"&lt;script" not in body
    assert "A B “pasted from Word”" in text
    assert "Zoë Ångström" in text
    if mode is FeedMode.FULL:
        assert "Zażółć gęślą jaźń — “ok”." in text


# --- naive datetimes are rejected; updated/lastBuildDate default to now ------------------------


def test_a_draft_without_a_time_zone_is_refused_before_it_reaches_a_feed() -> None:
    naive = replace(PASTED, published=datetime(2026, 11, 20, 8, 0))
    with pytest.raises(InvalidPostError) as caught:
        prepare_post(SITE, naive, NOW)
    assert caught.value.field == "published"


def test_a_draft_with_a_naive_updated_time_is_refused_naming_the_field() -> None:
    naive = replace(PASTED, updated=datetime(2026, 11, 21, 8, 0))
    with pytest.raises(InvalidPostError) as caught:
        prepare_post(SITE, naive, NOW)
    assert caught.value.field == "updated"


class _ClockMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, datetime)  # feedgen's isinstance(value, datetime) checks


def _wall_clock_at(moment: datetime) -> type:
    class WallClock(metaclass=_ClockMeta):
        @staticmethod
        def now(tz: Any = None) -> datetime:
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    return WallClock


@pytest.mark.parametrize("fmt", [FeedFormat.ATOM, FeedFormat.RSS])
def test_the_same_feed_rendered_a_year_later_is_the_same_bytes(
    fmt: FeedFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = feed(fmt, tuple(entry(n) for n in (3, 2, 1)))
    renders = []
    for wall in (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 6, 30, 23, 59, tzinfo=UTC)):
        clock = _wall_clock_at(wall)
        monkeypatch.setattr(feedgen.feed, "datetime", clock)
        monkeypatch.setattr(feedgen.entry, "datetime", clock)
        body = render_oneshot(doc)
        assert b"2027" not in body and b"2028" not in body
        renders.append(body)
        renders.append(FeedRenderer(fragment_budget=1_000_000).render(doc))
    assert len(set(renders)) == 1


def test_atom_updated_is_the_newest_entry_not_the_render_time() -> None:
    posts = [replace(prepare_post(SITE, replace(PASTED, published=p), NOW), id=i)
             for i, p in enumerate((datetime(2026, 11, 2, tzinfo=UTC),
                                    datetime(2026, 11, 9, 18, 45, tzinfo=UTC),
                                    datetime(2026, 11, 5, tzinfo=UTC)), start=1)]
    key = FeedKey(FeedKind.POSTS, FeedQuery(max_results=25), FeedMode.FULL)
    entries = tuple(post_entry(SITE, p, FeedMode.FULL, CTX) for p in posts)
    atom = xml(build_doc(SITE, key, FeedFormat.ATOM, entries, 3, SITE.title, CTX))
    assert atom.findtext("a:updated", namespaces=NS) == "2026-11-09T18:45:00+00:00"
    rss = xml(build_doc(SITE, key, FeedFormat.RSS, entries, 3, SITE.title, CTX))
    assert rss.findtext("channel/lastBuildDate") == "Mon, 09 Nov 2026 18:45:00 +0000"


def test_an_empty_feed_is_dated_by_the_site_not_the_clock() -> None:
    key = FeedKey(FeedKind.POSTS, FeedQuery(max_results=25))
    atom = xml(build_doc(SITE, key, FeedFormat.ATOM, (), 0, SITE.title, CTX))
    assert atom.findtext("a:updated", namespaces=NS) == "2019-03-01T09:00:00+00:00"


# --- add_entry() prepends by default ----------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_entries_appear_in_the_order_they_were_selected(fmt: FeedFormat) -> None:
    order = (5, 9, 1, 7, 3)  # deliberately not by date: the query decides the order
    body = render_oneshot(feed(fmt, tuple(entry(n) for n in order)))
    if fmt is FeedFormat.JSON:
        ids = [item["id"] for item in json.loads(body)["items"]]
    elif fmt is FeedFormat.ATOM:
        ids = [x.text for x in etree.fromstring(body).findall("a:entry/a:id", NS)]
    else:
        ids = [x.text for x in etree.fromstring(body).findall("channel/item/guid")]
    assert ids == [entry(n).entry_id for n in order]


# --- an author without an email vanishes from RSS ----------------------------------------------


def test_an_author_without_email_is_credited_in_rss_as_dc_creator() -> None:
    two = (KENJI, Author("Zoë Ångström", None, "zoe@example.org"))
    root = xml(feed(FeedFormat.RSS, (entry(1, authors=two),)))
    (item,) = root.findall("channel/item")
    assert [x.text for x in item.findall("dc:creator", NS)] == ["Kenji 田中", "Zoë Ångström"]
    # RSS <author> must be an email address; nobody's address is published by accident.
    assert item.find("author") is None


def test_an_author_without_email_is_credited_in_atom() -> None:
    root = xml(feed(FeedFormat.ATOM, (entry(1),)))
    assert [x.text for x in root.findall("a:entry/a:author/a:name", NS)] == ["Kenji 田中"]
    assert root.find("a:entry/a:author/a:email", NS) is None


# --- sy:UpdatePeriod (wrong case) and the text "None" -----------------------------------------


def test_rss_tells_aggregators_to_poll_hourly_in_the_syndication_module() -> None:
    body = render_oneshot(feed(FeedFormat.RSS, (entry(1),)))
    root = etree.fromstring(body)
    assert root.findtext("channel/sy:updatePeriod", namespaces=NS) == "hourly"
    assert root.findtext("channel/sy:updateFrequency", namespaces=NS) == "1"
    assert b"UpdatePeriod" not in body
    assert b">None<" not in body


def test_a_daily_feed_says_daily() -> None:
    body = render_oneshot(feed(FeedFormat.RSS, (entry(1),), update_period="daily"))
    assert etree.fromstring(body).findtext("channel/sy:updatePeriod", namespaces=NS) == "daily"


# --- feedgen calls locale.setlocale: dates must still be English ------------------------------

RFC_822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
)


def test_rss_dates_use_english_day_and_month_names() -> None:
    entries = tuple(entry(n) for n in range(1, 13))  # every weekday, twice over
    root = xml(feed(FeedFormat.RSS, entries))
    dates = [x.text or "" for x in root.iter("pubDate", "lastBuildDate")]
    assert len(dates) == 13
    for value in dates:
        assert RFC_822.fullmatch(value), value
    pub = [x.text for x in root.findall("channel/item/pubDate")]
    assert pub == [email.utils.format_datetime(e.published) for e in entries]
