"""Stories about the embeds a feed cannot carry: a blogger's Google Map, Blogger-hosted video,
slides, pen or tweet comes in an <iframe> (or an old <object>/<embed>) that no feed reader
would show. Where it stood, readers find a link to it, made safe like every other link of
the post; a URL that is no web page leaves nothing at all. (The players a post keeps are in
test_content_embeds.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import feedparser
import pytest

from feeds.content import first_image, sanitize_body, sanitize_html, summary_from_html
from feeds.models import FeedFormat, PostDraft
from feeds.posts import prepare_post, prepare_post_with_links
from tests.atom_rules import assert_atom_valid
from tests.conftest import NOW
from tests.feeds.render.samples import WORKSHOP, one_post_feed
from tests.jsonfeed_rules import assert_jsonfeed_valid

BASE = "https://blog.example.com/2024/05/my-post.html"
YOUTUBE = "https://www.youtube.com/embed/dQw4w9WgXcQ"
MAP = "https://www.google.com/maps/embed?pb=!1m18!1m12!1m3!1d2624.99!2d2.29!3d48.85"
# What Google Maps' "Embed a map" gives, as a Blogger post holds it.
BLOGGER_MAP = (
    f'<div class="separator" style="clear: both;"><iframe src="{MAP}" width="600" height="450"'
    ' style="border:0;" allowfullscreen="" loading="lazy"'
    ' referrerpolicy="no-referrer-when-downgrade"></iframe></div>'
)


def link(url: str, host: str) -> str:
    return f'<a href="{url.replace("&", "&amp;")}">Embedded content: {host}</a>'


def sanitize(html: str) -> str:
    return sanitize_html(html, BASE)


# --- what readers find where an embed was ---------------------------------------------------


def test_a_blogger_post_with_a_google_map_keeps_a_link_to_the_map() -> None:
    draft = PostDraft(
        title="Our walk",
        content_html=f"<p>We met here:</p>{BLOGGER_MAP}<p>Then the river.</p>",
        published=datetime(2024, 5, 4, 9, 0, tzinfo=UTC),
    )
    post, links = prepare_post_with_links(WORKSHOP, draft, NOW)
    assert post.content_html == (
        f"<p>We met here:</p><div>{link(MAP, 'www.google.com')}</div><p>Then the river.</p>"
    )
    assert links == (MAP,)


@pytest.mark.parametrize(
    ("src", "host"),
    [
        # Blogger's own video player ("Insert video" in the post editor)
        ("https://www.blogger.com/video.g?token=AD6v5dy1bXyZ", "www.blogger.com"),
        ("https://docs.google.com/presentation/d/e/2PACX-1vQ/embed?start=false&loop=false",
         "docs.google.com"),
        ("https://docs.google.com/document/d/e/2PACX-1vR/pub?embedded=true", "docs.google.com"),
        ("https://codepen.io/team/codepen/embed/PNaGbb?default-tab=html%2Cresult",
         "codepen.io"),
        ("https://platform.twitter.com/embed/Tweet.html?id=20", "platform.twitter.com"),
    ],
)
def test_an_embed_of_any_other_site_becomes_a_link_naming_its_host(src: str, host: str) -> None:
    escaped = src.replace("&", "&amp;")
    html = f'<p>Look:</p><iframe src="{escaped}" width="100%" frameborder="0">Loading…</iframe>'
    assert sanitize(html) == f"<p>Look:</p>{link(src, host)}"


def test_the_link_stands_where_the_iframe_stood_even_mid_sentence() -> None:
    # Inline, as the iframe was: a paragraph around it stays one paragraph.
    html = f"<p>The map <iframe src='{MAP}'></iframe> shows the way.</p>"
    assert sanitize(html) == f"<p>The map {link(MAP, 'www.google.com')} shows the way.</p>"


def test_a_relative_source_is_resolved_against_the_post_as_its_links_are() -> None:
    html = (
        "<iframe src='/widgets/calendar.html'></iframe>"
        "<iframe src='//maps.example.org/embed?q=1'></iframe>"
    )
    assert sanitize(html) == (
        link("https://blog.example.com/widgets/calendar.html", "blog.example.com")
        + link("https://maps.example.org/embed?q=1", "maps.example.org")
    )


def test_the_link_is_exactly_what_the_sanitizer_makes_of_a_link_written_by_hand() -> None:
    out = sanitize(f"<iframe src='{MAP}&amp;x=\"<b>\"' title='Map' name='m'></iframe>")
    assert out == '<a href="' + MAP + '&amp;x=&quot;&lt;b&gt;&quot;">Embedded content: www.google.com</a>'
    assert sanitize(out) == out


def test_players_stay_players_beside_the_links() -> None:
    html = f"<iframe src='{YOUTUBE}'></iframe>{BLOGGER_MAP}<iframe src='{YOUTUBE}'>x</iframe>"
    assert sanitize(html) == (
        f'<iframe src="{YOUTUBE}"></iframe><div>{link(MAP, "www.google.com")}</div>'
        f'<iframe src="{YOUTUBE}"></iframe>'
    )
    assert sanitize_body(html, BASE).links == (MAP,)


def test_an_old_flash_video_leaves_one_link_and_its_fallback_text() -> None:
    # YouTube's embed code of 2008: the <embed> is the <object>'s fallback, for other browsers.
    movie = "http://www.youtube.com/v/dQw4w9WgXcQ&amp;hl=en&amp;fs=1"
    html = (
        f'<object width="425" height="344"><param name="movie" value="{movie}"></param>'
        f'<param name="allowFullScreen" value="true"></param><embed src="{movie}"'
        ' type="application/x-shockwave-flash" allowfullscreen="true"></embed></object>'
    )
    url = movie.replace("&amp;", "&")
    assert sanitize(html) == link(url, "www.youtube.com")
    # The same film given to <object> and to the <embed> inside it is linked once; what the
    # object holds for readers without the plug-in stays, as it always did.
    swf = "<object data='/media/tour.swf'><embed src='/media/tour.swf'><p>Get Flash</p></object>"
    assert sanitize(swf) == (
        link("https://blog.example.com/media/tour.swf", "blog.example.com") + "<p>Get Flash</p>"
    )


def test_a_linked_embed_is_neither_the_posts_image_nor_counted_twice() -> None:
    body = sanitize_body(f"{BLOGGER_MAP}<img src='/walk.jpg'>{BLOGGER_MAP}", BASE)
    assert body.image == "https://blog.example.com/walk.jpg" == first_image(body.html)
    assert body.links == (MAP, MAP)


# --- what leaves nothing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.domain)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java&#x09;script:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
    ],
)
def test_an_iframe_with_a_javascript_source_leaves_nothing(src: str) -> None:
    for tag in (f"<iframe src='{src}'>x</iframe>", f"<embed src='{src}'>",
                f"<object data='{src}'></object>"):
        body = sanitize_body(f"<p>a</p>{tag}<p>b</p>", BASE)
        assert body == ("<p>a</p><p>b</p>", None, ())


def test_a_srcdoc_iframe_leaves_nothing() -> None:
    srcdoc = "&lt;a href=&quot;https://evil.example/&quot;&gt;win&lt;/a&gt;&lt;script&gt;x()&lt;/script&gt;"
    for html in (
        f'<iframe srcdoc="{srcdoc}"></iframe>',
        f'<iframe srcdoc="{srcdoc}" sandbox="allow-scripts" data-src="{MAP}">text</iframe>',
        '<iframe srcdoc="<p>hello</p>" src=""></iframe>',
        '<iframe srcdoc="x" src="about:srcdoc"></iframe>',
    ):
        assert sanitize_body(f"<p>a</p>{html}<p>b</p>", BASE) == ("<p>a</p><p>b</p>", None, ())


@pytest.mark.parametrize(
    "src",
    [
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "mailto:me@example.com", "tel:+15551234", "ftp://files.example.com/a.swf",
        "file:///etc/passwd", "about:blank", "blob:https://x.example/1", "", "   ",
        "https://www.google.com@evil.example/maps",  # user info: the text would name the wrong host
        "https://evil.example\\@www.google.com/maps",  # browsers read \ as /: host evil.example
        "https://b\u00fccher.example/", "https://[::1]/x", "https://x.example/a b",
    ],
)
def test_a_source_that_is_no_plain_web_address_leaves_nothing(src: str) -> None:
    for tag in (f'<iframe src="{src}"></iframe>', f'<embed src="{src}">',
                f'<object data="{src}"></object>'):
        assert sanitize_body(f"{tag}<p>b</p>", BASE) == ("<p>b</p>", None, ())


def test_a_hostile_base_url_gives_relative_embeds_no_link() -> None:
    body = sanitize_body("<iframe src='x'></iframe><embed src=y>", "javascript:alert(1)//")
    assert body == ("", None, ())


# --- in a feed ------------------------------------------------------------------------------


def test_a_feed_with_a_linked_map_reads_cleanly_and_validates() -> None:
    draft = PostDraft(
        title="Our walk",
        content_html=f"<p>We met here:</p>{BLOGGER_MAP}<embed src='/tour.swf'>",
        published=datetime(2026, 10, 1, 7, 30, tzinfo=UTC),
    )
    post = replace(prepare_post(WORKSHOP, draft, NOW), id=1)
    atom = one_post_feed(post, FeedFormat.ATOM)
    assert_atom_valid(atom)
    for body in (atom, one_post_feed(post, FeedFormat.RSS)):
        parsed = feedparser.parse(body)  # with feedparser's own sanitizer, as readers have
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        shown = parsed.entries[0].content[0].value
        assert link(MAP, "www.google.com") in shown
        assert "Embedded content: blog.example.org" in shown
    item = assert_jsonfeed_valid(one_post_feed(post, FeedFormat.JSON))["items"][0]
    assert item["content_html"] == post.content_html


def test_a_summary_is_the_posts_prose_without_the_links_left_for_embeds() -> None:
    body = sanitize(f"<p>Where we met:</p>{BLOGGER_MAP}<p>See you there.</p>")
    assert link(MAP, "www.google.com") in body
    assert summary_from_html(body, 300) == "Where we met: See you there."
    # A link the author wrote with other words is prose, and stays.
    own = sanitize(f'<p>The <a href="{MAP}">map</a>.</p>')
    assert summary_from_html(own, 300) == "The map."
