"""Every fixture export broken at random (tests/feeds/imports/mutations.py), derandomized and
bounded: the importer reads each whole item or reports it (where and why), or refuses the
file with one line naming where it breaks, and nothing else: no other exception, no entity
expanded or file read. Imported into a real SQLite file, what it stores is whole: each post
with its labels, each comment on a stored post answering a comment of that post (no loops),
the run ended, the report accounting for every item, and the feeds rendered after it valid
Atom. A larger campaign of the same (run by hand) is in docs/design-notes.md."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from feeds.feedset import FeedContext
from feeds.imports.items import ImportedPost, ImportFormatError, ImportItem, Skipped
from feeds.models import FeedFormat, FeedMode, Site
from feeds.posts import label_name
from feeds.publishing import Publisher
from feeds.render import FeedRenderer, InlineRenderer
from feeds.store import SiteSpec, Store, open_store
from feeds.store import schema as t
from server.clock import FakeClock
from server.importing import ImportKind, file_source, items_of, run_import
from tests.atom_rules import assert_atom_valid
from tests.conftest import NOW
from tests.feeds.imports.conftest import EXPORTS, FIXTURES
from tests.feeds.imports.mutations import PASSWD, broken, found_before

TZ = ZoneInfo("Asia/Kathmandu")
WHERE = re.compile(r"line \d+|document|(entry|item) \d+( \(line \d+\))?")
CTX = FeedContext(default_max=25, hub_url=None)


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


Case = tuple[ImportKind, bytes]


def and_found_before(test: Callable[..., None]) -> Callable[..., None]:
    for case in found_before(FIXTURES):
        test = example(case=case)(test)
    return test


def exports() -> st.SearchStrategy[Case]:
    def of(name: str) -> st.SearchStrategy[Case]:
        kind, path = EXPORTS[name]
        return broken((FIXTURES / path).read_bytes()).map(lambda data: (kind, data))

    return st.sampled_from(sorted(EXPORTS)).flatmap(of)


def read(kind: ImportKind, data: bytes) -> tuple[list[ImportItem], ImportFormatError | None]:
    """What the parser gives, and the error it ends with (its items before it are kept)."""
    items: list[ImportItem] = []
    try:
        for item in items_of(file_source(kind, data, "export", include_pages=True), TZ):
            items.append(item)
    except ImportFormatError as exc:
        return items, exc
    return items, None


@fuzz(150)
@given(case=exports())
@and_found_before
def test_a_broken_export_is_read_item_by_item_or_refused_naming_where_it_breaks(
    case: Case,
) -> None:
    items, error = read(*case)
    assert PASSWD not in repr(items)
    for item in items:
        if isinstance(item, ImportedPost | Skipped):
            assert WHERE.match(item.where), item
    if error is not None:
        assert WHERE.fullmatch(error.where), error.where
        assert error.problem and "\n" not in str(error) and PASSWD not in str(error)


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """An empty store with one site, copied for each example (migrations take a while)."""
    folder = Path(tempfile.mkdtemp(prefix="syndic-mutations-"))

    async def make() -> None:
        store = await open_store(f"sqlite:///{folder / 'template.db'}")
        await store.create_site(SiteSpec(
            host="blog.test", title="Imported", subtitle="", base_url="http://blog.test",
            timezone=TZ.key, language="en", default_feed=FeedMode.FULL, summary_length=200,
        ), NOW, is_default=True)
        await store.close()

    asyncio.run(make())
    yield folder / "template.db"
    shutil.rmtree(folder)


@fuzz(30)
@given(case=exports())
@and_found_before
def test_a_broken_export_leaves_the_store_whole_and_the_feeds_valid(template: Path,
                                                                    case: Case) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "syndic.db"
        shutil.copy(template, db)
        asyncio.run(import_and_check(f"sqlite:///{db}", *case))


async def import_and_check(url: str, kind: ImportKind, data: bytes) -> None:
    store = await open_store(url)
    try:
        [site] = [await store.get_site(1)]
        clock = FakeClock(NOW)
        try:
            _, report = await run_import(store, site, CTX, file_source(kind, data, "export",
                                                                       include_pages=True),
                                         clock.now)
        except ImportFormatError:
            pass
        else:
            done = report.as_dict()
            accounted = (sum(done["posts"].values()) + sum(done["comments"].values())
                         + done["aliases"] + len(done["skipped"]))
            assert accounted == done["items"], done
        assert {r.state for r in await store.import_runs(site.id)} <= {"done", "failed"}
        await posts_have_their_labels(store, site, *read(kind, data)[:1])
        await threads_stay_on_their_post(store)
        await Publisher(store, InlineRenderer(FeedRenderer(10**7)), CTX, 500).regenerate_dirty(
            {site.id: site}, clock.now())
        for artifact in await store.load_artifacts():
            if artifact.format is FeedFormat.ATOM:
                assert_atom_valid(artifact.body)
    finally:
        await store.close()


async def posts_have_their_labels(store: Store, site: Site, items: list[ImportItem]) -> None:
    """Each stored post has the labels of an item of the export with its entry id."""
    wanted: dict[str, list[tuple[str, ...]]] = {}
    for item in items:
        if isinstance(item, ImportedPost):
            labels = tuple(dict.fromkeys(lb for lb in map(label_name, item.labels) if lb))
            wanted.setdefault(item.entry_id, []).append(labels)
    # list_posts leaves labels out: posts_by_entry_id reads them.
    entry_ids = [p.entry_id for p in await store.list_posts(site.id)]
    for post in (await store.posts_by_entry_id(site.id, entry_ids)).values():
        assert post.labels in wanted[post.entry_id], (post.entry_id, post.labels)


async def threads_stay_on_their_post(store: Store) -> None:
    c, p = t.comments.c, t.posts.c
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(c.id, c.post_id, c.parent_id))).all()
        posts = set((await conn.execute(select(p.id))).scalars())
    on = {row.id: row.post_id for row in rows}
    parent = {row.id: row.parent_id for row in rows}
    for row in rows:
        assert row.post_id in posts
        assert row.parent_id is None or on.get(row.parent_id) == row.post_id, row
        seen, at = set(), row.id
        while at is not None:
            assert at not in seen, f"comment {row.id}'s thread loops"
            seen.add(at)
            at = parent[at]
