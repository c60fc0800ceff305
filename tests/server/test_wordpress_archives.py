"""After a WordPress import, the old blog's category, tag and author archives (/category/x/,
?cat=ID, /tag/x/, ?tag=x, /author/x/, ?author=ID, and their page N) lead to the feed of the
same posts here, in Atom: syndic has no archive pages, and the feed is the list of those
posts, each linking to its page. Odd input in any old URL is a 404 or the page it would be
without the redirect, never a 500. A running syndic, real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from yarl import URL

from server.clock import FakeClock
from tests.server.conftest import Client
from tests.server.test_wordpress_urls import (
    BASE,
    BREAD,
    FIXTURES,
    FROST,
    SOURDOUGH,
    WXR,
    follow,
    ids_in,
    redirect,
    serving_imports,
)

Serve = Callable[..., Awaitable[Client]]
GARDEN = ("/feeds/posts/default/-/Garden", {FROST})
VEGETABLES = ("/feeds/posts/default/-/Vegetables%20%26%20Herbs", {FROST})
BAKING = ("/feeds/posts/default/-/Baking", {SOURDOUGH, BREAD})
FROST_TAG = ("/feeds/posts/default/-/frost", {FROST})
SOURDOUGH_TAG = ("/feeds/posts/default/-/sourdough", {SOURDOUGH})
MARTA = ("/feeds/authors/marta-quinones/default", {FROST})
KOFI = ("/feeds/authors/kofi-mensah/default", {SOURDOUGH, BREAD})


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str) -> Serve:
    return serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)


@pytest.mark.parametrize(("old", "feed"), [
    ("/category/garden/", GARDEN),
    ("/category/garden", GARDEN),
    ("/category/garden/page/2/", GARDEN),
    ("/category/garden/vegetables/", VEGETABLES),
    ("/?cat=4", BAKING),
    ("/?cat=4&paged=2", BAKING),
    ("/index.php?cat=3", VEGETABLES),
    ("/index.php/category/baking/", BAKING),
    ("/tag/frost/", FROST_TAG),
    ("/tag/frost/page/3", FROST_TAG),
    ("/tag/%E6%97%A5%E6%9C%AC/", ("/feeds/posts/default/-/%E6%97%A5%E6%9C%AC", {BREAD})),
    ("/?tag=sourdough", SOURDOUGH_TAG),
    ("/?tag_id=8", SOURDOUGH_TAG),
    ("/author/marta/", MARTA),
    ("/author/kofi/page/2/", KOFI),
    ("/?author=1", MARTA),
    ("/?author=2&paged=2", KOFI),
    ("/?author_name=kofi", KOFI),
])
async def test_a_reader_following_an_archive_link_is_sent_to_the_feed_of_its_posts(
    serve: Serve, old: str, feed: tuple[str, set[str]],
) -> None:
    client = await serve("wordpress", WXR)

    location = await redirect(client, old)

    path, shows = feed
    assert URL(location) == URL(BASE + path)
    content_type, body = await follow(client, location)
    assert content_type.startswith("application/atom+xml")
    assert ids_in(body) == shows


@pytest.mark.parametrize("old", [
    "/category/nope/", "/category/nope/page/2/", "/?cat=999", "/?cat=-3", "/?cat=2,4",
    "/tag/nope/", "/?tag=nope", "/?tag=frost,sourdough", "/?tag_id=999",
    "/author/nobody/", "/?author=999", "/?author=-1", "/?author_name=nobody",
    "/index.php?cat=999", "/category/", "/tag/", "/author/",
])
async def test_an_archive_the_old_blog_did_not_have_is_404(serve: Serve, old: str) -> None:
    client = await serve("wordpress", WXR)
    resp = await client.get(old, allow_redirects=False)
    assert resp.status == 404


async def test_a_site_that_never_had_a_wordpress_import_shows_its_home_page(
    serve: Serve,
) -> None:
    client = await serve("blogger", FIXTURES / "blogger" / "takeout.atom")
    for old in ("/?cat=4", "/?author=1", "/?p=1&cpage=2"):
        resp = await client.get(old, allow_redirects=False)
        assert resp.status == 200, old
    for old in ("/category/garden/", "/index.php", "/index.php?p=1"):
        resp = await client.get(old, allow_redirects=False)
        assert resp.status == 404, old


# --- odd input ---------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "status"), [
    ("/?p=abc", 404),
    ("/?p=99999999999999999999999999999", 404),
    ("/?p=%2e%2e%2f", 404),
    ("/?p=101&p=102", 301),  # the first one: the post it names
    ("/?p=%00", 404),
    ("/?page_id=%ff%fe", 404),
    ("/?cat=%00", 404),
    ("/?cat=%ED%A0%80", 404),  # an unpaired surrogate, UTF-8 encoded
    ("/?cat=4&cat=%00", 301),
    ("/?cat[]=4", 200),  # not WordPress's cat: the home page
    ("/?tag=%ff", 404),
    ("/?author=1e999", 404),
    ("/?author=%F0%9F%92%A9", 404),
    ("/?author=1&feed=%00", 301),  # a feed of no type WordPress knows: RSS, as WordPress
    ("/?feed=rss2&cat=%00", 404),
    ("/?cpage=%00", 200),
    ("/?replytocom=..%2f..%2fetc", 200),
    ("/index.php?p=%00&cpage=2", 404),
    ("/index.php/%00/", 404),
    ("/index.php/%ff/2/", 404),
    ("/category/%ff/", 404),
    ("/category/%00/page/2/", 404),
    ("/tag/%ED%A0%80/", 404),
    ("/author/%00/", 404),
    ("/2023/11/14/first-frost/%ff/", 404),
    ("/2023/11/14/first-frost/comment-page-%00/", 404),
    ("/2023/11/14/first%00frost/2/", 404),
    ("/" + "a/" * 2000, 404),
    ("/category/" + "x" * 5000 + "/", 404),
    ("/?p=" + "9" * 5000, 404),
])
async def test_odd_input_in_an_old_url_is_a_404_or_the_page_never_a_500(
    serve: Serve, old: str, status: int,
) -> None:
    client = await serve("wordpress", WXR)
    resp = await client.get(URL(old, encoded=True), allow_redirects=False)
    assert resp.status == status, await resp.text()
