"""Stories about video and audio players in a post: a blogger moving from Blogger or WordPress
keeps the YouTube (Vimeo, SoundCloud, ...) players of their posts, and nothing else that comes
in an <iframe> reaches a feed but a link to its http(s) URL (the links' own stories are in
test_content_embed_links.py)."""

from __future__ import annotations

import html as html_module
import re
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser
import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds import content as content_module
from feeds.content import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    first_image,
    sanitize_html,
    summary_from_html,
)
from feeds.models import (
    Author,
    CommentDraft,
    FeedFormat,
    PostDraft,
)
from feeds.players import EMBED_PLAYERS, embed_player_url
from feeds.posts import prepare_comment, prepare_post
from tests.atom_rules import assert_atom_valid
from tests.conftest import NOW
from tests.feeds.render.samples import WORKSHOP, one_post_feed
from tests.jsonfeed_rules import assert_jsonfeed_valid

BASE = "https://blog.example.com/2024/05/my-post/"
YOUTUBE = "https://www.youtube.com/embed/dQw4w9WgXcQ"
BLOGGER_EMBED = (
    "<iframe allowfullscreen='allowfullscreen' class='BLOG_video_class' height='266'"
    " src='https://www.youtube.com/embed/dQw4w9WgXcQ' width='320'"
    " youtube-src-id='dQw4w9WgXcQ'></iframe>"
)
# A kept player, as nh3 writes it: only the attributes of players.EMBED_ATTRS, and empty.
PLAYER = re.compile(
    r'<iframe(?: (?:src|width|height|title|allowfullscreen|loading)="[^"<>]*")+></iframe>'
)
# The link left where another embed was (feeds/players.py, _LINK).
LINK = re.compile(r'<a href="(https?://[^"<>]*)">Embedded content: ([a-z0-9._-]+)</a>')
EVIL = '<a href="https://evil.example/">Embedded content: evil.example</a>'


def sanitize(html: str) -> str:
    return sanitize_html(html, BASE)


# --- the players a post keeps -----------------------------------------------------------


def test_a_blogger_youtube_embed_keeps_its_player() -> None:
    out = sanitize(f"<div class='separator'>{BLOGGER_EMBED}</div><p>My holiday video.</p>")
    assert out == (
        f'<div><iframe allowfullscreen="" height="266" src="{YOUTUBE}" width="320"></iframe>'
        "</div><p>My holiday video.</p>"
    )


def test_a_protocol_relative_blogger_embed_is_played_over_https() -> None:
    out = sanitize(BLOGGER_EMBED.replace("https://www.youtube.com", "//www.youtube.com"))
    assert f'src="{YOUTUBE}"' in out


def test_an_http_player_is_played_over_https() -> None:
    out = sanitize('<iframe src="http://player.vimeo.com/video/76979871"></iframe>')
    assert out == '<iframe src="https://player.vimeo.com/video/76979871"></iframe>'


def test_a_players_source_written_between_spaces_is_kept() -> None:
    # HTML: an iframe's src is "a valid non-empty URL potentially surrounded by spaces".
    out = sanitize(f'<iframe src="\n  {YOUTUBE}\t"></iframe>')
    assert out == f'<iframe src="{YOUTUBE}"></iframe>'


def test_youtube_without_www_is_kept_as_the_author_wrote_it() -> None:
    out = sanitize('<iframe src="https://youtube.com/embed/dQw4w9WgXcQ"></iframe>')
    assert out == '<iframe src="https://youtube.com/embed/dQw4w9WgXcQ"></iframe>'


@pytest.mark.parametrize(
    "src",
    [
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=42&rel=0",
        "https://www.youtube.com/embed/videoseries?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://player.vimeo.com/video/76979871?h=8272103f6e",
        "https://www.dailymotion.com/embed/video/x7tgad0",
        "https://w.soundcloud.com/player/?url=https%3A//api.soundcloud.com/tracks/293&color=%23ff5500",
        "https://open.spotify.com/embed/track/4uLU6hMCjMI75M1A2tKUQC",
        "https://bandcamp.com/EmbeddedPlayer/album=1536701931/size=large/bgcol=ffffff/",
    ],
)
def test_every_well_known_player_keeps_its_iframe(src: str) -> None:
    assert embed_player_url(src) == src
    escaped = src.replace("&", "&amp;")
    assert sanitize(f'<iframe src="{escaped}"></iframe>') == f'<iframe src="{escaped}"></iframe>'


def test_the_allow_list_is_https_hosts_with_a_path_prefix() -> None:
    for host, prefix in EMBED_PLAYERS.items():
        assert host == host.lower() and prefix.startswith("/") and prefix.endswith("/")
        assert embed_player_url(f"https://{host}{prefix}x") == f"https://{host}{prefix}x"


def test_a_player_keeps_only_its_source_size_title_and_two_switches() -> None:
    html = (
        f'<iframe src="{YOUTUBE}" width="560" height="315" title="Never “gonna”" allowfullscreen'
        ' loading="LAZY" frameborder="0" style="border:0" class="video" id="v" lang="en"'
        ' allow="autoplay; clipboard-write" sandbox="allow-scripts" srcdoc="<p>x</p>"'
        ' referrerpolicy="no-referrer" onload="alert(1)" name="player"></iframe>'
    )
    assert sanitize(html) == (
        f'<iframe src="{YOUTUBE}" width="560" height="315" title="Never “gonna”"'
        ' allowfullscreen="" loading="lazy"></iframe>'
    )


@pytest.mark.parametrize(
    ("attrs", "kept"),
    [
        ('width="100%" height="315"', ' height="315"'),
        ('width="560px" height=" 315"', ""),
        ('width="-1" height="3e2"', ""),
        ('width="٥٦٠"', ""),  # Arabic-Indic digits are digits to Python, not to HTML
        ('loading="never"', ""),
        ('loading="eager"', ' loading="eager"'),
        ('allowfullscreen="no"', ' allowfullscreen=""'),  # HTML: present means true
    ],
)
def test_a_players_size_is_in_pixels_and_its_switches_are_html_keywords(
    attrs: str, kept: str
) -> None:
    assert sanitize(f'<iframe src="{YOUTUBE}" {attrs}></iframe>') == (
        f'<iframe src="{YOUTUBE}"{kept}></iframe>'
    )


def test_a_players_fallback_content_is_not_kept() -> None:
    html = (
        f'<iframe src="{YOUTUBE}"><p>Your browser <a href="/x">cannot</a> play this.</p></iframe>'
    )
    assert sanitize(html) == f'<iframe src="{YOUTUBE}"></iframe>'


def test_a_player_whose_title_reads_like_markup_stays_one_harmless_element() -> None:
    title = "</iframe><script>alert(1)</script>"
    escaped = "&lt;/iframe&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    out = sanitize(f"<iframe src='{YOUTUBE}' title='{title}'>x</iframe>")
    assert out == f'<iframe src="{YOUTUBE}" title="{escaped}"></iframe>'


def test_a_comment_keeps_a_player_too() -> None:
    draft = CommentDraft(Author("Ann"), f"<p>Same trip!</p>{BLOGGER_EMBED}<iframe src=x></iframe>")
    comment = prepare_comment(WORKSHOP, 1, draft, "tag:c-1", NOW)
    assert comment.content_html == (
        f'<p>Same trip!</p><iframe allowfullscreen="" height="266" src="{YOUTUBE}" width="320">'
        '</iframe><a href="https://blog.example.org/x">Embedded content: blog.example.org</a>'
    )


# --- every other iframe vanishes, leaving a link at most ----------------------------------


def test_an_iframe_from_another_host_leaves_a_link_and_not_its_content() -> None:
    html = (
        '<p>before</p><iframe src="https://maps.example.com/embed?route=1" width="600">'
        "<p>Open the map</p></iframe><p>after</p>"
    )
    assert sanitize(html) == (
        '<p>before</p><a href="https://maps.example.com/embed?route=1">Embedded content:'
        " maps.example.com</a><p>after</p>"
    )


# As written in a src attribute: the parser decodes character references ("&#9;") first.
HOSTILE_SOURCES = [
    "",
    "https://evil.example/embed/x",
    "https://www.youtube.com.evil.example/embed/x",
    "https://www.youtube.com@evil.example/embed/x",
    "https://evil.example@www.youtube.com/embed/x",
    "https://www.youtube.com:8443/embed/x",
    "https://www.youtube.com:/embed/x",
    "https://www.youtube.com./embed/x",
    "https://www%2eyoutube.com/embed/x",
    "https://www.yout\u0443be.com/embed/x",  # a Cyrillic у
    "https://youtube-nocookie.com.evil.example/embed/x",
    "javascript:alert(1)//www.youtube.com/embed/x",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "ftp://www.youtube.com/embed/x",
    "https:\\\\www.youtube.com/embed/x",
    "https://www.youtube.com\\@evil.example/embed/x",
    "https://www.youtube.com/embed\\..\\watch",
    "ht\ttps://www.youtube.com/embed/x",
    "ht&#9;tps://www.youtube.com/embed/x",
    "https&#1;://www.youtube.com/embed/x",
    "https&#x7f;://www.youtube.com/embed/x",
    "https ://www.youtube.com/embed/x",
    "https://www.youtube.com/em&#10;bed/x",
    "https://www.youtube.com/embed/x&#0;",
    "&#x2028;https://www.youtube.com/embed/x",
    "https://www.youtube.com/embed/%2e%2e/watch",
    "https://www.youtube.com/%65mbed/x",
    "https://www.youtube.com/EMBED/x",
    "https://www.youtube.com/embedx",
    "https://www.youtube.com/embed",
    "https://www.youtube.com/embed/../watch",
    "https://www.youtube.com/embed/./x",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.dailymotion.com/embed/x7tgad0",
    "/embed/x",
    "www.youtube.com/embed/x",
    "https:/www.youtube.com/embed/x",
    "https://[::1]/embed/x",
    "https://[broken/embed/x",
    "tel:+15551234",
]


def _as_parsed(src: str) -> str:
    """``src`` with its numeric character references decoded as the HTML parser does (kept
    as they are, control characters too: html.unescape drops some of them)."""
    return re.sub(r"&#(x?)([0-9a-f]+);", lambda m: chr(int(m[2], 16 if m[1] else 10)), src)


# Of those, the ones that leave no link either: no URL, not http(s), a host a browser would
# read otherwise than its text says, a space or control character, or a player's URL once
# resolved (tabs and newlines go) that was not one as written.
LEAVE_NOTHING = {
    "", "https://www.youtube.com@evil.example/embed/x", "https://evil.example@www.youtube.com/embed/x",
    "https://www%2eyoutube.com/embed/x", "https://www.yout\u0443be.com/embed/x",
    "javascript:alert(1)//www.youtube.com/embed/x", "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "ftp://www.youtube.com/embed/x",
    "https:\\\\www.youtube.com/embed/x", "https://www.youtube.com\\@evil.example/embed/x",
    "https://www.youtube.com/embed\\..\\watch", "ht\ttps://www.youtube.com/embed/x",
    "ht&#9;tps://www.youtube.com/embed/x", "https&#1;://www.youtube.com/embed/x",
    "https&#x7f;://www.youtube.com/embed/x", "https ://www.youtube.com/embed/x",
    "https://www.youtube.com/em&#10;bed/x", "https://[::1]/embed/x", "https://[broken/embed/x",
    "tel:+15551234",
}


@pytest.mark.parametrize("src", HOSTILE_SOURCES)
def test_an_iframe_that_is_not_a_well_known_player_leaves_a_plain_link_at_most(src: str) -> None:
    assert embed_player_url(_as_parsed(src)) is None
    for quoted in (f'"{src}"', f"'{src}'"):
        html = f"<p>before</p><iframe src={quoted} width=320><b>fallback</b></iframe><p>after</p>"
        out = sanitize(html)
        left = out.removeprefix("<p>before</p>").removesuffix("<p>after</p>")
        assert out == f"<p>before</p>{left}<p>after</p>"
        if src in LEAVE_NOTHING:
            assert left == ""
        else:  # a link to an http(s) URL, naming its host, as any link of the post would be
            link = LINK.fullmatch(left)
            assert link is not None, left
            assert urlsplit(html_module.unescape(link[1])).hostname == link[2]
            assert sanitize(left) == left


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # no source, or one that only pretends to be one
        ("<iframe>text</iframe>after", "after"),
        ("<iframe width=1 title=t allowfullscreen>text</iframe>after", "after"),
        (
            f"<iframe srcdoc='<script>alert(1)</script>' data-src='{YOUTUBE}'></iframe>after",
            "after",
        ),
        (f"<iframe data-syndic-embed='{YOUTUBE}'>x</iframe>after", "after"),
        (f"<iframe data-syndic-iframe='{YOUTUBE}'>x</iframe>after", "after"),
        # an iframe ends at the first </iframe> (HTML §13.2.5.14), whatever it holds
        (
            f"<iframe src='{YOUTUBE}'><iframe src='https://evil.example/'>in</iframe>out</iframe>!",
            f'<iframe src="{YOUTUBE}"></iframe>out!',
        ),
        ("<iframe src='https://evil.example/'><iframe src='" + YOUTUBE + "'>in</iframe>out",
         f"{EVIL}out"),
        ("<iframe src='https://evil.example/'>a</iframex>b</IFRAME >c", f"{EVIL}c"),
        ("<iframe src='https://evil.example/'>never closed <p>text", EVIL),
        ("<iframe src='https://evil.example/'>x</iframe", EVIL),
        (f"<iframe src='{YOUTUBE}'>x</iframe", f'<iframe src="{YOUTUBE}"></iframe>'),
        (f"<iframe src='{YOUTUBE}'", ""),
        # iframes in SVG or MathML hold elements, not text: nh3 drops them whole
        (f'<svg><iframe src="{YOUTUBE}"><a title="</iframe><img src onerror=alert(1)>">t', ""),
        (f'<math><iframe src="{YOUTUBE}"><a title="</iframe><img src onerror=alert(1)>">t', ""),
        (f"<svg><iframe src='{YOUTUBE}'><title>t</title></iframe></svg>after", "after"),
        (f"<math><mtext><iframe src='{YOUTUBE}'><b>t</b></iframe></mtext></math>after", "after"),
        (f"<svg><foreignObject><iframe src='{YOUTUBE}'>t</iframe></foreignObject></svg>!", "!"),
        # raw-text and template content stays what it was: gone, or escaped text
        (f"<noscript><iframe src='{YOUTUBE}'></iframe></noscript>after", "after"),
        (f"<template><iframe src='{YOUTUBE}'></iframe></template>after", "after"),
        (
            f"<xmp><iframe src='{YOUTUBE}'></iframe></xmp>",
            f"&lt;iframe src='{YOUTUBE}'&gt;&lt;/iframe&gt;",
        ),
        (f"<p>a<!-- <iframe src='{YOUTUBE}'></iframe> -->b</p>", "<p>ab</p>"),
        (
            f"<abbr title='<iframe src=\"{YOUTUBE}\">'>t</abbr>",
            f'<abbr title="&lt;iframe src=&quot;{YOUTUBE}&quot;&gt;">t</abbr>',
        ),
        # a table moves a misplaced player before it (foster parenting), empty as ever
        (
            f"<table><iframe src='{YOUTUBE}'>t</iframe><tr><td>c</td></tr></table>",
            f'<iframe src="{YOUTUBE}"></iframe><table><tbody><tr><td>c</td></tr></tbody></table>',
        ),
        (
            "<table><iframe src='https://evil.example/'>t</iframe><tr><td>c</td></tr></table>",
            f"{EVIL}<table><tbody><tr><td>c</td></tr></tbody></table>",
        ),
    ],
)
def test_hostile_iframe_markup_leaves_no_shell_and_no_content(html: str, expected: str) -> None:
    assert sanitize(html) == expected


def test_escaped_iframe_markup_in_text_is_still_just_text() -> None:
    html = f"<p>Paste &lt;iframe src=&quot;{YOUTUBE}&quot;&gt;&lt;/iframe&gt; in your post</p>"
    assert sanitize(html) == (
        f'<p>Paste &lt;iframe src="{YOUTUBE}"&gt;&lt;/iframe&gt; in your post</p>'
    )


# Before players were kept, every iframe went with its content (and every object and embed
# with its tags). Now: the same output, with the players (empty) where their iframes were and
# a link where another embed with an http(s) URL was; nothing else may change.
_WAS_SANITIZED = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(content_module._DROP_WITH_CONTENT),  # iframe among them
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    link_rel=None,
    url_schemes=set(URL_SCHEMES),
)
_PIECES = st.sampled_from([
    f"<iframe src='{YOUTUBE}'>", "<iframe src=//player.vimeo.com/video/1 width=3 height=x>",
    f"<IFRAME SRC={YOUTUBE} TITLE='</iframe>'>", "<iframe src='https://evil.example/'>",
    "<iframe>", "<iframe srcdoc='<p>x</p>' src=https://www.youtube.com/embed/c>", "</iframe>",
    "</IFRAME >", "</iframe", "</iframex>", "<p>", "</p>", "text ", "<b>", "</b>", "<table>",
    "<tr>", "<td>", "</table>", "<svg>", "</svg>", "<math>", "<mtext>", "<foreignObject>",
    "<noscript>", "</noscript>", "<script>", "</script>", "<style>", "</style>", "<template>",
    "</template>", "<xmp>", "</xmp>", "<textarea>", "</textarea>", "<select>", "<option>",
    "<!--", "-->", "&lt;iframe&gt;", "<", ">", '"', "'", "&amp;", "<div>", "</div>", "<br>",
    "<a href='https://x.example/'>", "</a>", "<img src='https://x.example/i.png'>", "\x00",
    "<li>", "<ul>", "<plaintext>", "<frameset>", "<body>",
    "<iframe src='https://www.google.com/maps/embed?pb=1&amp;z=2'>", "<iframe src='/x?a=<b>'>",
    "<iframe src=javascript:alert(1)>", "<iframe src='data:text/html,<p>'>", "<iframe src=' '>",
    "<object data='/m.swf' type=application/x-shockwave-flash>", "<object>", "</object>",
    "<object data='javascript:alert(1)'>", "<param name=movie value='https://x.example/m.swf'>",
    "<embed src='https://codepen.io/a/embed/b'>", "<embed src=/m.swf>", "<embed>",
    "<embed src='vbscript:x'>", "<OBJECT DATA=//x.example/m.swf>", "</OBJECT >", "<frame src=x>",
])  # fmt: skip
_EMBEDS = re.compile(r"<(?:iframe|object|embed)", re.IGNORECASE)


@settings(max_examples=800, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_a_body_sanitizes_as_before_but_for_its_players_and_dropped_embeds_links(
    pieces: list[str],
) -> None:
    html = "".join(pieces)
    body = content_module.sanitize_body(html, BASE)
    out = body.html
    before = content_module.strip_xml_illegal(
        _WAS_SANITIZED.clean(content_module.strip_xml_illegal(html))
    )
    assert LINK.sub("", PLAYER.sub("", out)) == before
    for tag in re.findall(r"<iframe[^>]*>", out):
        src = re.search(r' src="([^"]*)"', tag)
        assert src is not None, tag
        url = src.group(1).replace("&amp;", "&")
        assert embed_player_url(url) == url
    # Each link stands for an embed of the body, to an absolute http(s) URL, and is exactly
    # what the sanitizer makes of that link written by hand (nothing more gets through).
    links = LINK.findall(out)
    assert len(links) <= len(_EMBEDS.findall(html))
    assert [html_module.unescape(href) for href, _ in links] == list(body.links)
    for href, host in links:
        link = f'<a href="{href}">Embedded content: {host}</a>'
        assert sanitize(link) == link
        assert urlsplit(html_module.unescape(href)).hostname == host


# --- summaries and thumbnails --------------------------------------------------------------


def test_a_summary_takes_no_text_from_a_player() -> None:
    body = sanitize(
        f"<p>Look:</p>{BLOGGER_EMBED.replace('></iframe>', '>fallback</iframe>')}<p>Lovely.</p>"
    )
    assert summary_from_html(body, 100) == "Look: Lovely."


def test_a_player_is_not_mistaken_for_the_posts_image() -> None:
    body = sanitize(f"{BLOGGER_EMBED}<img src='/holiday.jpg'>")
    assert first_image(body) == "https://blog.example.com/holiday.jpg"
    assert first_image(sanitize(BLOGGER_EMBED)) is None


# --- a feed with a player ------------------------------------------------------------------


def test_a_feed_with_a_player_still_reads_cleanly_and_validates() -> None:
    draft = PostDraft(
        title="Holiday video",
        content_html=f"<p>Our trip.</p><div class='separator'>{BLOGGER_EMBED}</div>",
        published=datetime(2026, 10, 1, 7, 30, tzinfo=UTC),
    )
    post = replace(prepare_post(WORKSHOP, draft, NOW), id=1)
    assert f'src="{YOUTUBE}"' in post.content_html
    atom = one_post_feed(post, FeedFormat.ATOM)
    assert_atom_valid(atom)
    for body in (atom, one_post_feed(post, FeedFormat.RSS)):
        parsed = feedparser.parse(body, sanitize_html=False)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert f'<iframe allowfullscreen="" height="266" src="{YOUTUBE}"' in (
            parsed.entries[0].content[0].value
        )
    item = assert_jsonfeed_valid(one_post_feed(post, FeedFormat.JSON))["items"][0]
    assert item["content_html"] == post.content_html
