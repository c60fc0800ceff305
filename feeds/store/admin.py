"""What the admin API and the command line need beyond feeds: sites changed and removed,
posts and comments listed a page at a time, comments moderated, API tokens, idempotency
keys, URL aliases of imported blogs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from feeds.content import clean_text
from feeds.errors import InvalidInputError, NotFoundError, StaleWriteError
from feeds.models import Comment, CommentStatus, Post, PostKind, PostStatus, Site
from feeds.posts import label_name
from feeds.store import schema as t
from feeds.store.engine import StoreBase
from feeds.store.label_moves import follow_label
from feeds.store.new_posts import Idempotency
from feeds.store.reads import complete_posts
from feeds.store.rows import comment_from_row, site_from_row
from feeds.store.site_moves import carry_site_change, plan_summaries
from feeds.store.writes import (
    host_taken,
    is_row_id,
    mark_dirty,
    refuse_link_clash,
    save_aliases_in,
    site_row_for_update,
)

SITE_FIELDS = ("host", "title", "subtitle", "base_url", "timezone", "language", "default_feed",
               "summary_length", "wordpress_urls")


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    request_hash: str
    resource: str
    resource_id: int | None
    response: str | None


@dataclass(frozen=True, slots=True)
class SourceState:
    """What a scheduled source answered last (for conditional GET) and when."""

    name: str
    etag: str | None
    last_modified: str | None
    checked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    name: str
    created: datetime


class Admin(StoreBase):

    # -- sites -----------------------------------------------------------------------

    async def get_site(self, site_id: int) -> Site:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.sites).where(t.sites.c.id == site_id))).first()
        if row is None:
            raise NotFoundError("site", str(site_id))
        return site_from_row(row._mapping)

    async def update_site(self, site_id: int, changes: Mapping[str, Any], *,
                          replaces: Site | None = None) -> Site:
        """Store `changes`. `replaces`: the site as it was read when the change was made;
        unless the stored row still is that, nothing is written and StaleWriteError says so
        (two admins changing the site at once cannot undo each other: If-Match)."""
        unknown = set(changes) - set(SITE_FIELDS)
        if unknown:
            raise InvalidInputError(sorted(unknown)[0], "not a field of a site")
        current = await self.get_site(site_id)
        plan = None
        if changes.get("summary_length", current.summary_length) != current.summary_length:
            plan = await plan_summaries(self.engine, site_id, current.summary_length,
                                        changes["summary_length"])
        try:
            async with self.writing() as conn:
                if "host" in changes and await host_taken(conn, changes["host"], site_id):
                    raise InvalidInputError("host", "another site has it")
                if "host" in changes or "base_url" in changes:
                    await refuse_link_clash(conn, site_id, dict(changes))
                if changes or replaces is not None:
                    before = await site_row_for_update(conn, site_id)
                    result = await conn.execute(
                        update(t.sites).where(*_site_still(site_id, replaces))
                        .values(**(changes or {"id": site_id})))
                    if replaces is not None and result.rowcount != 1:
                        raise StaleWriteError("site")
                    after = await site_row_for_update(conn, site_id)
                    await carry_site_change(conn, before, after, plan)
        except IntegrityError:
            raise InvalidInputError("host", "another site has it") from None
        return await self.get_site(site_id)

    async def delete_site(self, site_id: int, *, replaces: Site | None = None) -> None:
        """Remove the site and everything in it; with `replaces`, only while the stored row
        is still that (else StaleWriteError, nothing removed)."""
        site = await self.get_site(site_id)
        if site.is_default:
            raise InvalidInputError("site", "the default site cannot be deleted")
        async with self.writing() as conn:
            result = await conn.execute(delete(t.sites).where(*_site_still(site_id, replaces)))
            if replaces is not None and result.rowcount != 1:
                raise StaleWriteError("site")

    # -- posts and labels ------------------------------------------------------------

    async def page_posts(
        self, site_id: int, limit: int, offset: int, status: PostStatus | None = None,
        label: str | None = None, kind: PostKind | None = None,
    ) -> tuple[int, list[Post]]:
        """A page of the site's posts (`kind`: only posts, or only pages), newest first;
        deleted ones only when asked for."""
        p = t.posts.c
        ids = select(p.id).where(p.site_id == site_id)
        if kind is not None:
            ids = ids.where(p.kind == kind.value)
        ids = ids.where(p.status == status.value) if status else ids.where(
            p.status != PostStatus.DELETED.value)
        if label is not None:  # as posts carry it: "été" typed either way (NFC)
            ids = ids.where(p.id.in_(select(t.post_labels.c.post_id).where(
                t.post_labels.c.label == label_name(label))))
        async with self.engine.connect() as conn:
            total = (await conn.execute(
                select(func.count()).select_from(ids.subquery()))).scalar_one()
            rows = await conn.execute(select(t.posts).where(p.id.in_(ids))
                                      .order_by(p.published.desc(), p.id.desc())
                                      .limit(limit).offset(offset))
            return total, await conn.run_sync(complete_posts, [r._mapping for r in rows])

    async def label_counts(self, site_id: int) -> list[tuple[str, int]]:
        """Every label of a post that is not deleted (drafts too), with its post count."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.post_labels.c.label, func.count())
                .join(t.posts, t.posts.c.id == t.post_labels.c.post_id)
                .where(t.posts.c.site_id == site_id,
                       t.posts.c.status != PostStatus.DELETED.value)
                .group_by(t.post_labels.c.label).order_by(t.post_labels.c.label))
            return [(r[0], r[1]) for r in rows]

    # -- comments --------------------------------------------------------------------

    async def get_comment(self, site_id: int, comment_id: int) -> Comment:
        if not is_row_id(comment_id):
            raise NotFoundError("comment", str(comment_id))
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.comments).where(
                t.comments.c.site_id == site_id, t.comments.c.id == comment_id))).first()
        if row is None:
            raise NotFoundError("comment", str(comment_id))
        return comment_from_row(row._mapping)

    async def page_comments(
        self, site_id: int, limit: int, offset: int, status: CommentStatus | None = None,
        post_id: int | None = None,
    ) -> tuple[int, list[Comment]]:
        c = t.comments.c
        cond = [c.site_id == site_id, _post_kept(site_id)]
        if status is not None:
            cond.append(c.status == status.value)
        if post_id is not None:
            cond.append(c.post_id == post_id)
        async with self.engine.connect() as conn:
            total = (await conn.execute(
                select(func.count()).select_from(t.comments).where(*cond))).scalar_one()
            rows = await conn.execute(select(t.comments).where(*cond)
                                      .order_by(c.published.desc(), c.id.desc())
                                      .limit(limit).offset(offset))
            return total, [comment_from_row(r._mapping) for r in rows]

    async def update_comment(self, comment: Comment, dirty_keys: Iterable[str],
                             now: datetime, *, replaces: Comment | None = None) -> Comment:
        """Store `comment`'s fields. `replaces`: the comment as it was read when the change
        was made; unless the stored row still is that, nothing is written and
        StaleWriteError says so (a moderation and an edit at the same moment cannot undo
        each other). Comments carry no version: the fields read are the condition."""
        async with self.writing() as conn:
            result = await conn.execute(
                update(t.comments).where(*_still(comment.id, replaces)).values(
                    author_name=comment.author.name, author_uri=comment.author.uri,
                    author_email=comment.author.email, content_html=comment.content_html,
                    status=comment.status.value, published=comment.published,
                    updated=comment.updated))
            if replaces is not None and result.rowcount != 1:
                raise StaleWriteError("comment")
            await conn.run_sync(mark_dirty, comment.site_id, dirty_keys, now)
        return await self.get_comment(comment.site_id, comment.id)

    async def delete_comment(self, comment: Comment, dirty_keys: Iterable[str],
                             now: datetime, *, as_read: bool = False) -> None:
        """Remove the comment, and keep its entry id as a tombstone: a re-import of the
        blog's export does not bring it back (feeds/imports/apply.py). `as_read`: only
        while the stored row is still `comment` (else StaleWriteError, nothing removed)."""
        d = t.comment_tombstones.c
        async with self.writing() as conn:
            # FOR UPDATE: on PostgreSQL the row stays as checked until the commit (SQLite
            # has one writer, and the clause is left out there).
            if as_read and (await conn.execute(select(t.comments.c.id).where(
                    *_still(comment.id, comment)).with_for_update())).first() is None:
                raise StaleWriteError("comment")
            # Its replies now answer what it answered (threads stay whole).
            await conn.execute(update(t.comments).where(t.comments.c.parent_id == comment.id)
                               .values(parent_id=comment.parent_id))
            await conn.execute(delete(t.comments).where(t.comments.c.id == comment.id))
            await conn.execute(delete(t.comment_tombstones).where(
                d.site_id == comment.site_id, d.entry_id == comment.entry_id))
            await conn.execute(insert(t.comment_tombstones).values(
                site_id=comment.site_id, entry_id=comment.entry_id, deleted_at=now))
            await conn.run_sync(mark_dirty, comment.site_id, dirty_keys, now)

    # -- API tokens ------------------------------------------------------------------

    async def create_token(self, name: str, token_hash: str, now: datetime) -> ApiToken:
        """A new token named `name`: one line of text, not a number (`syndic token revoke
        REF` takes an id or a name) and no other token's name."""
        if not name or clean_text(name) != name:
            raise InvalidInputError("name", "must be one line of text, without control "
                                    "characters, runs of spaces or spaces at its ends")
        if name.isascii() and name.isdigit():
            raise InvalidInputError("name", "must not be a number (ids are numbers)")
        async with self.writing() as conn:
            if (await conn.execute(select(t.api_tokens.c.id).where(
                    t.api_tokens.c.name == name))).first() is not None:
                raise InvalidInputError("name", f"another token is named {name!r}")
            result = await conn.execute(insert(t.api_tokens).values(
                name=name, token_hash=token_hash, created=now))
            assert result.inserted_primary_key is not None
            return ApiToken(int(result.inserted_primary_key[0]), name, now)

    async def tokens(self) -> list[ApiToken]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.api_tokens).order_by(t.api_tokens.c.id))
            return [ApiToken(r.id, r.name, r.created) for r in rows]

    async def revoke_token(self, ref: str) -> int:
        """Remove the token with id `ref`, else the tokens named `ref` (never both: a token
        named "6", made before names could not be numbers, is not revoked with token 6);
        how many were removed."""
        by_name = delete(t.api_tokens).where(t.api_tokens.c.name == ref)
        async with self.writing() as conn:
            if ref.isascii() and ref.isdigit() and len(ref) <= 18:
                by_id = delete(t.api_tokens).where(t.api_tokens.c.id == int(ref))
                if removed := (await conn.execute(by_id)).rowcount:
                    return int(removed)
            return int((await conn.execute(by_name)).rowcount)

    async def has_token(self, token_hash: str) -> bool:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.api_tokens.c.id).where(
                t.api_tokens.c.token_hash == token_hash))).first()
            return row is not None

    # -- idempotency keys ------------------------------------------------------------

    async def idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        k = t.idempotency_keys.c
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.idempotency_keys).where(
                k.scope == scope, k.key == key))).first()
        if row is None:
            return None
        return IdempotencyRecord(row.request_hash, row.resource, row.resource_id, row.response)

    async def save_response(self, idem: Idempotency, response: str, now: datetime) -> None:
        """Keep a whole response (bulk creates); a concurrent duplicate keeps the first."""
        try:
            async with self.writing() as conn:
                await conn.execute(insert(t.idempotency_keys).values(
                    scope=idem.scope, key=idem.key, request_hash=idem.request_hash,
                    resource=idem.resource, response=response, created=now))
        except IntegrityError:
            pass

    async def forget_keys_before(self, cutoff: datetime) -> int:
        async with self.writing() as conn:
            return (await conn.execute(delete(t.idempotency_keys).where(
                t.idempotency_keys.c.created < cutoff))).rowcount

    # -- URL aliases -----------------------------------------------------------------

    async def save_aliases(self, site_id: int, aliases: Mapping[str, str]) -> None:
        if not aliases:
            return
        async with self.writing() as conn:
            await conn.run_sync(save_aliases_in, site_id, aliases)

    async def move_label_aliases(self, site_id: int, old: str, new: str | None,
                                 now: datetime) -> int:
        """A label renamed (or merged) from `old` to `new`: its feed URLs, and those of the
        names it had before, lead to `new`'s ("label:NAME" -> the name now), and the WebSub
        subscriptions to its feeds follow, in the same transaction (label_moves.py; returns
        how many); `new` None (the label taken off every post): they lead nowhere."""
        a = t.url_aliases.c
        async with self.writing() as conn:
            await conn.execute(delete(t.url_aliases).where(
                a.site_id == site_id, a.path.in_([f"label:{old}", f"label:{new}"])))
            earlier = (a.site_id == site_id) & a.path.startswith("label:") & (a.target == old)
            if new is None:
                await conn.execute(delete(t.url_aliases).where(earlier))
                return 0
            await conn.execute(update(t.url_aliases).where(earlier).values(target=new))
            await conn.execute(insert(t.url_aliases).values(
                site_id=site_id, path=f"label:{old}", target=new))
            return await follow_label(conn, site_id, old, new, now)

    async def alias_target(self, site_id: int, path: str) -> str | None:
        return await self.first_alias_target(site_id, (path,))

    async def first_alias_target(self, site_id: int, paths: Sequence[str]) -> str | None:
        """The target of the first of `paths` recorded, in one query (an old URL may be
        recorded in one of several forms)."""
        if not paths:
            return None
        a = t.url_aliases.c
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(a.path, a.target).where(
                a.site_id == site_id, a.path.in_(list(paths))))).all()
        found = {str(path): str(target) for path, target in rows}
        return next((found[p] for p in paths if p in found), None)

    # -- scheduled sources -----------------------------------------------------------

    async def claim_source(self, name: str, now: datetime, next_check_at: datetime
                           ) -> SourceState | None:
        """The source's state if it is due (claimed: its next check moves to
        next_check_at, so another instance skips it), else None."""
        s = t.source_state.c
        async with self.writing() as conn:
            row = (await conn.execute(select(t.source_state).where(s.name == name))).first()
            if row is None:
                await conn.execute(insert(t.source_state).values(
                    name=name, next_check_at=next_check_at))
                return SourceState(name, None, None, None)
            claimed = await conn.execute(update(t.source_state).where(
                s.name == name, s.next_check_at <= now).values(next_check_at=next_check_at))
            if claimed.rowcount != 1:
                return None
            return SourceState(name, row.etag, row.last_modified, row.checked_at)

    async def save_source(self, state: SourceState, error: str | None) -> None:
        async with self.writing() as conn:
            await conn.execute(update(t.source_state).where(
                t.source_state.c.name == state.name).values(
                etag=state.etag, last_modified=state.last_modified,
                checked_at=state.checked_at, last_error=error))


def _still(comment_id: int, read: Comment | None) -> list[ColumnElement[bool]]:
    """The row of `comment_id`, and, when `read` is given, only while its fields are what
    was read (NULLs compared as values: IS on SQLite, IS NOT DISTINCT FROM on PostgreSQL)."""
    c = t.comments.c
    where = [c.id == comment_id]
    if read is not None:
        where += [c.author_name == read.author.name,
                  c.author_uri.is_not_distinct_from(read.author.uri),
                  c.author_email.is_not_distinct_from(read.author.email),
                  c.content_html == read.content_html, c.status == read.status.value,
                  c.published == read.published, c.updated == read.updated,
                  c.parent_id.is_not_distinct_from(read.parent_id)]
    return where


def _site_still(site_id: int, read: Site | None) -> list[ColumnElement[bool]]:
    """The row of `site_id`, and, when `read` is given, only while every field the API
    shows is what was read (the fields are NOT NULL: plain equality)."""
    c = t.sites.c
    where = [c.id == site_id]
    if read is not None:
        where += [c.host == read.host, c.title == read.title, c.subtitle == read.subtitle,
                  c.base_url == read.base_url, c.timezone == read.timezone,
                  c.language == read.language, c.default_feed == read.default_feed.value,
                  c.summary_length == read.summary_length,
                  c.wordpress_urls == read.wordpress_urls, c.is_default == read.is_default]
    return where


def _post_kept(site_id: int) -> Any:
    """A comment's post is not deleted: the comments of a deleted post (which stays deleted)
    can never be shown again, so they leave the moderation queue and the lists. Each is still
    found by its id (GET, DELETE: a commenter may ask for theirs to go)."""
    p = t.posts.c
    return t.comments.c.post_id.in_(
        select(p.id).where(p.site_id == site_id, p.status != PostStatus.DELETED.value))
