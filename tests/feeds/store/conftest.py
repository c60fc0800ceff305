"""Fixtures for the store contract suite: a site on the parametrized `store` (SQLite file and
the real PostgreSQL server), and a helper that stores posts the way the publisher does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from feeds.models import Author, FeedMode, Post, PostDraft, PostStatus, Site
from feeds.posts import prepare_post
from feeds.store import SiteSpec, Store
from feeds.store import schema as t
from feeds.store.engine import MIGRATIONS
from server.clock import FakeClock

AddPost = Callable[..., Awaitable[Post]]
CountRows = Callable[[t.Table], Awaitable[int]]
MakeSite = Callable[..., Awaitable[Site]]


def alembic(conn: Connection, verb: str, revision: str) -> None:
    """`alembic VERB REVISION` (upgrade, downgrade) on a connection, from a test."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    getattr(command, verb)(cfg, revision)


def site_spec(host: str = "blog.test", base_url: str = "http://blog.test") -> SiteSpec:
    return SiteSpec(
        host=host,
        title="A Blog",
        subtitle="Notes",
        base_url=base_url,
        timezone="Europe/Berlin",
        language="en",
        default_feed=FeedMode.FULL,
        summary_length=200,
    )


@pytest.fixture
def make_site(store: Store, clock: FakeClock) -> MakeSite:
    async def make(host: str, is_default: bool = False) -> Site:
        return await store.create_site(site_spec(host, f"http://{host}"), clock.now(), is_default)

    return make


@pytest.fixture
async def site(make_site: MakeSite) -> Site:
    return await make_site("blog.test", is_default=True)


@pytest.fixture
def add_post(store: Store, site: Site, clock: FakeClock) -> AddPost:
    """Store a new post from a few fields (prepare_post + write_post, no dirty keys unless
    given). `ago` is how long before the clock's now it was published (negative: future)."""

    async def add(
        title: str,
        *,
        ago: timedelta = timedelta(hours=1),
        labels: Iterable[str] = (),
        authors: Iterable[str] = (),
        status: PostStatus = PostStatus.PUBLISHED,
        published: datetime | None = None,
        updated: datetime | None = None,
        slug: str | None = None,
        entry_id: str | None = None,
        on: Site | None = None,
        dirty: Iterable[str] = (),
    ) -> Post:
        now = clock.now()
        draft = PostDraft(
            title=title,
            content_html=f"<p>{title} body</p>",
            published=published or now - ago,
            updated=updated,
            slug=slug,
            labels=tuple(labels),
            authors=tuple(Author(a) for a in authors),
            status=status,
            entry_id=entry_id,
        )
        post = prepare_post(on or site, draft, now)
        return await store.write_post(post, dirty, now, is_new=True)

    return add


@pytest.fixture
def count_rows(store: Store) -> CountRows:
    """How many rows a table holds (to prove a failed write left nothing behind)."""

    async def count(table: t.Table) -> int:
        async with store.engine.connect() as conn:
            result = await conn.execute(select(func.count()).select_from(table))
            return int(result.scalar_one())

    return count
