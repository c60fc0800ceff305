"""The store contract, sites: they come back default first with every field, and one site's base
URL changes alone (the `store` fixture is parametrized over both a SQLite file and the real
PostgreSQL server: each story holds alike on both)."""

from __future__ import annotations

from datetime import UTC

from feeds.models import FeedMode
from feeds.store import Store
from server.clock import FakeClock
from tests.feeds.store.conftest import MakeSite


async def test_sites_come_back_default_first_with_every_field(
    store: Store, make_site: MakeSite, clock: FakeClock
) -> None:
    other = await make_site("other.test")
    main = await make_site("blog.test", is_default=True)
    assert await store.sites() == [main, other]
    assert main.host == "blog.test"
    assert main.base_url == "http://blog.test"
    assert main.timezone == "Europe/Berlin"
    assert main.default_feed is FeedMode.FULL
    assert main.summary_length == 200
    assert main.created == clock.now()
    assert main.created.tzinfo is UTC


async def test_set_base_url_changes_only_that_site(store: Store, make_site: MakeSite) -> None:
    main = await make_site("blog.test", is_default=True)
    other = await make_site("other.test")
    await store.set_base_url(main.id, "https://blog.example/")
    by_id = {s.id: s for s in await store.sites()}
    assert by_id[main.id].base_url == "https://blog.example/"
    assert by_id[other.id] == other

