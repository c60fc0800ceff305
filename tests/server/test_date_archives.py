"""The old blog's date archives, its home page's "Older posts" and its search, followed by a
reader. A date archive (WordPress's /2023/05/, ?m=202305, ?year=2023&monthnum=5; Blogger's
/2023/05/) leads to the site feed of exactly that span's posts, days counted in the blog's
time zone; the home page's page N to the site feed; a search to a page saying there is
none (a 404). WordPress's forms answer after a WordPress import only (site.wordpress_urls),
Blogger's on every site. A running syndic, real HTTP on loopback, by aiohttp alone and
behind the fast path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest
from yarl import URL

from server.clock import FakeClock
from tests.atom_rules import assert_atom_valid
from tests.feeds.imports.exports import BLOG, takeout_post, wxr_export, wxr_post
from tests.server.conftest import Client
from tests.server.test_blogger_urls import takeout
from tests.server.test_wordpress_urls import BASE, follow, ids_in, redirect, serving_imports

Serve = Callable[..., Awaitable[Client]]
PACIFIC = {"site": {"timezone": "America/Los_Angeles"}}  # -07:00 in May, -08:00 in January
# The posts, by their dates in UTC and on the blog's clock (Pacific time).
POSTS = [
    (1, "2022-12-31 20:00:00"),  # 2022-12-31 12:00 PST
    (2, "2023-05-01 06:30:00"),  # 2023-04-30 23:30 PDT: April's
    (3, "2023-05-01 07:30:00"),  # 2023-05-01 00:30 PDT: May's first
    (4, "2023-05-14 17:00:00"),  # 2023-05-14 10:00 PDT
    (5, "2023-06-01 06:59:00"),  # 2023-05-31 23:59 PDT: May's last
    (6, "2023-06-01 07:00:00"),  # 2023-06-01 00:00 PDT: June's
]
MAY = "published-min=2023-05-01T00:00:00-07:00&published-max=2023-06-01T00:00:00-07:00"


def guid(n: int) -> str:
    return f"https://old.example/?p={n}"


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str) -> Serve:
    return serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)


async def wordpress_blog(serve: Serve, tmp_path: Path) -> Client:
    """A WordPress blog in Pacific time; post 4's permalink is a date's path and a slug."""
    export = tmp_path / "wordpress.xml"
    export.write_bytes(wxr_export(*(
        wxr_post(n, f"Post {n}", gmt,
                 link="https://old.example/2023/05/14/post-4/" if n == 4 else "")
        for n, gmt in POSTS)))
    return await serve("wordpress", export, **PACIFIC)


async def blogger_blog(serve: Serve, tmp_path: Path) -> Client:
    """A Blogger blog in Pacific time: the same posts, never a WordPress import."""
    export = tmp_path / "feed.atom"
    export.write_bytes(takeout(*(
        takeout_post(n, f"Post {n}", f"/{gmt[:4]}/{gmt[5:7]}/post-{n}.html",
                     gmt.replace(" ", "T") + "Z", post_id=7000 + n)
        for n, gmt in POSTS)))
    return await serve("blogger", export, **PACIFIC)


async def feed_of(client: Client, location: str) -> set[str]:
    """The entry ids of the Atom feed the redirect leads to, which a feed reader reads whole
    (feedparser, bozo 0) and which is valid Atom."""
    content_type, body = await follow(client, location)
    assert content_type.startswith("application/atom+xml")
    assert_atom_valid(body)
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert {e.id for e in parsed.entries} == ids_in(body)
    return ids_in(body)


@pytest.mark.parametrize("old", [
    "/2023/05/", "/2023/05", "/2023/5/", "/2023/05/page/2/", "/index.php/2023/05/",
    "/?m=202305", "/?m=202305&paged=3", "/index.php?m=202305", "/?year=2023&monthnum=5",
    "/?year=2023&monthnum=05&paged=2",
])
async def test_a_reader_following_an_old_month_archive_link_gets_that_months_posts(
    serve: Serve, tmp_path: Path, old: str,
) -> None:
    client = await wordpress_blog(serve, tmp_path)

    location = await redirect(client, old)

    assert URL(location) == URL(f"{BASE}/feeds/posts/default?{MAY}")
    assert await feed_of(client, location) == {guid(3), guid(4), guid(5)}


@pytest.mark.parametrize(("old", "shown"), [
    ("/2023/", {2, 3, 4, 5, 6}),
    ("/?m=2023", {2, 3, 4, 5, 6}),
    ("/2022/", {1}),
    ("/2023/04/", {2}),
    ("/2023/06/", {6}),
    ("/2023/05/14/", {4}),
    ("/?m=20230514", {4}),
    ("/?m=2023051410", {4}),  # an hour's archive: its day
    ("/?year=2023&monthnum=5&day=14", {4}),
    ("/2023/05/31/", {5}),
    ("/2023/05/02/", set()),  # a day without posts: an empty feed, as on the old blog
])
async def test_a_year_or_a_day_is_its_posts_on_the_blogs_clock(
    serve: Serve, tmp_path: Path, old: str, shown: set[int],
) -> None:
    client = await wordpress_blog(serve, tmp_path)
    assert await feed_of(client, await redirect(client, old)) == {guid(n) for n in shown}


async def test_a_date_archives_feed_url_leads_to_the_same_span_in_rss(
    serve: Serve, tmp_path: Path,
) -> None:
    client = await wordpress_blog(serve, tmp_path)

    location = await redirect(client, "/2023/05/feed/")

    assert URL(location).query["alt"] == "rss"
    content_type, body = await follow(client, location)
    assert content_type.startswith("application/rss+xml")
    assert feedparser.parse(body).bozo == 0 and ids_in(body) == {guid(3), guid(4), guid(5)}
    assert await feed_of(client, await redirect(client, "/2023/05/feed/atom/")) == {
        guid(3), guid(4), guid(5)}


async def test_a_posts_permalink_under_a_date_stays_the_post(
    serve: Serve, tmp_path: Path,
) -> None:
    client = await wordpress_blog(serve, tmp_path)

    assert URL(await redirect(client, "/2023/05/14/post-4/")).path == "/2023/05/post-4.html"
    assert URL(await redirect(client, "/2023/05/14/post-4")).path == "/2023/05/post-4.html"
    assert "published-min" in await redirect(client, "/2023/05/14/")


@pytest.mark.parametrize("old", [
    "/2023/13/", "/2023/00/", "/2023/02/30/", "/2023/04/31/", "/2023/13/page/2/",
    "/?m=202313", "/?m=20230230", "/?year=2023&monthnum=13", "/?year=2023&day=14",
    "/?monthnum=5", "/?year=twenty", "/?year=2023&monthnum=%00", "/9999/", "/9999/12/31/",
    "/0000/", "/2023/13/feed/",
])
async def test_a_date_that_is_none_is_a_404_never_a_500(
    serve: Serve, tmp_path: Path, old: str,
) -> None:
    client = await wordpress_blog(serve, tmp_path)
    resp = await client.get(URL(old, encoded=True), allow_redirects=False)
    assert resp.status == 404, await resp.text()


@pytest.mark.parametrize("old", ["/page/2/", "/page/2", "/?paged=2", "/index.php/page/3/",
                                 "/index.php?paged=4"])
async def test_the_home_pages_older_posts_lead_to_the_site_feed(
    serve: Serve, tmp_path: Path, old: str,
) -> None:
    """The old blog's "Older posts" link: its page N held other posts every time one was
    published, and its length is not in the export: the site feed, newest first, whose
    own next links page through the rest."""
    client = await wordpress_blog(serve, tmp_path)

    location = await redirect(client, old)

    assert location == f"{BASE}/feeds/posts/default"
    assert await feed_of(client, location) == {guid(n) for n, _ in POSTS}


@pytest.mark.parametrize("old", ["/?s=frost", "/?s=", "/index.php?s=frost",
                                 "/search/frost/", "/search/frost/page/2/",
                                 "/?s=%3Cscript%3E&paged=2", "/search?q=frost"])
async def test_an_old_search_says_there_is_none_and_where_the_posts_are(
    serve: Serve, tmp_path: Path, old: str,
) -> None:
    client = await wordpress_blog(serve, tmp_path)

    resp = await client.get(old, allow_redirects=False)

    assert resp.status == 404
    assert resp.headers["Content-Type"].startswith("text/html")
    page = await resp.text()
    assert "no search" in page and f'href="{BASE}/feeds/posts/default"' in page
    assert "frost" not in page and "<script>" not in page


async def test_without_wordpress_urls_wordpresss_forms_are_404_and_bloggers_answer(
    serve: Serve, tmp_path: Path,
) -> None:
    client = await blogger_blog(serve, tmp_path)

    for old in ("/2023/05/page/2/", "/2023/5/", "/page/2/", "/index.php/2023/05/",
                "/search/frost/", "/2023/05/feed/"):
        resp = await client.get(old, allow_redirects=False)
        assert resp.status == 404, old
        assert resp.headers["Content-Type"] == "application/problem+json", old
    for old in ("/?m=202305", "/?year=2023", "/?paged=2", "/?s=frost", "/?m=1"):
        resp = await client.get(old, allow_redirects=False)
        assert resp.status == 200, old  # the home page, as with any query it does not read
    for old in ("/2023/05/", "/2023/05", "/2023/05/?m=1", "/2023_05_01_archive.html"):
        location = await redirect(client, old)
        assert URL(location) == URL(f"{BASE}/feeds/posts/default?{MAY}")
        ids = await feed_of(client, location)
        assert ids == {f"{BLOG}.post-{7000 + n}" for n in (3, 4, 5)}
    assert len(await feed_of(client, await redirect(client, "/2023/"))) == 5
    for old in ("/2023/13/", "/2023/02/30/", "/2023_02_30_archive.html"):
        assert (await client.get(old, allow_redirects=False)).status == 404, old
    resp = await client.get("/search?q=frost", allow_redirects=False)
    assert resp.status == 404 and "no search" in await resp.text()
