"""Import items stored a batch at a time, idempotently.

A re-import never undoes what was done in syndic. A post or comment is known by its entry
id, and an item of the export is compared with what is stored under it:

- the same as the import would write it: unchanged, nothing is written. So a re-import of
  an unchanged export changes nothing (no version, no dirty feed, no skip it had not before);
- deleted in syndic (a post with status deleted, a comment's tombstone): skipped, "deleted
  in syndic: an import does not bring it back"; a reply to a deleted comment answers what
  that comment answered, as syndic's delete made it do;
- different, and the stored item is as an import last wrote it (its digest, see
  feeds/store/imports.py): the export changed and syndic did not, so it is updated;
- different, and the stored item was changed in syndic since an import wrote it (a post
  edited, a comment moderated or edited): skipped, "changed in syndic since import".
  Syndic's version is kept whatever the export says; a post kept so still takes its
  comments;
- different, with no import record (stored before revision 0005, or made in syndic): a
  post is updated, as before 0005 (feed and folder sources and bulk creates update the
  posts they find by entry id, and would otherwise never update those stored before it);
  a comment is kept (skipped, "no import record: syndic's version is kept"): comments
  come only from blog exports, and a moderation must not be undone;
- a feed import (`imported_by` "feed") changes only the posts a feed import made (or one
  before revision 0014): another's is skipped, "made by a wordpress import: a feed import
  does not change it" (docs/design-notes.md).

- One bad item never sinks its batch nor the import: each post is prepared on its own (an
  exception makes that post a reason, feeds/imports/prepare.py), and each batch is one
  transaction (all of a post or none of it) that, when it fails, is tried again one item
  at a time, for posts and comments alike. An entry id twice in one batch of comments keeps
  the first (the second is reported); posts find theirs in the one-by-one writes.
- The feeds a batch touches are marked dirty in its transaction, once per import; the import
  run holds the site's regeneration until it ends (store.held_sites), so each feed renders
  once after the import instead of once per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, IntegrityError

from feeds.feedset import FeedContext, touched_keys
from feeds.imports.apply_comments import CommentImports
from feeds.imports.items import (
    ImportedComment,
    ImportedPost,
    ImportItem,
    LabelAlias,
    Note,
    Skipped,
)
from feeds.imports.legacy_urls import alias_author, alias_paths
from feeds.imports.links import web_address, web_addresses
from feeds.imports.prepare import Prepared, Preparer, prepare_many, why_not
from feeds.imports.reader import BatchReader, ThreadReader
from feeds.imports.report import (
    CHANGED_IN_SYNDIC,
    DELETED_IN_SYNDIC,
    FEEDS_OWN,
    embeds_linked,
    not_a_feeds,
    size_notes,
)
from feeds.imports.report import ImportReport as ImportReport  # where callers import it from
from feeds.models import Post, PostDraft, PostKind, PostStatus, Site
from feeds.posts import MAX_SLUG, prepare_post
from feeds.store import Store

BATCH = 500
HEARTBEAT_EVERY = timedelta(seconds=2)
"""How often a run's heartbeat (and its report so far) is written: well within the 30 s after
which a silent run holds its site no longer (server/jobs.IMPORT_HOLD)."""


def _same(a: Post, b: Post) -> bool:
    return (a.title, a.summary, a.content_html, a.status, a.published, a.updated, a.labels,
            a.authors, a.enclosures, a.slug, a.kind) == (
        b.title, b.summary, b.content_html, b.status, b.published, b.updated, b.labels,
        b.authors, b.enclosures, b.slug, b.kind)


@dataclass(slots=True)
class _Staged:
    """A batch whose posts are being prepared: each with the post it replaces (None: new),
    the posts looked up by entry id, and how many posts had been written at that moment."""

    todo: list[tuple[ImportedPost, Post | None]]
    known: dict[str, Post]
    prepared: asyncio.Future[list[Prepared]]
    written_before: int


class Importer(CommentImports):
    """One import into one site. `items` is pulled a batch at a time in a worker thread
    (parsing and sanitising are CPU work) and stored with `store`."""

    def __init__(self, store: Store, site: Site, ctx: FeedContext, now: datetime,
                 progress: Callable[[ImportReport], None] | None = None,
                 batch: int = BATCH, workers: int = 0, imported_by: str | None = None) -> None:
        self.batch = batch
        self.imported_by = imported_by
        """The import's kind (feed, wordpress, ...): kept with the posts it makes. A feed
        import changes no other post (report.FEEDS_OWN)."""
        self.workers = workers
        """Processes preparing posts (feeds/imports/prepare.py); 0: one thread."""
        self._preparer = Preparer(0)
        self._written: list[str] = []
        """Entry ids of the posts written, in order (see _store_posts)."""
        self.store, self.site, self.ctx, self.now = store, site, ctx, now
        self.progress = progress
        self.report = ImportReport()
        self._post_ids: dict[str, int] = {}
        """source id -> stored post id, for comments."""
        self._skipped_posts: dict[str, str] = {}
        """source id -> why the post was not stored (its comments say it)."""
        self._titles: dict[str, str] = {}
        """source id -> the post's title, for the report's lines on its comments."""
        self._comment_ids: dict[str, int | None] = {}
        """source id -> stored comment id (None: a reply to it answers the post)."""
        self._comment_posts: dict[str, int] = {}
        self._pending: list[ImportedComment] = []
        self._marked: set[str] = set()
        self._recent: dict[int, Post] = {}
        """The posts of the last batches written, by id: their comments (which follow them
        in an export) need their labels and authors, without reading them back."""
        self._aliases: dict[str, str] = {}
        self._kind_changed: dict[int, Post] = {}
        """A post as stored, when the export changes its kind (by id): the feeds it leaves."""
        self.outcomes: dict[str, tuple[str, int]] = {}
        """source id -> (added, updated or unchanged; the post's id)."""
        self._beaten: datetime | None = None
        """When the run's heartbeat (and its report so far) was last written."""

    async def run(self, items: Iterator[ImportItem] | BatchReader, run_id: int | None = None,
                  clock: Callable[[], datetime] | None = None) -> ImportReport:
        """Store every item (from an iterator, read in a thread, or a reader of batches);
        with `run_id`, beat the run's heartbeat (at `clock`'s time) after each batch, so the
        run keeps holding the site's regeneration."""
        reader = ThreadReader(items, self.batch) if isinstance(items, Iterator) else items
        try:
            with Preparer(self.workers) as self._preparer:
                await self._pipeline(reader, run_id, clock)
        finally:
            reader.close()
        await self._finish()
        return self.report

    async def _pipeline(self, reader: BatchReader, run_id: int | None,
                        clock: Callable[[], datetime] | None) -> None:
        """Batch N+2 is parsed and N+1's posts prepared while N is written."""
        staged: _Staged | None = None
        while True:
            chunk, broken = await reader.next_batch()
            following = await self._stage(chunk) if chunk else None
            if staged is not None:
                await self._complete(staged, run_id, clock)
            staged = following
            if broken is not None:
                # The file breaks off here: what came before it is stored whole, then
                # the error goes to the caller.
                if staged is not None:
                    await self._complete(staged, run_id, clock)
                await self._finish()
                raise broken
            if not chunk:
                return

    async def _finish(self) -> None:
        await self._flush_comments(final=True)
        if self._aliases:
            await self.store.save_aliases(self.site.id, self._aliases)
        self.report.in_file_order()

    async def _stage(self, chunk: list[ImportItem]) -> _Staged:
        """Sort a batch's items, and start preparing its posts (in the workers)."""
        posts: list[ImportedPost] = []
        for item in chunk:
            if isinstance(item, Note):  # about the item beside it, not an item
                self.report.notes.append((item.where, item.title, item.note))
                continue
            self.report.items += 1
            if isinstance(item, Skipped):
                self.report.skip(item.where, item.title, item.reason)
                if item.source_id:
                    self._skipped_posts[item.source_id] = item.reason
                    self._titles[item.source_id] = item.title
            elif isinstance(item, ImportedPost):
                posts.append(web_addresses(item, self.report.notes))
                self._titles[item.source_id] = item.title
            elif isinstance(item, ImportedComment):
                self._pending.append(web_address(item, self.report.notes))
            elif isinstance(item, LabelAlias):
                # A WordPress user's old URLs lead to their feed: the store says which (and
                # keeps them as an author now, before their posts, in the export's order).
                author = None if item.kind != "author" else await self.store.author_slug(
                    self.site.id, alias_author(item))
                self._aliases.update(alias_paths(item, author=author))
                self.report.aliases += 1
        known = await self.store.posts_by_entry_id(self.site.id, [i.entry_id for i in posts])
        todo = []
        for item in posts:
            before = known.get(item.entry_id)
            if before is not None and before.status is PostStatus.DELETED:
                self._skip_post(item, DELETED_IN_SYNDIC)
                continue
            todo.append((item, before))
        prepared = asyncio.ensure_future(self._preparer.prepare(
            self.site, self.now, [(self._draft(item, before), before) for item, before in todo]))
        return _Staged(todo, known, prepared, len(self._written))

    async def _complete(self, staged: _Staged, run_id: int | None,
                        clock: Callable[[], datetime] | None) -> None:
        """Store a staged batch's posts, then the comments now ready; beat the heartbeat."""
        if staged.todo:
            await self._store_posts(staged)
        await self._flush_comments(final=False)
        if run_id is not None:
            beat = clock() if clock else self.now
            if self._beaten is None or beat - self._beaten >= HEARTBEAT_EVERY:
                # The report grows with every item skipped: written at every batch, it
                # cost an import of 100,000 posts a second of its time.
                await self.store.import_heartbeat(run_id, self.report.as_dict(), beat)
                self._beaten = beat
        if self.progress:
            self.progress(self.report)

    # -- posts -----------------------------------------------------------------------

    async def _store_posts(self, staged: _Staged) -> None:
        done = await staged.prepared
        known = staged.known
        # An entry written since this batch looked its posts up (an export holding one
        # entry twice, a batch apart) is prepared again as the update it now is.
        since = set(self._written[staged.written_before:])
        again = [n for n, (item, _) in enumerate(staged.todo) if item.entry_id in since]
        if again:
            known = {**known, **await self.store.posts_by_entry_id(
                self.site.id, [staged.todo[n][0].entry_id for n in again])}
            redo = [(staged.todo[n][0], known.get(staged.todo[n][0].entry_id)) for n in again]
            fresh = await asyncio.to_thread(prepare_many, self.site, self.now,
                                            [(self._draft(i, b), b) for i, b in redo])
            for n, item_before, post in zip(again, redo, fresh, strict=True):
                staged.todo[n] = item_before
                done[n] = post
        prepared = await self._keep_syndic_changes(self._prepared(staged.todo, done), known)
        new, changed = await self._unique(prepared, known)
        # A post the export now calls a page (or the other way) leaves the feeds it was in.
        self._kind_changed.update({p.id: known[i.entry_id] for i, p in changed
                                   if known[i.entry_id].kind is not p.kind})
        try:
            await self._write(new, changed)
        except (IntegrityError, DBAPIError):
            # One bad post must not sink its batch: store them one by one to find it.
            Pair = tuple[ImportedPost, Post]
            singles: list[tuple[list[Pair], list[Pair]]] = [([x], []) for x in new]
            singles += [([], [x]) for x in changed]
            for one_new, one_changed in singles:
                item = (one_new or one_changed)[0][0]
                try:
                    await self._write(one_new, one_changed)
                except (IntegrityError, DBAPIError) as exc:
                    self._skip_post(item, f"not stored: {exc.orig or exc}")

    def _prepared(self, todo: list[tuple[ImportedPost, Post | None]], done: list[Prepared]
                  ) -> list[tuple[ImportedPost, Post]]:
        out = []
        for (item, before), prepared in zip(todo, done, strict=True):
            if isinstance(prepared, str):
                self._skip_post(item, prepared)
                continue
            post, links = prepared
            if links:  # found while sanitizing: the body is not read again for them
                self.report.notes.append((item.where, item.title, embeds_linked(links)))
            self.report.notes += size_notes(item, post)
            if before is not None and _same(before, replace(post, version=before.version)):
                self.report.posts_unchanged += 1
                self._post_ids[item.source_id] = before.id
                self.outcomes[item.source_id] = ("unchanged", before.id)
                continue
            out.append((item, post))
        return out

    async def _keep_syndic_changes(self, prepared: list[tuple[ImportedPost, Post]],
                                   known: dict[str, Post]) -> list[tuple[ImportedPost, Post]]:
        """The updates that may be written: a post changed in syndic since an import wrote
        it is left as it is (reported), and its comments still come in."""
        states = await self.store.posts_as_imported(
            known[i.entry_id] for i, _ in prepared if i.entry_id in known)
        # A feed holds published posts only, as a feed shows them: taking over a post
        # another import or syndic made published its drafts (docs/design-notes.md).
        owners = {} if self.imported_by != "feed" else await self.store.posts_imported_by(
            known[i.entry_id].id for i, _ in prepared if i.entry_id in known)
        out = []
        for item, post in prepared:
            before = known.get(item.entry_id)
            owner = owners.get(before.id, "feed") if before is not None else "feed"
            if before is not None and (owner not in FEEDS_OWN or states.get(before.id) is False):
                self._post_ids[item.source_id] = before.id
                self.report.skip(item.where, item.title, CHANGED_IN_SYNDIC
                                 if owner in FEEDS_OWN else not_a_feeds(owner))
                continue
            out.append((item, post))
        return out

    def _draft(self, item: ImportedPost, before: Post | None) -> PostDraft:
        published = item.published or (before.published if before else self.now)
        return PostDraft(
            title=item.title, content_html=item.content_html, published=published,
            # Without a date of its own, the update time stays what it was: a second
            # import of the same export changes nothing.
            updated=item.updated or (before.updated if before else None) or published,
            slug=before.slug if before else item.slug, summary=item.summary,
            authors=item.authors, labels=item.labels, enclosures=item.enclosures,
            status=item.status, entry_id=item.entry_id,
            kind=PostKind(item.kind) if item.kind else before.kind if before else PostKind.POST,
        )

    async def _unique(self, prepared: list[tuple[ImportedPost, Post]], known: dict[str, Post]
                      ) -> tuple[list[tuple[ImportedPost, Post]], list[tuple[ImportedPost, Post]]]:
        """New posts get a slug no other post has (Blogger allows one slug per month) and
        keep Blogger's numeric id when it is free."""
        fresh = [(i, p) for i, p in prepared if i.entry_id not in known]
        owners = await self.store.slug_owners(self.site.id, [p.slug for _, p in fresh])
        taken_ids = await self.store.ids_taken([i.legacy_id for i, _ in fresh if i.legacy_id])
        new = []
        for item, post in fresh:
            if item.slug_given and owners.get(post.slug, post.entry_id) != post.entry_id:
                self._skip_post(item, f"{item.where}.slug: another post already has it")
                continue
            slug, n = post.slug, 1
            while slug in owners and owners[slug] != post.entry_id:
                n += 1
                slug = f"{post.slug[: MAX_SLUG - 8]}-{n}"
                if slug not in owners:  # a suffixed slug may be stored already too
                    owners.update(await self.store.slug_owners(self.site.id, [slug]))
            if slug != post.slug:
                try:
                    post = prepare_post(self.site, replace(self._draft(item, None), slug=slug),
                                        self.now)
                except Exception as exc:  # as prepare_many: this post only
                    self._skip_post(item, why_not(exc))
                    continue
            owners[slug] = post.entry_id
            post_id = item.legacy_id if item.legacy_id and item.legacy_id not in taken_ids else 0
            if post_id:
                taken_ids.add(post_id)
            new.append((item, replace(post, id=post_id)))
        return new, [(i, p) for i, p in prepared if i.entry_id in known]

    async def _write(self, new: list[tuple[ImportedPost, Post]],
                     changed: list[tuple[ImportedPost, Post]]) -> None:
        keys: set[str] = set()
        for _, post in [*new, *changed]:
            keys |= touched_keys(None, post, self.ctx)
            if (before := self._kind_changed.get(post.id)) is not None:
                keys |= touched_keys(before, None, self.ctx)
        written = await self.store.write_batch(
            self.site.id, [p for _, p in new], [p for _, p in changed], [],
            keys - self._marked, self.now, self._marked, self.imported_by)
        ids = written.posts
        self._marked |= keys | written.authors
        if written.stale:
            # Edited in syndic after this import read it: kept, like an edit made before
            # (CHANGED_IN_SYNDIC), its comments still come in. Read again when next needed.
            for item, post in changed:
                if post.id in written.stale:
                    self._post_ids[item.source_id] = post.id
                    self.report.skip(item.where, item.title, CHANGED_IN_SYNDIC)
                    self._recent.pop(post.id, None)
            changed = [(i, p) for i, p in changed if p.id not in written.stale]
        self._written += [p.entry_id for _, p in [*new, *changed]]
        self._remember([*(replace(p, id=i) for (_, p), i in zip(new, ids, strict=True)),
                        *(p for _, p in changed)])
        for (item, _), post_id in zip(new, ids, strict=True):
            self._post_ids[item.source_id] = post_id
            if item.legacy_id and post_id != item.legacy_id:
                # Post ids are one series for every site: the same Blogger export imported
                # into a second site finds its ids taken by the first.
                self.report.notes.append((item.where, item.title, (
                    f"post id {item.legacy_id} belongs to another post already: this post's"
                    f" id is {post_id}, its comment feed /feeds/{post_id}/comments/default")))
            self.outcomes[item.source_id] = ("added", post_id)
            self._aliases.update(alias_paths(item, post_id))
        for item, post in changed:
            self._post_ids[item.source_id] = post.id
            self.outcomes[item.source_id] = ("updated", post.id)
            self._aliases.update(alias_paths(item, post.id))
        self.report.posts_added += len(new)
        self.report.posts_updated += len(changed)

    def _remember(self, posts: list[Post]) -> None:
        for post in posts:
            self._recent.pop(post.id, None)
            self._recent[post.id] = post
        while len(self._recent) > 2 * self.batch:
            del self._recent[next(iter(self._recent))]

    def _skip_post(self, item: ImportedPost, reason: str) -> None:
        self._skipped_posts[item.source_id] = reason
        self.report.skip(item.where, item.title, reason)
