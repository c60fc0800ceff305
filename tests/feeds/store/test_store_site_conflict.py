"""Two creates of a site for the same host at once: the second loses the race and says so
(ConflictError, a 409 or a replay in the API), it does not fail with the database's error."""

from __future__ import annotations

import pytest

from feeds.errors import ConflictError
from feeds.store import Store
from server.clock import FakeClock
from tests.feeds.store.conftest import site_spec


async def test_a_host_taken_meanwhile_is_a_conflict_and_the_first_site_stays(
    store: Store, clock: FakeClock
) -> None:
    first = await store.create_site(site_spec("race.test", "http://race.test"), clock.now())
    with pytest.raises(ConflictError):
        await store.create_site(site_spec("race.test", "http://other.test"), clock.now())
    assert [(s.id, s.base_url) for s in await store.sites()] == [(first.id, "http://race.test")]
