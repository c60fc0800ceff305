"""Fixtures for the import stories: a fresh site on the parametrized `store` (a real SQLite
file and the real PostgreSQL server), imported into as `syndic import` does it
(server.importing.run_import), rendered by the real Publisher with an inline renderer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select

from feeds.feedset import FeedContext
from feeds.imports.apply import ImportReport
from feeds.models import FeedFormat, FeedMode, Site
from feeds.publishing import Publisher, Regenerated
from feeds.render import FeedRenderer, InlineRenderer
from feeds.store import SiteSpec, Store
from feeds.store import schema as t
from server.clock import FakeClock
from server.importing import ImportKind, ImportSource, file_source, run_import

FIXTURES = Path(__file__).parent / "fixtures"
ATOM = "{http://www.w3.org/2005/Atom}"
CTX = FeedContext(default_max=25, hub_url=None)
# Every fixture, as the kind `syndic import` names it.
EXPORTS: dict[str, tuple[ImportKind, str]] = {
    "blogger-takeout": ("blogger", "blogger/takeout.atom"),
    "blogger-legacy": ("blogger", "blogger/legacy.xml"),
    "wxr-1.2": ("wordpress", "wordpress/export-1.2.xml"),
    "wxr-1.1": ("wordpress", "wordpress/export-1.1.xml"),
    "rss": ("feed", "feed/rss2.xml"),
    "atom": ("feed", "feed/atom.xml"),
    "json-feed": ("feed", "feed/feed.json"),
}


@dataclass
class Blog:
    """One site being imported into, and what the stories look at."""

    store: Store
    site: Site
    publisher: Publisher
    clock: FakeClock

    @property
    def sites(self) -> dict[int, Site]:
        return {self.site.id: self.site}

    async def import_bytes(self, kind: ImportKind, data: bytes, name: str = "export",
                           pages: bool = False) -> ImportReport:
        return await self.run(file_source(kind, data, name, include_pages=pages))

    async def import_fixture(self, export: str) -> ImportReport:
        kind, name = EXPORTS[export]
        return await self.import_bytes(kind, (FIXTURES / name).read_bytes(), name)

    async def run(self, source: ImportSource) -> ImportReport:
        _, report = await run_import(self.store, self.site, self.publisher.ctx, source,
                                     self.clock.now)
        self.site = await self.store.get_site(self.site.id)  # wordpress_urls may be on now
        return report

    async def regenerate(self) -> Regenerated:
        return await self.publisher.regenerate_dirty(self.sites, self.clock.now())

    async def atom(self, key: str) -> Any:
        """The stored Atom artifact of a feed, parsed (None when there is none)."""
        bodies = await self.store.artifact_bodies(self.site.id, key, FeedFormat.ATOM)
        return None if bodies is None else etree.fromstring(bodies[0])

    async def atom_bytes(self) -> list[bytes]:
        return [a.body for a in await self.store.load_artifacts()
                if a.format is FeedFormat.ATOM and a.site_id == self.site.id]

    async def dirty_rows(self) -> int:
        async with self.store.engine.connect() as conn:
            result = await conn.execute(select(func.count()).select_from(t.dirty_feeds))
            return int(result.scalar_one())

    async def versions(self) -> dict[str, tuple[int, str]]:
        """entry id -> (version, status) of every stored post."""
        return {p.entry_id: (p.version, p.status.value)
                for p in await self.store.list_posts(self.site.id)}

    async def rendered_at(self) -> dict[tuple[str, str], datetime]:
        a = t.artifacts.c
        async with self.store.engine.connect() as conn:
            rows = await conn.execute(select(a.key, a.format, a.rendered_at))
            return {(r[0], r[1]): r[2] for r in rows}


def entries(feed: Any) -> list[Any]:
    return list(feed.iter(f"{ATOM}entry"))


def entry_ids(feed: Any) -> list[str]:
    return [e.findtext(f"{ATOM}id") for e in entries(feed)]


@pytest.fixture
async def blog(store: Store, clock: FakeClock) -> Blog:
    spec = SiteSpec(host="blog.test", title="Imported", subtitle="", base_url="http://blog.test",
                    timezone="Asia/Kathmandu", language="en", default_feed=FeedMode.FULL,
                    summary_length=200)
    site = await store.create_site(spec, clock.now(), is_default=True)
    publisher = Publisher(store, InlineRenderer(FeedRenderer(10**7)), CTX, 500)
    return Blog(store, site, publisher, clock)
