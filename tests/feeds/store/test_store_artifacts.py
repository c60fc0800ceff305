"""Artifacts and dirty feeds on both engines: what the regeneration job reads and writes.
Clearing dirty rows is level-triggered: only rows the job saw (id <= max_id) are cleared."""

from __future__ import annotations

import gzip
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import brotli

from feeds.models import CONTENT_TYPES, Artifact, FeedFormat, Site
from feeds.render import compress, etag_for
from feeds.store import Store
from server.clock import FakeClock
from tests.feeds.store.conftest import alembic

MakeSite = Callable[..., Awaitable[Site]]  # tests/feeds/store/conftest.py fixture
SITE_FEED = "/feeds/posts/default"
LABEL_FEED = "/feeds/posts/default/-/atom"


def artifact(
    site: Site, key: str, fmt: FeedFormat, body: bytes, modified: datetime | None = None
) -> Artifact:
    gz, br = compress(body)
    return Artifact(
        site_id=site.id,
        key=key,
        format=fmt,
        body=body,
        etag=etag_for(body),
        last_modified=modified,
        content_type=CONTENT_TYPES[fmt],
        self_url=f"{site.base_url}{key}?alt={fmt.value}",
        body_gzip=gz,
        body_br=br,
    )


def by_id(artifacts: list[Artifact]) -> dict[tuple[int, str, FeedFormat], Artifact]:
    return {(a.site_id, a.key, a.format): a for a in artifacts}


async def test_saved_artifacts_load_back_equal_and_bodies_come_as_identity_gzip_br(
    store: Store, site: Site, clock: FakeClock
) -> None:
    modified = clock.now() - timedelta(minutes=5, microseconds=7)
    saved = [
        artifact(site, SITE_FEED, fmt, f"<feed {fmt.value}/>".encode() * 50, modified)
        for fmt in FeedFormat
    ] + [artifact(site, LABEL_FEED, FeedFormat.ATOM, b"<feed/>", None)]
    await store.save_artifacts(saved, clock.now(), None)

    loaded = await store.load_artifacts()
    assert by_id(loaded) == by_id(saved)
    with_dates = by_id(loaded)[(site.id, SITE_FEED, FeedFormat.RSS)]
    assert with_dates.last_modified == modified and with_dates.last_modified.tzinfo is UTC
    assert by_id(loaded)[(site.id, LABEL_FEED, FeedFormat.ATOM)].last_modified is None

    bodies = await store.artifact_bodies(site.id, SITE_FEED, FeedFormat.JSON)
    assert bodies is not None
    body, gz, br = bodies
    assert all(type(b) is bytes for b in bodies)
    assert body == b"<feed json/>" * 50
    assert gzip.decompress(gz) == body and brotli.decompress(br) == body
    assert await store.artifact_bodies(site.id, "/feeds/nothing", FeedFormat.JSON) is None
    assert await store.artifact_bodies(site.id + 1, SITE_FEED, FeedFormat.JSON) is None
    assert await store.last_rendered(site.id) == clock.now()


async def test_loading_without_bodies_keeps_the_index_and_leaves_bodies_empty(
    store: Store, site: Site, clock: FakeClock
) -> None:
    saved = [artifact(site, SITE_FEED, fmt, b"x" * 100, clock.now()) for fmt in FeedFormat]
    await store.save_artifacts(saved, clock.now(), None)
    index = await store.load_artifacts(with_bodies=False)
    assert len(index) == 3
    for a in index:
        original = by_id(saved)[(a.site_id, a.key, a.format)]
        assert (a.body, a.body_gzip, a.body_br) == (b"", b"", b"")
        assert (a.etag, a.last_modified, a.content_type, a.self_url) == (
            original.etag, original.last_modified, original.content_type, original.self_url
        )


async def test_saving_an_artifact_again_replaces_it(
    store: Store, site: Site, clock: FakeClock
) -> None:
    await store.save_artifacts(
        [artifact(site, SITE_FEED, f, b"old") for f in FeedFormat], clock.now(), None
    )
    clock.advance(minutes=1)
    newer = artifact(site, SITE_FEED, FeedFormat.ATOM, b"new", clock.now())
    await store.save_artifacts([newer], clock.now(), None)

    loaded = by_id(await store.load_artifacts())
    assert len(loaded) == 3
    assert loaded[(site.id, SITE_FEED, FeedFormat.ATOM)] == newer
    assert loaded[(site.id, SITE_FEED, FeedFormat.RSS)].body == b"old"
    assert await store.artifact_bodies(site.id, SITE_FEED, FeedFormat.ATOM) == (
        b"new", newer.body_gzip, newer.body_br
    )
    assert await store.last_rendered(site.id) == clock.now()


async def test_feeds_gone_are_dropped_in_every_format_on_that_site_only(
    store: Store, site: Site, make_site: MakeSite, clock: FakeClock
) -> None:
    other = await make_site("other.test")
    await store.save_artifacts(
        [artifact(s, k, f, b"b") for s in (site, other) for k in (SITE_FEED, LABEL_FEED)
         for f in FeedFormat],
        clock.now(),
        None,
    )
    # A regeneration batch that found two feeds gone (one never saved) and rendered nothing.
    await store.save_artifacts([], clock.now(), (site.id, 0, []),
                               [LABEL_FEED, "/feeds/never-saved"])
    await store.save_artifacts([], clock.now(), (site.id, 0, []), [])

    left = sorted((a.site_id, a.key) for a in await store.load_artifacts(with_bodies=False))
    assert left == sorted(
        [(site.id, SITE_FEED)] * 3 + [(other.id, SITE_FEED)] * 3 + [(other.id, LABEL_FEED)] * 3
    )
    assert await store.last_rendered(site.id + other.id + 1) is None


async def test_dirty_feeds_groups_distinct_keys_per_site_with_the_highest_row_id(
    store: Store, site: Site, make_site: MakeSite, clock: FakeClock
) -> None:
    other = await make_site("other.test")
    assert await store.dirty_feeds() == {}
    await store.mark_dirty(site.id, [SITE_FEED, LABEL_FEED, SITE_FEED], clock.now())
    await store.mark_dirty(other.id, [SITE_FEED], clock.now())
    await store.mark_dirty(site.id, [LABEL_FEED], clock.now())
    await store.mark_dirty(site.id, [], clock.now())

    dirty = await store.dirty_feeds()
    assert set(dirty) == {site.id, other.id}
    site_max, site_keys = dirty[site.id]
    other_max, other_keys = dirty[other.id]
    assert sorted(site_keys) == [SITE_FEED, LABEL_FEED] and len(site_keys) == 2
    assert other_keys == [SITE_FEED]
    # Rows: site (2 keys), other (1), site (1): the site's last row is the highest of all.
    assert site_max > other_max > 0


async def test_the_site_feeds_job_reads_only_its_own_dirty_rows_and_the_other_the_rest(
    store: Store, site: Site, clock: FakeClock
) -> None:
    await store.mark_dirty(site.id, [LABEL_FEED], clock.now())
    await store.mark_dirty(site.id, [SITE_FEED], clock.now())
    await store.mark_dirty(site.id, [LABEL_FEED], clock.now())
    everything = await store.dirty_feeds()

    only = await store.dirty_feeds(only={SITE_FEED})
    besides = await store.dirty_feeds(besides={SITE_FEED})
    assert only[site.id][1] == [SITE_FEED] and besides[site.id][1] == [LABEL_FEED]
    # Each with the highest row it saw: clearing up to it leaves the other's rows alone.
    assert only[site.id][0] < besides[site.id][0] == everything[site.id][0]


async def test_saving_with_done_clears_only_the_rows_the_job_saw(
    store: Store, site: Site, make_site: MakeSite, clock: FakeClock
) -> None:
    """Level-triggered: a key marked again after the job read the dirty rows stays dirty."""
    other = await make_site("other.test")
    await store.mark_dirty(site.id, [SITE_FEED, LABEL_FEED], clock.now())
    await store.mark_dirty(other.id, [SITE_FEED], clock.now())
    max_id, keys = (await store.dirty_feeds())[site.id]

    # A change lands while the job renders: the site feed is marked again.
    clock.advance(seconds=1)
    await store.mark_dirty(site.id, [SITE_FEED], clock.now())

    rendered = [artifact(site, k, FeedFormat.ATOM, k.encode()) for k in keys]
    await store.save_artifacts(rendered, clock.now(), (site.id, max_id, keys))

    dirty = await store.dirty_feeds()
    assert dirty[site.id][1] == [SITE_FEED]
    assert dirty[site.id][0] > max_id
    assert dirty[other.id][1] == [SITE_FEED]
    assert len(await store.load_artifacts()) == 2

    # The next run clears the rest.
    for site_id, (top, left) in dirty.items():
        await store.save_artifacts([], clock.now(), (site_id, top, left))
    assert await store.dirty_feeds() == {}


async def test_saving_with_done_leaves_keys_it_did_not_render(
    store: Store, site: Site, clock: FakeClock
) -> None:
    await store.mark_dirty(site.id, [SITE_FEED, LABEL_FEED], clock.now())
    max_id, _ = (await store.dirty_feeds())[site.id]
    await store.save_artifacts([], clock.now(), (site.id, max_id, [LABEL_FEED]))
    top, left = (await store.dirty_feeds())[site.id]
    assert left == [SITE_FEED]
    assert top < max_id  # the site feed's row was marked before the label feed's


async def test_a_restart_reads_every_artifact_a_page_at_a_time_in_key_order(
    store: Store, site: Site, make_site: MakeSite, clock: FakeClock
) -> None:
    other = await make_site("other.test")
    saved = [artifact(s, k, f, f"{s.id}{k}{f}".encode()) for s in (site, other)
             for k in (SITE_FEED, LABEL_FEED) for f in FeedFormat]
    await store.save_artifacts(saved, clock.now(), None)
    for page in (1, 2, 5, 12, 100):
        read = [a async for a in store.iter_artifacts(page=page)]
        assert sorted(read, key=lambda a: (a.site_id, a.key, a.format.value)) == read
        assert {(a.site_id, a.key, a.format): a.body for a in read} == {
            (a.site_id, a.key, a.format): a.body for a in saved}
        assert all(a.body_gzip and a.body_br for a in read)


async def test_migration_0006_dates_a_stored_feed_when_its_bytes_were_stored(
    store: Store, site: Site, clock: FakeClock
) -> None:
    """Before 0006 a feed's Last-Modified was its newest entry's date: an upgraded database
    dates each stored version no earlier than when it was stored, so a reader stuck on 304s
    by a date that went backwards gets the feed at its next poll."""
    entry_date, ahead = clock.now() - timedelta(days=3), clock.now() + timedelta(days=1)
    await store.save_artifacts([artifact(site, SITE_FEED, FeedFormat.ATOM, b"a", entry_date),
                                artifact(site, LABEL_FEED, FeedFormat.ATOM, b"b", ahead),
                                artifact(site, SITE_FEED, FeedFormat.RSS, b"c", None)],
                               clock.now(), None)
    async with store.engine.begin() as conn:
        await conn.run_sync(alembic, "downgrade", "0005")
        await conn.run_sync(alembic, "upgrade", "head")
    dates = {(a.key, a.format): a.last_modified for a in await store.load_artifacts(False)}
    assert dates == {(SITE_FEED, FeedFormat.ATOM): clock.now(),
                     (LABEL_FEED, FeedFormat.ATOM): ahead,  # what readers hold: kept
                     (SITE_FEED, FeedFormat.RSS): clock.now()}
