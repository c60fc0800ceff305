"""Rendered artifacts, and the dirty-feed rows the regeneration job works from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from feeds.models import Artifact, Fanout, FeedFormat
from feeds.store import schema as t
from feeds.store.changes import Changes, lock_changes, log_changes
from feeds.store.outbox import enqueue
from feeds.store.writes import mark_dirty as mark_dirty_rows

# Columns of the artifact table besides the body: what an index of artifacts needs.
_META = (
    t.artifacts.c.site_id,
    t.artifacts.c.key,
    t.artifacts.c.format,
    t.artifacts.c.etag,
    t.artifacts.c.last_modified,
    t.artifacts.c.content_type,
    t.artifacts.c.self_url,
    t.artifacts.c.made_with,
)

_BODIES = (t.artifacts.c.body, t.artifacts.c.body_gzip, t.artifacts.c.body_br)


def _artifact(row: Any) -> Artifact:
    """An artifact from a row of _META columns, with or without the _BODIES columns."""
    m = row._mapping
    return Artifact(
        site_id=m["site_id"], key=m["key"], format=FeedFormat(m["format"]),
        body=m.get("body", b""), etag=m["etag"], last_modified=m["last_modified"],
        content_type=m["content_type"], self_url=m["self_url"],
        body_gzip=m.get("body_gzip", b""), body_br=m.get("body_br", b""),
        made_with=m["made_with"],
    )


def _replace_artifacts(dialect: str) -> Any:
    """An upsert of whole artifacts: one statement, where a delete then an insert freed
    each old body's overflow pages before writing the new ones (6.9 vs 12.9 ms of CPU for
    21 new bodies of 150 KB with 4 KiB pages, 3.8 vs 5.1 ms with 16 KiB: bench/sqlite_blobs.py)."""
    stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(t.artifacts)
    keys = {"site_id", "key", "format"}
    return stmt.on_conflict_do_update(
        index_elements=sorted(keys),
        set_={c.name: stmt.excluded[c.name] for c in t.artifacts.c if c.name not in keys})


class Artifacts(Changes):

    async def save_artifacts(
        self,
        artifacts: list[Artifact],
        now: datetime,
        done: tuple[int, int, list[str]] | None,
        gone: Sequence[str] = (),
        fanout: Fanout | None = None,
        restamp: Sequence[Artifact] = (),
    ) -> int:
        """Replace artifacts, drop those of feeds that are `gone` (of done's site), and clear
        the dirty rows they answer, in one transaction: done = (site, highest dirty id seen,
        keys). Rows marked later stay for the next run. With `fanout`, the deliveries the
        changed artifacts call for are written in the same transaction (the outbox).
        `restamp`: renderings whose bytes are stored, recorded as made with other settings:
        only their made_with changes (while those bytes are still the stored ones). Every
        feed stored, dropped or rendered is logged last (feed_changes: other servers load
        what changed). Returns how many deliveries were written or renewed.

        An artifact whose bytes are already the stored ones is left as stored, and calls for
        no delivery: another server stored this version first (both rendered the same
        change at once), and its subscribers were told then (exactly once, whichever server
        stores it; docs/design-notes.md). Compared under the log's lock, taken first: two
        servers' saves of one feed cannot both find the older bytes."""
        logged: list[int] = []

        def work(conn: Connection) -> int:
            enqueued = 0
            if artifacts or done is not None:
                lock_changes(conn)
            if gone and done is not None:
                conn.execute(delete(t.artifacts).where(
                    t.artifacts.c.site_id == done[0], t.artifacts.c.key.in_(list(gone))))
            changed = _changed(conn, artifacts)
            if changed:
                # One statement for all (executemany).
                conn.execute(_replace_artifacts(conn.dialect.name), [
                    {"site_id": a.site_id, "key": a.key, "format": a.format.value,
                     "body": a.body, "body_gzip": a.body_gzip, "body_br": a.body_br,
                     "etag": a.etag, "last_modified": a.last_modified,
                     "content_type": a.content_type, "self_url": a.self_url,
                     "rendered_at": now, "made_with": a.made_with}
                    for a in changed])
            if restamp:
                _restamp(conn, restamp)
            if fanout is not None:
                enqueued = enqueue(conn, changed, fanout, now)
            if done is not None:
                site_id, max_id, keys = done
                conn.execute(delete(t.dirty_feeds).where(
                    t.dirty_feeds.c.site_id == site_id, t.dirty_feeds.c.id <= max_id,
                    t.dirty_feeds.c.key.in_(keys)))
            feeds = {(a.site_id, a.key) for a in (*artifacts, *restamp)}
            if done is not None:
                feeds.update((done[0], k) for k in (*done[2], *gone))
            logged[:] = log_changes(conn, feeds, now)
            return enqueued

        # One hand-over for the whole transaction (StoreBase.write_through): through
        # aiosqlite it was a dozen, each waiting for a turn of the busy event loop while
        # holding the one writer.
        enqueued: int = await self.write_through(work)
        self._remember_own(logged)
        return enqueued

    async def save_compressed(self, artifacts: Sequence[Artifact]) -> None:
        """The gzip and br bodies of stored artifacts, made after them (regeneration stores
        the identity body first). An artifact replaced meanwhile (another ETag) is left."""
        if not artifacts:
            return
        a = t.artifacts.c
        statement = update(t.artifacts).where(
            a.site_id == bindparam("b_site"), a.key == bindparam("b_key"),
            a.format == bindparam("b_format"), a.etag == bindparam("b_etag"),
        ).values(body_gzip=bindparam("b_gzip"), body_br=bindparam("b_br"))
        async with self.writing() as conn:
            await conn.execute(statement, [
                {"b_site": x.site_id, "b_key": x.key, "b_format": x.format.value,
                 "b_etag": x.etag, "b_gzip": x.body_gzip, "b_br": x.body_br}
                for x in artifacts])

    async def load_artifacts(self, with_bodies: bool = True) -> list[Artifact]:
        cols = (*_META, *_BODIES) if with_bodies else _META
        async with self.engine.connect() as conn:
            return [_artifact(r) for r in await conn.execute(select(*cols))]

    async def iter_artifacts(self, page: int = 16) -> AsyncIterator[Artifact]:
        """Every artifact with its bodies, a page of rows at a time (keyset paging: the
        drivers' result streams were seen to buffer every row)."""
        c = t.artifacts.c
        order = (c.site_id, c.key, c.format)
        after: tuple[int, str, str] | None = None
        while True:
            query = select(*_META, *_BODIES).order_by(*order).limit(page)
            if after is not None:
                query = query.where(tuple_(*order) > tuple_(*after))
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query)).all()
            for r in rows:
                yield _artifact(r)
            if len(rows) < page:
                return
            last = rows[-1]
            after = (last.site_id, last.key, last.format)
            del rows

    async def artifact_keys(self, site_id: int) -> list[str]:
        """The keys of every feed of the site stored as an artifact, whatever stored it."""
        a = t.artifacts.c
        keys: list[str] = await self.reading(lambda conn: list(conn.execute(
            select(a.key).where(a.site_id == site_id).distinct().order_by(a.key)).scalars()))
        return keys

    async def artifact_bodies(
        self, site_id: int, key: str, fmt: FeedFormat, etag: str | None = None
    ) -> tuple[bytes, bytes, bytes] | None:
        """(identity, gzip, br) bodies of one artifact; with `etag`, of that version only
        (None when another one is stored)."""
        a = t.artifacts.c
        version = [a.etag == etag] if etag is not None else []

        def work(conn: Connection) -> tuple[bytes, bytes, bytes] | None:
            row = conn.execute(
                select(a.body, a.body_gzip, a.body_br).where(
                    a.site_id == site_id, a.key == key, a.format == fmt.value, *version)
            ).first()
            return None if row is None else (bytes(row[0]), bytes(row[1]), bytes(row[2]))

        bodies: tuple[bytes, bytes, bytes] | None = await self.reading(work)
        return bodies

    async def stored_artifacts(self, wanted: Sequence[tuple[int, str, FeedFormat]]
                               ) -> list[Artifact]:
        """The stored artifacts of `wanted` (site, key, format), bodies included (a few at
        a time: each is ~100 KB); those not stored are left out."""
        a = t.artifacts.c
        chosen = [(s, k, f.value) for s, k, f in wanted]
        rows = await self.reading(lambda conn: conn.execute(select(*_META, *_BODIES).where(
            tuple_(a.site_id, a.key, a.format).in_(chosen))).all())
        return [_artifact(r) for r in rows]

    async def dirty_feeds(
        self, held: frozenset[int] = frozenset(), only: Collection[str] = (),
        besides: Collection[str] = (),
    ) -> dict[int, tuple[int, list[str]]]:
        """dirty_rows() in one hand-over."""
        dirty: dict[int, tuple[int, list[str]]] = await self.reading(
            lambda conn: dirty_rows(conn, held, only, besides))
        return dirty

    async def mark_dirty(self, site_id: int, keys: list[str], now: datetime) -> None:
        await self.write_through(lambda conn: mark_dirty_rows(conn, site_id, keys, now))

    async def stored_value(self, name: str) -> str | None:
        """The store_values row `name` (None: none stored)."""
        query = select(t.store_values.c.value).where(t.store_values.c.name == name)
        value: str | None = await self.reading(lambda conn: conn.execute(query).scalar())
        return value

    async def store_value(self, name: str, value: str) -> None:
        """Set the store_values row `name` (made or replaced)."""

        def work(conn: Connection) -> None:
            conn.execute(delete(t.store_values).where(t.store_values.c.name == name))
            conn.execute(t.store_values.insert().values(name=name, value=value))

        await self.write_through(work)


def _changed(conn: Connection, artifacts: Sequence[Artifact]) -> list[Artifact]:
    """The artifacts whose bytes are not the stored ones (by ETag: the bytes' hash)."""
    if not artifacts:
        return []
    a = t.artifacts.c
    wanted = [(x.site_id, x.key, x.format.value) for x in artifacts]
    stored = {(r.site_id, r.key, r.format): r.etag for r in conn.execute(
        select(a.site_id, a.key, a.format, a.etag).where(
            tuple_(a.site_id, a.key, a.format).in_(wanted)))}
    return [x for x, ck in zip(artifacts, wanted, strict=True) if stored.get(ck) != x.etag]


def _restamp(conn: Connection, artifacts: Sequence[Artifact]) -> None:
    a = t.artifacts.c
    conn.execute(update(t.artifacts).where(
        a.site_id == bindparam("b_site"), a.key == bindparam("b_key"),
        a.format == bindparam("b_format"), a.etag == bindparam("b_etag"),
    ).values(made_with=bindparam("b_made_with")), [
        {"b_site": x.site_id, "b_key": x.key, "b_format": x.format.value, "b_etag": x.etag,
         "b_made_with": x.made_with} for x in artifacts])


def dirty_rows(conn: Connection, held: frozenset[int] = frozenset(), only: Collection[str] = (),
               besides: Collection[str] = ()) -> dict[int, tuple[int, list[str]]]:
    """Per site: (highest dirty row id, the distinct keys marked). Sites in `held` (an
    import is writing them) are left out; with `only`, just those keys; keys in `besides`
    are left out. (The site-feeds job polls four times a second: after a large import it
    read 13,000 rows each time to keep three.)"""
    d = t.dirty_feeds.c
    query = select(d.id, d.site_id, d.key)
    if held:
        query = query.where(d.site_id.not_in(held))
    if only:
        query = query.where(d.key.in_(sorted(only)))
    if besides:
        query = query.where(d.key.not_in(sorted(besides)))
    tops: dict[int, int] = {}
    keys: dict[int, dict[str, None]] = {}
    for row_id, site_id, key in conn.execute(query.order_by(d.id)):
        keys.setdefault(site_id, {})[key] = None
        tops[site_id] = max(tops.get(site_id, 0), row_id)
    return {site_id: (tops[site_id], list(ks)) for site_id, ks in keys.items()}
