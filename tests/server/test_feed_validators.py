"""What a reader's validators tell it, over real HTTP on loopback (through aiohttp's handlers
and through the fast path): Last-Modified is when the feed's bytes last changed (RFC 9110
§8.8.2), so a reader polling with If-Modified-Since alone sees every change; each content
coding of a feed has its own strong ETag (§8.8.3), and a reader holding any of them gets a
304 while it still fits what the reader accepts."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from multidict import CIMultiDictProxy

from feeds.models import PostDraft, PostStatus
from server.app import create_app
from server.clock import FakeClock
from server.http_cache import http_date, parse_http_date
from server.keys import CLOCK, PUBLISHER, SITES
from tests.server.api_conftest import Api, until
from tests.server.conftest import Client
from tests.server.test_visibility import _settle

FEED = "/feeds/posts/default"
Answer = tuple[int, CIMultiDictProxy[str], bytes]


async def poll(reader: Client, url: str = FEED, method: str = "GET", **sent: str) -> Answer:
    """One request, its headers named with underscores (if_none_match=...), identity unless
    accept_encoding says otherwise; the body as sent (not decompressed)."""
    headers = {"Accept-Encoding": "identity"}
    headers.update({name.replace("_", "-").title(): value for name, value in sent.items()})
    resp = await reader.request(method, url, headers=headers, auto_decompress=False)
    return resp.status, resp.headers, await resp.read()


async def add_post(demo: Client, title: str, published: datetime | None = None,
                   status: PostStatus = PostStatus.PUBLISHED, labels: tuple[str, ...] = ()
                   ) -> Any:
    app = demo.server.app
    now = app[CLOCK].now()
    return await app[PUBLISHER].add_post(app[SITES].default, PostDraft(
        title=title, content_html="<p>x</p>", published=published or now, status=status,
        labels=labels), now)


def date(answer: Answer) -> datetime:
    parsed = parse_http_date(answer[1]["Last-Modified"])
    assert parsed is not None
    return parsed


# -- Last-Modified: when the bytes changed --------------------------------------------------


async def test_a_reader_polling_with_if_modified_since_sees_a_backdated_post(
    demo: Client, clock: FakeClock
) -> None:
    """The newest entry's date would not move for a post dated 2020: the reader got 304s."""
    cooking = "/feeds/posts/default/-/cooking"
    before = await poll(demo, cooking)
    clock.advance(minutes=1)
    post = await add_post(demo, "From the archive", datetime(2020, 1, 1, tzinfo=UTC),
                          labels=("cooking",))
    await _settle(demo)

    status, headers, body = await poll(demo, cooking,
                                       if_modified_since=before[1]["Last-Modified"])
    assert status == 200 and post.entry_id.encode() in body
    assert headers["Last-Modified"] == http_date(clock.now())
    assert (await poll(demo, cooking, if_modified_since=headers["Last-Modified"]))[0] == 304


async def test_deleting_the_newest_post_moves_last_modified_forward_not_back(
    demo: Client, clock: FakeClock
) -> None:
    post = await add_post(demo, "Soon gone")
    await _settle(demo)
    shown = await poll(demo)
    assert post.entry_id.encode() in shown[2]

    clock.advance(minutes=1)
    app = demo.server.app
    await app[PUBLISHER].delete_post(app[SITES].default, post, clock.now())
    await _settle(demo)
    answer = await poll(demo, if_modified_since=shown[1]["Last-Modified"])
    assert answer[0] == 200 and post.entry_id.encode() not in answer[2]
    assert date(answer) > date(shown)


async def test_a_scheduled_post_reaches_an_if_modified_since_reader_when_it_comes_due(
    demo: Client, clock: FakeClock
) -> None:
    """Dated when the feed changed, not by its publish_at (a post published late, after
    downtime, is dated before the feed's other changes)."""
    due = clock.now() + timedelta(hours=1)
    post = await add_post(demo, "Later", due, PostStatus.SCHEDULED)
    await _settle(demo)
    before = await poll(demo)
    assert post.entry_id.encode() not in before[2]

    clock.advance(hours=3)
    await _settle(demo)
    status, headers, body = await poll(demo, if_modified_since=before[1]["Last-Modified"])
    assert status == 200 and post.entry_id.encode() in body
    assert headers["Last-Modified"] == http_date(clock.now())


async def test_a_site_title_change_reaches_an_if_modified_since_reader(api: Api) -> None:
    await api.create_post(title="Hello")
    before = await until(api.feed, lambda r: "Hello" in r.text)
    api.clock.advance(minutes=1)
    site_id = api.app[SITES].default.id
    await api.patch(f"/api/sites/{site_id}", {"title": "A New Name"}, expect=200)
    await until(api.feed, lambda r: "A New Name" in r.text)

    since = {"If-Modified-Since": before.headers["Last-Modified"]}
    answer = await api.call("GET", FEED, auth=False, headers=since)
    assert answer.status == 200 and "A New Name" in answer.text


async def test_a_feed_rendered_again_with_the_same_bytes_keeps_its_last_modified(
    demo: Client, clock: FakeClock
) -> None:
    """`syndic regenerate` renders every feed again: nothing changed, no reader downloads."""
    before = await poll(demo)
    clock.advance(hours=1)
    app = demo.server.app
    await app[PUBLISHER].mark_all(app[SITES].default, clock.now())
    await _settle(demo)
    assert (await poll(demo, if_modified_since=before[1]["Last-Modified"]))[0] == 304
    after = await poll(demo)
    assert after[1]["Last-Modified"] == before[1]["Last-Modified"]
    assert after[1]["ETag"] == before[1]["ETag"]


async def test_last_modified_survives_a_restart(
    aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Callable[..., Any],
    clock: FakeClock, demo_template: Path, tmp_path: Path,
) -> None:
    shutil.copyfile(demo_template, tmp_path / "syndic.db")
    first = await aiohttp_client(create_app(make_settings(), clock=clock))
    clock.advance(minutes=1)
    await add_post(first, "Before the restart")
    await _settle(first)
    served = await poll(first)
    assert served[1]["Last-Modified"] == http_date(clock.now())
    await first.close()

    clock.advance(hours=1)
    again = await aiohttp_client(create_app(make_settings(), clock=clock))
    after = await poll(again)
    assert after[1]["Last-Modified"] == served[1]["Last-Modified"]
    assert (await poll(again, if_modified_since=served[1]["Last-Modified"]))[0] == 304


async def test_a_feed_dated_ahead_of_the_clock_is_sent_as_of_the_responses_date(
    demo: Client, clock: FakeClock
) -> None:
    """A feed that changes twice within a second is dated a second after its previous
    version (feeds/versions.py), ahead of the clock for a moment; here the server's clock
    is an hour ahead of the one that writes the Date. The reader is never sent a
    Last-Modified later than the Date (RFC 9110 §8.8.2.1), and polling with that date it
    gets the feed again rather than a 304 it cannot be sure of."""
    clock.set(datetime.now(UTC) + timedelta(hours=1))
    post = await add_post(demo, "Ahead")
    await _settle(demo)
    for method in ("GET", "HEAD"):
        answer = await poll(demo, method=method)
        assert answer[0] == 200
        assert date(answer) <= parse_http_date(answer[1]["Date"])  # type: ignore[operator]
    status, _, body = await poll(demo, if_modified_since=answer[1]["Last-Modified"])
    assert status == 200 and post.entry_id.encode() in body
    not_modified = await poll(demo, if_none_match=answer[1]["ETag"])
    assert not_modified[0] == 304
    assert date(not_modified) <= parse_http_date(not_modified[1]["Date"])  # type: ignore[operator]


async def test_a_feed_rendered_on_demand_has_an_etag_and_no_last_modified(demo: Client) -> None:
    """A query variant is rendered when asked for, by each process on its own: no stored
    version says when its bytes changed, and RFC 9110 §8.8.2.1 asks for Last-Modified only
    where it can be determined consistently. The ETag still makes 304s."""
    url = f"{FEED}?max-results=7"
    status, headers, _ = await poll(demo, url)
    assert status == 200 and "Last-Modified" not in headers
    assert (await poll(demo, url, if_modified_since=http_date(datetime.now(UTC))))[0] == 200
    assert (await poll(demo, url, if_none_match=headers["ETag"]))[0] == 304


# -- ETag: one per content coding ---------------------------------------------------------


async def etags(demo: Client) -> dict[str, str]:
    """The ETag of each coding of the site feed, as GET and HEAD send it."""
    tags = {}
    for coding in ("identity", "gzip", "br"):
        status, headers, _ = await poll(demo, accept_encoding=coding)
        assert status == 200 and headers["Vary"] == "Accept-Encoding"
        assert headers.get("Content-Encoding", "identity") == coding
        head = await poll(demo, method="HEAD", accept_encoding=coding)
        assert head[1]["ETag"] == headers["ETag"]
        tags[coding] = headers["ETag"]
    return tags


async def test_each_coding_of_a_feed_has_its_own_etag(demo: Client) -> None:
    tags = await etags(demo)
    identity = tags["identity"]
    assert tags == {"identity": identity, "gzip": identity[:-1] + '-gz"',
                    "br": identity[:-1] + '-br"'}


async def test_a_reader_holding_the_gzip_etag_gets_a_304(demo: Client) -> None:
    tags = await etags(demo)
    for method in ("GET", "HEAD"):
        for accepted in ("gzip", "gzip, deflate, br"):  # br preferred, gzip still taken
            status, headers, body = await poll(demo, method=method, accept_encoding=accepted,
                                               if_none_match=tags["gzip"])
            assert (status, headers["ETag"], body) == (304, tags["gzip"], b"")
    status, headers, _ = await poll(demo, accept_encoding="br", if_none_match=tags["br"])
    assert (status, headers["ETag"]) == (304, tags["br"])


async def test_a_cache_holding_several_codings_is_told_which_one_to_use(demo: Client) -> None:
    tags = await etags(demo)
    held = f'{tags["identity"]}, {tags["gzip"]}'
    status, headers, _ = await poll(demo, accept_encoding="gzip", if_none_match=held)
    assert (status, headers["ETag"]) == (304, tags["gzip"])
    status, headers, _ = await poll(demo, if_none_match=held)  # identity only
    assert (status, headers["ETag"]) == (304, tags["identity"])


async def test_a_reader_holding_the_identity_etag_that_now_accepts_gzip_keeps_what_it_has(
    demo: Client,
) -> None:
    """Identity is acceptable to it (RFC 9110 §12.5.3): its copy is this very document, so
    a 304 with the identity ETag beats downloading the gzip body."""
    tags = await etags(demo)
    status, headers, _ = await poll(demo, accept_encoding="gzip, br",
                                    if_none_match=tags["identity"])
    assert (status, headers["ETag"]) == (304, tags["identity"])
    assert "Content-Encoding" not in headers


async def test_a_reader_that_cannot_use_the_coding_it_holds_gets_the_feed(demo: Client) -> None:
    tags = await etags(demo)
    # It holds the gzip body but no longer accepts gzip (a cache asking for a plain client).
    status, headers, body = await poll(demo, if_none_match=tags["gzip"])
    assert (status, headers["ETag"]) == (200, tags["identity"]) and body.startswith(b"<?xml")
    # It holds the identity body but refuses identity now.
    status, headers, _ = await poll(demo, accept_encoding="gzip, identity;q=0",
                                    if_none_match=tags["identity"])
    assert (status, headers["ETag"], headers["Content-Encoding"]) == (200, tags["gzip"], "gzip")


async def test_an_etag_of_an_older_version_in_any_coding_gets_the_new_feed(
    demo: Client, clock: FakeClock
) -> None:
    old = await etags(demo)
    clock.advance(minutes=1)
    await add_post(demo, "Newer")
    await _settle(demo)
    for coding, tag in old.items():
        status, headers, _ = await poll(demo, accept_encoding=coding, if_none_match=tag)
        assert status == 200 and headers["ETag"] not in old.values()
