"""An import says which posts lost an embed to a link: a blogger moving a Blogger blog with
Google Maps and Blogger-hosted videos in its posts finds, in the report, each post whose embed
a feed now shows as a link, and the site it came from; a post with only players, or nothing
embedded, gets no note."""

from __future__ import annotations

from html import escape

import feedparser
import pytest

from feeds.models import FeedFormat
from server.importing import file_source, run_import
from tests.atom_rules import assert_atom_valid
from tests.feeds.imports.conftest import ATOM, Blog, entries
from tests.feeds.imports.exports import HEAD, takeout_post

MAP = "https://www.google.com/maps/embed?pb=!1m18!1m12&amp;hl=en"
VIDEO = "https://www.blogger.com/video.g?token=AD6v5dy1bXyZ"
YOUTUBE = "https://www.youtube.com/embed/dQw4w9WgXcQ"
NOTE = ("embedded content from {} is a link now: a feed keeps the players of well-known video"
        " and audio sites only")


def export(*posts: tuple[str, str]) -> bytes:
    """A Blogger takeout holding a post per (title, HTML body)."""
    return (HEAD + "".join(
        takeout_post(n, title, f"/2023/0{n}/post-{n}.html", f"2023-0{n}-05T10:00:00Z",
                     content=escape(body))
        for n, (title, body) in enumerate(posts, 1)) + "</feed>").encode()


BLOG_POSTS = (
    ("Our walk", f"<p>We met here:</p><iframe src='{MAP}' width=600></iframe>"),
    ("Holiday film", f"<iframe src='{VIDEO}' class='b-hbp-video'></iframe><iframe src='{MAP}'>"
                     "</iframe><iframe src='https://www.blogger.com/video.g?token=2'></iframe>"),
    ("Just a player", f"<p>Listen</p><iframe src='{YOUTUBE}'></iframe>"),
    ("Plain words", "<p>Nothing embedded.</p>"),
    ("A script", "<p>x</p><iframe src='javascript:alert(1)'></iframe>"),
)


@pytest.mark.parametrize("workers", [0, 2])
async def test_an_import_notes_each_post_whose_embed_became_a_link_naming_its_site(
    blog: Blog, workers: int,
) -> None:
    source = file_source("blogger", export(*BLOG_POSTS), "takeout.atom")
    _, report = await run_import(blog.store, blog.site, blog.publisher.ctx, source,
                                 blog.clock.now, workers=workers)

    assert report.posts_added == 5 and report.skipped == []
    assert [(title, note) for _, title, note in report.notes] == [
        ("Our walk", NOTE.format("www.google.com")),
        ("Holiday film", NOTE.format("www.blogger.com, www.google.com")),
    ]
    assert all(where.startswith("entry ") for where, _, _ in report.notes)
    assert report.as_dict()["notes"][0]["note"] == NOTE.format("www.google.com")


async def test_an_imported_post_with_a_map_shows_the_link_in_a_feed_that_validates(
    blog: Blog,
) -> None:
    await blog.import_bytes("blogger", export(*BLOG_POSTS[:2]))
    await blog.regenerate()
    bodies = await blog.store.artifact_bodies(blog.site.id, "/feeds/posts/default",
                                              FeedFormat.ATOM)
    assert bodies is not None
    body = bodies[0]
    assert_atom_valid(body)
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    walk = next(e for e in entries(await blog.atom("/feeds/posts/default"))
                if e.findtext(f"{ATOM}title") == "Our walk")
    assert walk.findtext(f"{ATOM}content") == (
        f'<p>We met here:</p><a href="{MAP}">Embedded content: www.google.com</a>'
    )
