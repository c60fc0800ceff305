"""After a Blogger import the old blog's links lead to the right post, and its first feed
URLs to its feeds. Blogger makes a post's
path unique within its month only: a blog with a monthly "Bilan du mois" has
/2015/01/bilan-du-mois.html, /2015/02/bilan-du-mois.html... Here a slug is unique in the
site, so the February post is `bilan-du-mois-2`; its old link must lead to it, not to the
January post that kept the slug. Served by a running syndic (real HTTP on loopback), by
aiohttp alone and behind the fast path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

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
