"""A WordPress author's feed URLs name the user's nicename (WordPress's sanitize_title of the
login: John.Doe -> john-doe), not the login the export lists. After the import, a reader who
follows the URL WordPress served is sent to the author's feed here, the login form keeps
working, and `?author=ID` leads to the author's feed when the site knows the id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from feeds.imports.items import LabelAlias
from feeds.imports.legacy_urls import (
    SITE_FEED,
    WordPressFeed,
    alias_paths,
    wordpress_feed,
    wordpress_nicename,
)
from feeds.models import FeedFormat
from server.clock import FakeClock
from tests.server.conftest import Client
from tests.server.test_wordpress_urls import follow, ids_in, redirect, serving_imports

RSS, ATOM = FeedFormat.RSS, FeedFormat.ATOM
BASE = "http://blog.test"
POST = "https://old.example/?p=40"
AUTHOR_FEED = "/feeds/authors/john-doe/default"
EXPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Old blog</title><wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_id>7</wp:author_id><wp:author_login><![CDATA[John.Doe]]></wp:author_login><wp:author_display_name><![CDATA[John Doe]]></wp:author_display_name></wp:author>
<item><title>Notes from the allotment</title><guid isPermaLink="false">{POST}</guid>
<link>https://old.example/2024/03/01/allotment/</link><dc:creator>John.Doe</dc:creator>
<content:encoded><![CDATA[<p>Broad beans are up.</p>]]></content:encoded>
<wp:post_id>40</wp:post_id><wp:post_date_gmt>2024-03-01 09:00:00</wp:post_date_gmt>
<wp:post_name>allotment</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type></item>
</channel></rss>
"""
Serve = Callable[[], Awaitable[Client]]


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str,
          tmp_path: Path) -> Serve:
    """syndic serving a store the export above was imported into (as `syndic import` does)."""
    export = tmp_path / "john-doe.xml"
    export.write_text(EXPORT, encoding="utf-8")
    start = serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)
    return lambda: start("wordpress", export)


# --- a reader following the old blog's author feed URLs ---------------------------------------


@pytest.mark.parametrize(("old", "new", "kind"), [
    ("/author/john-doe/feed/", AUTHOR_FEED + "?alt=rss", "rss"),
    ("/author/john-doe/feed", AUTHOR_FEED + "?alt=rss", "rss"),
    ("/author/john-doe/feed/rss2/", AUTHOR_FEED + "?alt=rss", "rss"),
    ("/author/john-doe/feed/atom/", AUTHOR_FEED, "atom"),
])
async def test_a_reader_of_wordpress_author_feed_by_nicename_is_sent_to_the_author_feed(
    serve: Serve, old: str, new: str, kind: str,
) -> None:
    client = await serve()

    location = await redirect(client, old)

    assert URL(location) == URL(BASE + new)
    content_type, body = await follow(client, location)
    assert content_type.startswith(f"application/{kind}+xml")
    assert ids_in(body) == {POST}


async def test_a_reader_of_the_author_feed_by_login_is_still_sent_to_the_author_feed(
    serve: Serve,
) -> None:
    client = await serve()

    location = await redirect(client, "/author/John.Doe/feed/")

    assert URL(location) == URL(f"{BASE}{AUTHOR_FEED}?alt=rss")
    _, body = await follow(client, location)
    assert ids_in(body) == {POST}


@pytest.mark.parametrize("old", ["/author/JOHN.DOE/feed/", "/author/John-Doe/feed/",
                                 "/?author_name=john-doe&feed=rss2",
                                 "/?author_name=John.Doe&feed=rss2"])
async def test_a_name_wordpress_would_have_read_as_the_nicename_leads_there_too(
    serve: Serve, old: str,
) -> None:
    client = await serve()
    assert URL(await redirect(client, old)) == URL(f"{BASE}{AUTHOR_FEED}?alt=rss")


@pytest.mark.parametrize("old", ["/author/jane-roe/feed/", "/author/john/feed/",
                                 "/author/john-doe-2/feed/"])
async def test_an_author_the_old_blog_did_not_have_is_404(serve: Serve, old: str) -> None:
    client = await serve()
    resp = await client.get(old, allow_redirects=False)
    assert resp.status == 404


async def test_an_author_id_the_site_does_not_know_leads_to_the_site_feed_as_before(
    serve: Serve,
) -> None:
    client = await serve()
    for old in ("/?author=999&feed=rss2", "/?author=-7&feed=rss2", "/?author=7,8&feed=rss2"):
        assert URL(await redirect(client, old)) == URL(f"{BASE}{SITE_FEED}?alt=rss"), old
    assert URL(await redirect(client, "/?author=999&feed=atom")) == URL(BASE + SITE_FEED)


async def test_an_author_id_from_the_export_leads_to_that_authors_feed(serve: Serve) -> None:
    client = await serve()  # the export's wp:author_id is 7

    location = await redirect(client, "/?author=7&feed=rss2")

    assert URL(location) == URL(f"{BASE}{AUTHOR_FEED}?alt=rss")
    _, body = await follow(client, location)
    assert ids_in(body) == {POST}
    assert URL(await redirect(client, "/?author=7&feed=atom")) == URL(BASE + AUTHOR_FEED)


# --- the pieces: WordPress's nicename, the keys recorded and looked up ------------------------


@pytest.mark.parametrize(("login", "nicename"), [
    ("John.Doe", "john-doe"),
    ("marta", "marta"),
    ("Anne O'Neil", "anne-oneil"),  # punctuation is dropped, spaces become hyphens
    ("jane_doe@example.com", "jane_doeexample-com"),  # "_" stays, "@" goes, "." is a hyphen
    ("Zoë Ångström", "zoe-angstrom"),  # remove_accents
    ("Straße", "strasse"),
    ("田中", "田中"),  # percent-encoded by WordPress; a request's path has it decoded
    ("a/b", "a-b"),
    ("x -- .y.", "x-y"),  # runs of hyphens collapse, none at the ends
    ("Ana\u00a0Lima", "ana-lima"),  # no-break space
    ("«bob»", "bob"),
    ("...", ""),
    ("a" * 60, "a" * 50),  # the login's first 50 characters
])
def test_the_nicename_is_what_wordpress_makes_of_the_login(login: str, nicename: str) -> None:
    assert wordpress_nicename(login) == nicename


def test_an_author_alias_records_the_login_and_the_nicename() -> None:
    assert alias_paths(LabelAlias("author", "John.Doe", "John Doe"), author="john-doe") == {
        "author:John.Doe": AUTHOR_FEED,
        "author:john-doe": AUTHOR_FEED,
    }


def test_an_author_alias_with_its_wordpress_id_records_the_id_too() -> None:
    assert alias_paths(LabelAlias("author", "John.Doe", "John Doe", "7"),
                       author="john-doe") == {
        "author:John.Doe": AUTHOR_FEED,
        "author:john-doe": AUTHOR_FEED,
        "author_id:7": AUTHOR_FEED,
    }


@pytest.mark.parametrize(("path", "query", "keys"), [
    ("/author/john-doe/feed/", {}, ("author:john-doe",)),
    ("/author/John.Doe/feed/", {}, ("author:John.Doe", "author:john-doe")),
    ("/", {"author_name": "John.Doe", "feed": "rss2"}, ("author:John.Doe", "author:john-doe")),
    ("/", {"author": "7", "feed": "rss2"}, ("author_id:7",)),
    ("/category/John.Doe/feed/", {}, ("category:John.Doe",)),  # only authors have nicenames
    ("/feed/", {}, ()),
])
def test_an_author_url_is_looked_up_as_asked_then_as_its_nicename(
    path: str, query: dict[str, str], keys: tuple[str, ...],
) -> None:
    wanted = wordpress_feed(path, query)
    assert wanted is not None and wanted.alias_keys() == keys


@pytest.mark.parametrize(("query", "expected"), [
    ({"author": "7", "feed": "rss2"}, WordPressFeed("author_id:7", SITE_FEED, RSS)),
    ({"author": "7", "feed": "atom"}, WordPressFeed("author_id:7", SITE_FEED, ATOM)),
    # Excluding (-7) or combining (7,8) authors is no one author's feed: the site's.
    ({"author": "-7", "feed": "rss2"}, WordPressFeed(None, SITE_FEED, RSS)),
    ({"author": "7,8", "feed": "rss2"}, WordPressFeed(None, SITE_FEED, RSS)),
    ({"author": "", "feed": "rss2"}, WordPressFeed(None, SITE_FEED, RSS)),
])
def test_an_author_id_asks_for_that_author_and_falls_back_to_the_site_feed(
    query: dict[str, str], expected: WordPressFeed,
) -> None:
    assert wordpress_feed("/", query) == expected
