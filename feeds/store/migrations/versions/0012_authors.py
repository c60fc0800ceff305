"""authors: each site's authors told apart (feeds/authors.py), each with the slug of their
feed, given once and never moved; post_authors.slug is now that slug.

Before this revision an author's feed was the slug of their name, so two authors whose names
make one slug ("José Núñez" and "Jose Nunez"), or two of one name with other addresses,
shared one feed. Here the authors a site's posts name are met in the order of the posts'
ids and told apart as a write tells them apart (feeds.authors.choose), and also by the slug
their posts were stored under (a name that an older version slugified otherwise keeps that
feed too). Every slug a feed is served under stays, given to the author whose posts it
showed first (one with a published or scheduled post before one with only drafts and
deleted posts); the others of that slug get the first free "-2", "-3", and their feeds are
marked dirty with the one they leave. A reader of a shared feed keeps the author it showed
first; the others' posts move to feeds of their own.

Revision ID: 0012
"""

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from feeds.authors import KnownAuthor, choose, filled, name_key, slugs_for
from feeds.feedset import author_key
from feeds.models import Author
from feeds.query import slugify
from feeds.store.schema import metadata

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "authors"
SHOWN = ("published", "scheduled")


@dataclass(slots=True)
class _Met:
    known: KnownAuthor
    stored: str
    """The slug the author's first post was stored under."""
    shown: bool = False
    """Whether a post of theirs is published or scheduled."""


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, tables=[metadata.tables[TABLE]])  # if not there yet
    t = metadata.tables
    if bind.execute(sa.select(sa.func.count()).select_from(t[TABLE])).scalar_one():
        return  # kept already
    sites = bind.execute(sa.select(t["sites"].c.id).order_by(t["sites"].c.id)).scalars().all()
    for site_id in sites:
        _keep(bind, site_id)


def _keep(conn: Connection, site_id: int) -> None:
    t = metadata.tables
    p, pa = t["posts"].c, t["post_authors"].c
    stored: dict[int, dict[int, tuple[str, str]]] = {}
    for r in conn.execute(sa.select(pa.post_id, pa.position, pa.slug, pa.name)
                          .join(t["posts"], p.id == pa.post_id).where(p.site_id == site_id)):
        stored.setdefault(r.post_id, {})[r.position] = (r.slug, r.name)
    if not stored:
        return
    met: list[_Met] = []
    groups: dict[tuple[str, str], list[int]] = {}
    links: list[tuple[int, int, str, int]] = []  # post, position, stored slug, author
    for post in conn.execute(sa.select(p.id, p.status, p.authors_json)
                             .where(p.site_id == site_id).order_by(p.id)).all():
        given = json.loads(post.authors_json)
        for position, (slug, name) in sorted(stored.get(post.id, {}).items()):
            a = given[position] if position < len(given) else {"name": name}
            author = Author(a["name"], a.get("uri"), a.get("email"), a.get("account"))
            group = groups.setdefault((name_key(author.name), slug), [])
            found = choose([met[i].known for i in group], author)
            if found is None:
                n = len(met)
                met.append(_Met(KnownAuthor(n + 1, slug, author.name, author.uri,
                                            author.email, author.account), slug))
                group.append(n)
            else:
                n = found.id - 1
                more = filled(found, author)
                met[n].known = replace(found, uri=more.get("uri", found.uri),
                                       email=more.get("email", found.email),
                                       account=more.get("account", found.account))
            met[n].shown |= post.status in SHOWN
            links.append((post.id, position, slug, n))
    slugs = _slugs(met)
    conn.execute(sa.insert(t[TABLE]), [
        {"site_id": site_id, "slug": slugs[n], "name": m.known.name,
         "name_key": name_key(m.known.name), "uri": m.known.uri, "email": m.known.email,
         "account": m.known.account} for n, m in enumerate(met)])  # in order: ids by age
    moved = [(post_id, position, slug, slugs[n]) for post_id, position, slug, n in links
             if slugs[n] != slug]
    if moved:
        conn.execute(
            sa.update(t["post_authors"]).where(pa.post_id == sa.bindparam("b_post"),
                                              pa.position == sa.bindparam("b_position"))
            .values(slug=sa.bindparam("b_slug")),
            [{"b_post": i, "b_position": at, "b_slug": new} for i, at, _, new in moved])
        now = datetime.now(UTC)
        keys = sorted({author_key(s) for _, _, old, new in moved for s in (old, new)})
        conn.execute(sa.insert(t["dirty_feeds"]),
                     [{"site_id": site_id, "key": k, "marked_at": now} for k in keys])


def _slugs(met: list[_Met]) -> list[str]:
    """Each author's slug: the slug a feed was served under goes to the first author it
    showed, the others of it get the first one free."""
    first: dict[str, int] = {}
    for n in sorted(range(len(met)), key=lambda n: (not met[n].shown, n)):
        first.setdefault(met[n].stored, n)
    taken = set(first)
    slugs = []
    for n, m in enumerate(met):
        if first[m.stored] == n:
            slugs.append(m.stored)
            continue
        slug = next(s for s in slugs_for(m.stored) if s not in taken)
        taken.add(slug)
        slugs.append(slug)
    return slugs


def downgrade() -> None:
    # Revision 0009's code finds an author's feed by the slug of their name.
    bind = op.get_bind()
    pa = metadata.tables["post_authors"].c
    rows = bind.execute(sa.select(pa.post_id, pa.position, pa.slug, pa.name)).all()
    back = [{"b_post": r.post_id, "b_position": r.position, "b_slug": slugify(r.name)}
            for r in rows if slugify(r.name) != r.slug]
    if back:
        bind.execute(
            sa.update(metadata.tables["post_authors"])
            .where(pa.post_id == sa.bindparam("b_post"), pa.position == sa.bindparam("b_position"))
            .values(slug=sa.bindparam("b_slug")), back)
    metadata.drop_all(bind, tables=[metadata.tables[TABLE]])
