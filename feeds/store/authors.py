"""Each author of a post linked to one author of its site (feeds/authors.py says who is
who), in the write's transaction: an author met for the first time is kept, with the slug of
their feed, and the identifiers an author gives that their row lacks are added to it.

Two servers on one store may meet the same new author at once. Nothing is locked for it:
a new author's row goes in with ON CONFLICT DO NOTHING on (site, slug), and an identifier
is added only where the row still has none; when either finds the row taken meanwhile, the
authors of that name are read again (on PostgreSQL the insert waits for the other
transaction, and the read after it sees what that one committed) and the author chosen
again among them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from feeds.authors import KnownAuthor, choose, filled, name_key, slugs_for
from feeds.errors import ConflictError
from feeds.models import Author, Post
from feeds.query import slugify
from feeds.store import schema as t

TRIES = 8
"""Readings of an author's name before the write gives up: each one after the first follows
another writer's new row for that name (so: a name met by more writers at once than this)."""
CHUNK = 20
"""Slugs asked about at once when a new author's name is taken already."""


def link_authors(conn: Connection, posts: Sequence[Post]) -> list[Post]:
    """`posts` with each author's `feed`: the slug of the author of the post's site they are
    (made when new)."""
    wanted: dict[int, dict[Author, str]] = {}
    for post in posts:
        for author in post.authors:
            wanted.setdefault(post.site_id, {})[author] = ""
    for site_id, authors in wanted.items():
        book = _Book(conn, site_id, {name_key(a.name) for a in authors})
        for author in authors:
            authors[author] = book.slug(author)
    return [replace(p, authors=tuple(replace(a, feed=wanted[p.site_id][a]) for a in p.authors))
            if p.authors else p for p in posts]


def author_slug(conn: Connection, site_id: int, author: Author) -> str:
    """The slug of the author of the site `author` is (made when new)."""
    return _Book(conn, site_id, {name_key(author.name)}).slug(author)


class _Book:
    """The authors of one site that some names may be: read once, kept up to date as this
    transaction adds to them."""

    def __init__(self, conn: Connection, site_id: int, keys: Iterable[str]) -> None:
        self.conn, self.site_id = conn, site_id
        self.known = self._read(keys)

    def _read(self, keys: Iterable[str]) -> list[KnownAuthor]:
        a = t.authors.c
        rows = self.conn.execute(
            select(a.id, a.slug, a.name, a.uri, a.email, a.account)
            .where(a.site_id == self.site_id, a.name_key.in_(sorted(set(keys))))
            .order_by(a.id))
        return [KnownAuthor(**r._mapping) for r in rows]

    def slug(self, author: Author) -> str:
        for _ in range(TRIES):
            found = choose(self.known, author)
            if found is None:
                made = self._make(author)
                if made is not None:
                    self.known.append(made)
                    return made.slug
            elif not (more := filled(found, author)) or self._fill(found, more):
                return found.slug
            key = name_key(author.name)  # another writer's row: read that name again
            self.known = [k for k in self.known if name_key(k.name) != key] + self._read([key])
        raise ConflictError(f"not stored: the author {author.name!r} was being written by "
                            "others at the same time; try again")

    def _fill(self, found: KnownAuthor, more: dict[str, str]) -> bool:
        """Add identifiers to an author where they are still missing (else False)."""
        c = t.authors.c
        result = self.conn.execute(
            update(t.authors)
            .where(c.id == found.id, *(c[f].is_(None) for f in more))
            .values(**more))
        if result.rowcount != 1:
            return False
        self.known[self.known.index(found)] = replace(
            found, uri=more.get("uri", found.uri), email=more.get("email", found.email),
            account=more.get("account", found.account))
        return True

    def _make(self, author: Author) -> KnownAuthor | None:
        """A new author with the first free slug their name makes (None: another writer
        took it meanwhile)."""
        c = t.authors.c
        candidates = slugs_for(slugify(author.name))
        while True:
            chunk = [next(candidates) for _ in range(CHUNK)]
            taken = set(self.conn.execute(select(c.slug).where(
                c.site_id == self.site_id, c.slug.in_(chunk))).scalars())
            free = [s for s in chunk if s not in taken]
            if free:
                break
        row = {"site_id": self.site_id, "slug": free[0], "name": author.name,
               "name_key": name_key(author.name), "uri": author.uri, "email": author.email,
               "account": author.account}
        made = self.conn.execute(_insert_new(self.conn.dialect.name).values(**row)).first()
        if made is None:
            return None
        return KnownAuthor(made.id, free[0], author.name, author.uri, author.email,
                           author.account)


def _insert_new(dialect: str) -> Any:
    stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(t.authors)
    return stmt.on_conflict_do_nothing(index_elements=["site_id", "slug"]).returning(
        t.authors.c.id)
