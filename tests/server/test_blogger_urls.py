"""After a Blogger import the old blog's links lead to the right post, and its first feed
URLs to its feeds. Blogger makes a post's
path unique within its month only: a blog with a monthly "Bilan du mois" has
/2015/01/bilan-du-mois.html, /2015/02/bilan-du-mois.html... Here a slug is unique in the
site, so the February post is `bilan-du-mois-2`; its old link must lead to it, not to the
January post that kept the slug. Its label pages (/search/label/NAME) and "Older posts"
links (/search?updated-max=...) lead to the feed of the same posts. Served by a running syndic (real HTTP on loopback), by
aiohttp alone and behind the fast path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest
from yarl import URL

from server.clock import FakeClock
from tests.server.conftest import Client
from tests.server.test_wordpress_urls import serving_imports

BLOG = "tag:blogger.com,1999:blog-7423180"
Serve = Callable[..., Awaitable[Client]]


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str) -> Serve:
    return serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)


def takeout(*entries: str) -> bytes:
    return ("<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom'"
            " xmlns:blogger='http://schemas.google.com/blogger/2018'>\n"
            f"<id>{BLOG}</id><title>Le blog de Jeanne</title>\n"
            + "\n".join(entries) + "\n</feed>\n").encode()


def monthly(post_id: int, month: int) -> str:
    return (f"<entry><id>{BLOG}.post-{post_id}</id><blogger:type>POST</blogger:type>"
            "<blogger:status>LIVE</blogger:status><title>Bilan du mois</title>"
            f"<content type='html'>&lt;p&gt;Le mois {month}&lt;/p&gt;</content>"
            f"<published>2015-{month:02d}-28T10:00:00Z</published>"
            f"<updated>2015-{month:02d}-28T10:00:00Z</updated>"
            f"<blogger:filename>/2015/{month:02d}/bilan-du-mois.html</blogger:filename>"
            "<blogger:trashed></blogger:trashed></entry>")


async def test_a_monthly_posts_old_links_each_lead_to_their_own_month(
    serve: Serve, tmp_path: Path,
) -> None:
    export = tmp_path / "feed.atom"
    export.write_bytes(takeout(*(monthly(5000 + m, m) for m in (1, 2, 3))))
    client = await serve("blogger", export)

    for month in (1, 2, 3):
        old = f"/2015/{month:02d}/bilan-du-mois.html"
        resp = await client.get(old, allow_redirects=False)
        if resp.status == 301:  # its slug is another post's: the path it has here
            here = URL(resp.headers["Location"]).path
            assert here.startswith(f"/2015/{month:02d}/bilan-du-mois-"), old
            resp = await client.get(here, allow_redirects=False)
        assert resp.status == 200, old
        assert f"Le mois {month}</p>" in await resp.text(), old


@pytest.mark.parametrize(("old", "feed"), [
    ("/atom.xml", "/feeds/posts/default"),
    ("/rss.xml", "/feeds/posts/default?alt=rss"),
])
async def test_bloggers_first_feed_urls_lead_to_the_site_feed(
    serve: Serve, tmp_path: Path, old: str, feed: str,
) -> None:
    """A reader subscribed in 2008 to /atom.xml or /rss.xml (Blogger answers them with a 301
    to its feed, to this day) keeps getting the posts."""
    export = tmp_path / "feed.atom"
    export.write_bytes(takeout(monthly(5001, 1)))
    client = await serve("blogger", export)

    resp = await client.get(old, allow_redirects=False)

    assert resp.status == 301
    assert str(URL(resp.headers["Location"]).relative()) == feed
    followed = await client.get(feed)
    assert followed.status == 200 and "Bilan du mois" in await followed.text()


def labelled(post_id: int, day: int, *labels: str) -> str:
    """A May 2015 post with `labels`, published at 10:00 UTC on `day`."""
    terms = "".join(f"<category term='{label}'/>" for label in labels)
    return (f"<entry><id>{BLOG}.post-{post_id}</id><blogger:type>POST</blogger:type>"
            f"<blogger:status>LIVE</blogger:status><title>Day {day}</title>"
            f"<content type='html'>&lt;p&gt;Day {day}&lt;/p&gt;</content>"
            f"<published>2015-05-{day:02d}T10:00:00Z</published>{terms}"
            f"<blogger:filename>/2015/05/day-{day}.html</blogger:filename></entry>")


async def travel_blog(serve: Serve, tmp_path: Path) -> Client:
    export = tmp_path / "feed.atom"
    export.write_bytes(takeout(labelled(6001, 1, "Travel"), labelled(6002, 2, "Cooking"),
                               labelled(6003, 3, "Travel", "Road Trips"),
                               labelled(6004, 4, "Travel")))
    return await serve("blogger", export)


def posts(*ids: int) -> set[str]:
    return {f"{BLOG}.post-{i}" for i in ids}


@pytest.mark.parametrize(("old", "feed", "shown"), [
    ("/search/label/Travel", "/feeds/posts/default/-/Travel", posts(6001, 6003, 6004)),
    ("/search/label/Travel?m=1", "/feeds/posts/default/-/Travel", posts(6001, 6003, 6004)),
    ("/search/label/Road%20Trips", "/feeds/posts/default/-/Road%20Trips", posts(6003)),
    # A label page's "Older posts": the label's posts published before the last one shown.
    ("/search/label/Travel?updated-max=2015-05-04T10:00:00Z&max-results=1&start=1&by-date=false",
     "/feeds/posts/default/-/Travel?published-max=2015-05-04T10:00:00Z&max-results=1",
     posts(6003)),
    # The blog's "Older posts" (an unescaped + is read as the offset it was).
    ("/search?updated-max=2015-05-03T15:45:00+05:45&max-results=2",
     "/feeds/posts/default?published-max=2015-05-03T10:00:00Z&max-results=2",
     posts(6001, 6002)),
    ("/search", "/feeds/posts/default", posts(6001, 6002, 6003, 6004)),
])
async def test_a_reader_following_a_blogger_list_page_gets_the_feed_of_its_posts(
    serve: Serve, tmp_path: Path, old: str, feed: str, shown: set[str],
) -> None:
    """Blogger's label pages and "Older posts" links, in old posts and on other sites, lead
    to the feed of the same posts: syndic's list of them (docs/publishing.md)."""
    client = await travel_blog(serve, tmp_path)

    resp = await client.get(old, allow_redirects=False)

    assert resp.status == 301, old
    assert URL(resp.headers["Location"]) == URL("http://blog.test" + feed)
    followed = await client.get(URL(resp.headers["Location"]).path_qs)
    assert followed.status == 200
    body = await followed.read()
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert {e.id for e in parsed.entries} == shown


async def test_an_older_posts_date_that_is_no_date_is_a_400_naming_it(
    serve: Serve, tmp_path: Path,
) -> None:
    client = await travel_blog(serve, tmp_path)
    resp = await client.get("/search?updated-max=yesterday", allow_redirects=False)
    assert resp.status == 400
    assert (await resp.json())["field"] == "updated-max"
