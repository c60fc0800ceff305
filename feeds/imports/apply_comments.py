"""The comments of an import (feeds/imports/apply.py's Importer, whose rules they follow):
stored once their post (and the comment they answer) is, a batch at a time, each batch one
transaction tried again one comment at a time when it fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError

from feeds.feedset import FeedContext, touched_keys
from feeds.imports.items import ImportedComment
from feeds.imports.prepare import why_not
from feeds.imports.report import (
    CHANGED_IN_SYNDIC,
    DELETED_IN_SYNDIC,
    NO_IMPORT_RECORD,
    ImportReport,
    comment_post_skipped,
)
from feeds.models import Comment, CommentDraft, Post, Site
from feeds.posts import prepare_comment
from feeds.store import Store


class CommentImports:
    """Importer's comment steps; the state is the Importer's (declared here for the
    type checker)."""

    batch: int
    store: Store
    site: Site
    ctx: FeedContext
    now: datetime
    report: ImportReport
    _post_ids: dict[str, int]
    _skipped_posts: dict[str, str]
    _titles: dict[str, str]
    _comment_ids: dict[str, int | None]
    _comment_posts: dict[str, int]
    """source id -> the stored post its comment is on (a reply on another post answers its
    own post: feeds never thread across posts, and the store refuses it from the API)."""
    _pending: list[ImportedComment]
    _marked: set[str]
    _recent: dict[int, Post]

    async def _flush_comments(self, final: bool) -> None:
        """Store the pending comments whose post (and parent comment) is stored; at the end,
        report those whose post never came and untangle threads that loop."""
        while True:
            ready, waiting = [], []
            for c in self._pending:
                if (why := self._skipped_posts.get(c.post_source_id)) is not None:
                    self._skip(c, comment_post_skipped(why))
            self._pending = [c for c in self._pending
                             if c.post_source_id not in self._skipped_posts]
            pending_ids = {c.source_id for c in self._pending}
            for c in self._pending:
                if c.post_source_id not in self._post_ids or (
                        c.parent_source_id in pending_ids):
                    waiting.append(c)
                else:
                    ready.append(c)
            self._pending = waiting
            if final and waiting and not ready:
                # The export has ended: what still waits waits for a post that is not in
                # it, or for a comment of a loop. Each round frees at least one comment.
                self._pending = list(self._untangle(waiting))
                continue
            for start in range(0, len(ready), self.batch):
                await self._store_comments(ready[start:start + self.batch])
            if not ready:
                break

    def _untangle(self, waiting: list[ImportedComment]) -> Iterator[ImportedComment]:
        """At the export's end: the comments whose post never came are reported (their
        replies then answer the post); failing those, the first comment of a loop of
        replies answers the post, with a note."""
        if any(c.post_source_id not in self._post_ids for c in waiting):
            for c in waiting:
                if c.post_source_id in self._post_ids:
                    yield c
                else:
                    self._skip(c, "its post is not in the export")
            return
        # Every comment here answers another one here: following the answers from the
        # first must come round to a comment seen already, on the loop.
        by_source: dict[str, ImportedComment] = {}
        for c in waiting:
            by_source.setdefault(c.source_id, c)
        seen: list[str] = []
        at = waiting[0].source_id
        while at not in seen:
            seen.append(at)
            at = str(by_source[at].parent_source_id)
        loop = set(seen[seen.index(at):])
        first = next(c for c in waiting if c.source_id in loop)
        said = ("it answers itself" if first.parent_source_id == first.source_id else
                f"the comment it answers ({first.parent_source_id}) answers it in turn, a loop")
        self._note(first, f"{said}: it answers the post")
        for c in waiting:
            yield replace(c, parent_source_id=None) if c is first else c

    async def _store_comments(self, items: list[ImportedComment]) -> None:
        entry_ids = [c.entry_id for c in items]
        known = await self.store.comments_by_entry_id(self.site.id, entry_ids)
        gone = await self.store.deleted_comments(self.site.id, entry_ids)
        wanted = {self._post_ids[c.post_source_id] for c in items}
        posts = {i: self._recent[i] for i in wanted if i in self._recent}
        if len(posts) < len(wanted):
            posts.update(await self.store.posts_by_id(self.site.id, wanted - posts.keys()))
        todo: list[_CommentWrite] = []
        seen: set[str] = set()
        for c in items:
            if c.entry_id in seen:
                self._skip(c, f"the same comment again ({c.entry_id})")
                continue
            seen.add(c.entry_id)
            post = posts[self._post_ids[c.post_source_id]]
            parent = self._comment_ids.get(c.parent_source_id or "")
            if parent is not None and self._comment_posts.get(
                    c.parent_source_id or "") != post.id:
                self._note(c, f"the comment it answers ({c.parent_source_id}) is on another"
                           " post: it answers its post")
                parent = None
            if c.entry_id in gone:
                self._comment_ids[c.source_id] = parent  # its replies answer its parent
                self._comment_posts[c.source_id] = post.id
                self._skip(c, DELETED_IN_SYNDIC)
                continue
            draft = CommentDraft(c.author, c.content_html, c.published, c.status, parent)
            try:
                comment = prepare_comment(self.site, post.id, draft, c.entry_id, self.now)
            except Exception as exc:  # one bad comment must not sink its batch
                self._skip(c, why_not(exc))
                continue
            before = known.get(c.entry_id)
            if before is not None:
                self._comment_ids[c.source_id] = before.id
                self._comment_posts[c.source_id] = before.post_id
                if (before.status, before.content_html) == (comment.status.value,
                                                            comment.content_html):
                    self.report.comments_unchanged += 1
                    continue
                if not before.as_imported:
                    reason = NO_IMPORT_RECORD if before.as_imported is None else CHANGED_IN_SYNDIC
                    self._skip(c, reason)
                    continue
                comment = replace(comment, id=before.id)
            todo.append(_CommentWrite(c, comment, touched_keys(post, None, self.ctx)))
        if not todo:
            return
        try:
            await self._write_comments(todo)
        except (IntegrityError, DBAPIError):
            # As for posts: one bad comment must not sink its batch; find it one by one.
            for one in todo:
                try:
                    await self._write_comments([one])
                except (IntegrityError, DBAPIError) as exc:
                    self._skip(one.item, f"not stored: {exc.orig or exc}")

    def _skip(self, c: ImportedComment, reason: str) -> None:
        self.report.skip(*self._about(c, reason))

    def _note(self, c: ImportedComment, note: str) -> None:
        self.report.notes.append(self._about(c, note))

    def _about(self, c: ImportedComment, said: str) -> tuple[str, str, str]:
        """A report's line on a comment: where it is, its post's title, and what is said,
        naming the comment where its place does not (a WordPress item holds its post's
        comments: "comment 18: changed in syndic since import")."""
        return (c.where, self._titles.get(c.post_source_id, ""),
                f"{c.name}: {said}" if c.name else said)

    async def _write_comments(self, todo: list[_CommentWrite]) -> None:
        keys: set[str] = set()
        for w in todo:
            keys |= w.keys
        ids = (await self.store.write_batch(self.site.id, [], [], [w.comment for w in todo],
                                            keys - self._marked, self.now)).comments
        self._marked |= keys
        for w, comment_id in zip(todo, ids, strict=True):
            self._comment_ids[w.item.source_id] = comment_id
            self._comment_posts[w.item.source_id] = w.comment.post_id
            if w.comment.id:
                self.report.comments_updated += 1
            else:
                self.report.comments_added += 1


@dataclass(frozen=True, slots=True)
class _CommentWrite:
    item: ImportedComment
    comment: Comment
    keys: set[str]
