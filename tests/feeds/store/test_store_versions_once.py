"""A feed version is stored, and announced, once, whichever server stores it first: two
servers that render the same change store the same bytes, and the second store changes
nothing and writes no delivery (WebSub, external hub, weblogUpdates ping). Bytes seen before
are a new version all the same when they replace others (a feed going back). Each version
records the settings it was made with; the same bytes made with other settings change only
that record. Revision 0010 gives stored feeds the settings 0009 recorded for them."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import select, text

from feeds.models import Artifact, Fanout, FeedFormat, Site
from feeds.store import Store
from feeds.store import schema as t
from feeds.versions import settings_fingerprint
from server.clock import FakeClock
from tests.feeds.store.conftest import alembic
from tests.feeds.store.test_store_artifacts import SITE_FEED, artifact

FANOUT = Fanout(external_hubs=("http://hub.test/",), ping_services=("http://ping.test/",))


def version(site: Site, body: bytes, clock: FakeClock, made_with: str | None = "a"
            ) -> Artifact:
    return replace(artifact(site, SITE_FEED, FeedFormat.ATOM, body, clock.now()),
                   made_with=made_with)


async def stored(store: Store) -> Artifact:
    [found] = await store.load_artifacts()
    return found


async def deliveries(store: Store) -> list[tuple[str, str]]:
    _, rows = await store.page_deliveries(100, 0)
    return sorted((d.kind.value, d.etag) for d in rows)


async def test_the_second_store_of_the_same_bytes_keeps_the_first_and_announces_nothing(
        store: Store, site: Site, clock: FakeClock) -> None:
    first = version(site, b"<feed>one</feed>", clock)
    assert await store.save_artifacts([first], clock.now(), None, fanout=FANOUT) == 2
    clock.advance(seconds=3)
    again = version(site, b"<feed>one</feed>", clock)  # the other server's, dated later
    assert await store.save_artifacts([again], clock.now(), None, fanout=FANOUT) == 0
    assert await stored(store) == first  # its date too: the bytes changed when it was stored
    assert await deliveries(store) == [("hub", first.etag), ("ping", first.etag)]


async def test_bytes_seen_before_replacing_others_are_a_new_version_and_announced(
        store: Store, site: Site, clock: FakeClock) -> None:
    one, two = b"<feed>one</feed>", b"<feed>two</feed>"
    for body in (one, two, one):
        clock.advance(seconds=1)
        assert await store.save_artifacts([version(site, body, clock)], clock.now(), None,
                                          fanout=FANOUT) == 2
    assert (await stored(store)).body == one
    # One row per target, brought up to the newest version (the sender reads its body).
    assert await deliveries(store) == [("hub", version(site, one, clock).etag),
                                       ("ping", version(site, one, clock).etag)]


async def test_the_same_bytes_made_with_other_settings_change_only_the_record(
        store: Store, site: Site, clock: FakeClock) -> None:
    first = version(site, b"<feed>one</feed>", clock, made_with="a")
    await store.save_artifacts([first], clock.now(), None)
    clock.advance(minutes=5)
    await store.save_artifacts([], clock.now(), None,
                               restamp=[version(site, b"<feed>one</feed>", clock, "b")])
    assert await stored(store) == replace(first, made_with="b")
    # Bytes that are no longer the stored ones: nothing to record.
    await store.save_artifacts([], clock.now(), None,
                               restamp=[version(site, b"<feed>gone</feed>", clock, "c")])
    assert (await stored(store)).made_with == "b"


async def test_migration_0010_gives_stored_feeds_the_settings_recorded_for_them(
        store: Store, site: Site, clock: FakeClock) -> None:
    await store.save_artifacts([version(site, b"<feed/>", clock, None)], clock.now(), None)
    settings = {"feeds.default_max_results": 25, "websub.hub_url": None,
                "websub.own_hub": True}
    async with store.engine.begin() as conn:
        await conn.run_sync(alembic, "downgrade", "0009")
        await conn.execute(t.store_values.insert().values(
            name="feeds_made_with", value=json.dumps(settings, sort_keys=True)))
        await conn.run_sync(alembic, "upgrade", "head")
        values = {r.name: r.value for r in await conn.execute(select(t.store_values))}
        head = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    made_with = settings_fingerprint(settings)
    assert head == "0014"
    assert (await stored(store)).made_with == made_with
    assert json.loads(values["started_with"]) == settings
    assert json.loads(values[f"settings:{made_with}"]) == settings
    assert "feeds_made_with" not in values

    # A store with no record (none before 0009's first start) keeps none: its next start
    # renders every feed, as it did.
    async with store.engine.begin() as conn:
        await conn.run_sync(alembic, "downgrade", "0009")
        await conn.execute(t.store_values.delete())
        await conn.run_sync(alembic, "upgrade", "head")
    assert (await stored(store)).made_with is None
