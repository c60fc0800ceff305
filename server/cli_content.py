"""`syndic post ...` and `syndic comment ...`: the same operations as the admin API, on the
store directly (the running server sees the change within a second)."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from config import Settings
from feeds.errors import FeedsError, InvalidInputError, PostNotFoundError
from feeds.models import (
    Comment,
    CommentStatus,
    Post,
    PostDraft,
    PostKind,
    PostStatus,
    Site,
)
from feeds.publishing import Publisher
from feeds.query import slugify
from feeds.render import FeedRenderer, InlineRenderer
from feeds.store import Store
from server.api_drafts import comment_draft, post_draft
from server.api_input import check
from server.app import ensure_sites, make_publisher
from server.clock import SystemClock
from server.frontmatter import patch_from_file, read_post_file_keys
from server.handlers.api_conditional import change_current, first_then
from server.representations import comment_json, post_json

CLOCK = SystemClock()
T = TypeVar("T")


def out(args: argparse.Namespace, obj: dict[str, Any], line: str) -> None:
    """One result: JSON (one object per line) with --json, else a line for people."""
    print(json.dumps(obj, ensure_ascii=False) if getattr(args, "json", False) else line)


async def pick_site(store: Store, settings: Settings, ref: str | None,
                    named: str = "--site") -> Site:
    """The site `ref` (id or host) names, None: the default one; an error naming the
    argument `named` as the command line was given it (--site, or SITE)."""
    sites = await ensure_sites(store, settings, CLOCK, serving=False)
    if ref is None:
        return sites[0]
    for site in sites:
        if ref == str(site.id) or ref.lower() == site.host.lower():
            return site
    raise InvalidInputError(named, f"no site {ref!r} (see `syndic site list`)")


async def live_post(store: Store, site: Site, ref: str) -> Post:
    """The post `ref` names (id, slug or entry id), not a deleted one: the store keeps
    deleted posts (an import must not bring them back), but like the API
    (server/handlers/api_common.live_post) the command line treats them as gone."""
    post = await store.get_post(site.id, ref)
    if post.status is PostStatus.DELETED:
        raise PostNotFoundError(ref)
    return post


async def every(fetch: Callable[[int], Awaitable[tuple[int, list[T]]]]) -> AsyncIterator[T]:
    """Every item of a paged store listing: fetch(offset) -> (total, one page)."""
    offset = 0
    while True:
        total, items = await fetch(offset)
        for item in items:
            yield item
        offset += len(items)
        if offset >= total or not items:
            return


def publisher_for(store: Store, settings: Settings) -> Publisher:
    return make_publisher(store, settings, InlineRenderer(FeedRenderer(1)))


# -- posts -------------------------------------------------------------------------------


async def post_add(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.site)
    tz = ZoneInfo(site.timezone)
    drafts = [(path, *read_post_file_keys(path, tz, CLOCK.now())) for path in args.files]
    publisher = publisher_for(store, settings)
    for path, draft, given in drafts:
        # A file whose slug (or entry id) names a stored post changes that post: edit the
        # file, add it again.
        existing = await _existing(store, site.id, draft, path)
        # --page or `kind: page` makes pages; without either, a stored page stays one.
        kind = (PostKind.PAGE if args.page else draft.kind if "kind" in given
                else existing.kind if existing else PostKind.POST)
        draft = replace(draft, kind=kind)
        try:
            if existing is None:
                post = await publisher.add_post(site, draft, CLOCK.now())
            else:
                post = await publisher.update_post(site, existing, draft, CLOCK.now())
        except FeedsError as exc:
            raise FeedsError(f"{path}: {exc}") from None
        verb = "added" if existing is None else "updated"
        out(args, post_json(site, post), f"{verb} {post.id} {post.slug} {post.status.value}")
    return 0


async def _existing(store: Store, site_id: int, draft: PostDraft, path: Path
                    ) -> Post | None:
    """The stored post a file names by entry id or slug (never by number: a file whose slug
    is "8" is not post 8). A deleted post is not brought back by adding its file again, as
    an import does not bring it back: that is an error naming the file."""
    for ref in (draft.entry_id, slugify(draft.slug or draft.title)):
        if ref:
            try:
                post = await store.get_post(site_id, ref, by_id=False)
            except PostNotFoundError:
                continue
            if post.status is PostStatus.DELETED:
                raise InvalidInputError(
                    str(path), f"names post {post.id} ({ref}), which was deleted: give the "
                    "file another slug (and entry id) to add it as a new post")
            return post
    return None


async def post_edit(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.site)
    before = await live_post(store, site, args.ref)  # a deleted post is gone, as in the API
    # The file's front matter first, the options over it.
    body = patch_from_file(Path(args.file), ZoneInfo(site.timezone), before) if args.file else {}
    if args.status is not None or args.publish_at is not None:
        body.pop("status", None)  # the options decide
        body.pop("publish_at", None)
    if args.publish_at is not None:
        body.pop("published", None)  # a scheduled post is published at its publish_at
    for name in ("title", "status", "publish_at", "slug", "summary"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    if args.labels is not None:
        body["labels"] = [x.strip() for x in args.labels.split(",") if x.strip()]
    if not body:
        raise InvalidInputError("post edit", "nothing to change (see syndic post edit -h)")
    publisher = publisher_for(store, settings)

    async def write(current: Post) -> Post:
        # Made to the post as it is at the write: an edit landing meanwhile (the server's
        # API, another `syndic post edit`) is not undone (api_conditional.change_current).
        now = CLOCK.now()
        return await publisher.update_post(site, current, post_draft(body, site, now, current),
                                           now)

    post = await change_current(first_then(before, lambda: live_post(store, site, args.ref)),
                                write, None, lambda _: "", "post")
    out(args, post_json(site, post), f"updated {post.id} {post.slug} {post.status.value}")
    return 0


async def post_list(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.site)
    status = PostStatus(args.status) if args.status else None
    tz = ZoneInfo(site.timezone)  # the site's time, as its post URLs have it
    async for p in every(lambda at: store.page_posts(site.id, 500, at, status, args.label)):
        out(args, post_json(site, p), f"{p.id}\t{p.status.value}\t"
            f"{p.published.astimezone(tz):%Y-%m-%d %H:%M %z}\t{p.slug}\t{p.title}")
    return 0


async def post_show(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    # A deleted post is shown, with its status, as `post list --status deleted` lists it:
    # the operator's view of what the store keeps (editing or deleting it again is refused).
    site = await pick_site(store, settings, args.site)
    post = await store.get_post(site.id, args.ref)
    data = post_json(site, post)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    data["labels"] = ", ".join(data["labels"])
    for key in ("id", "entry_id", "url", "title", "status", "published", "updated", "labels",
                "comment_count", "summary"):
        print(f"{key}: {data[key]}")
    for author in data["authors"]:  # with their feed: two authors of one name have two
        print(f"author: {author['name']}" + (f" ({author['feed']})" if author["feed"] else ""))
    return 0


async def post_rm(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.site)
    publisher = publisher_for(store, settings)
    # Every post is found before any is deleted: a typo among them changes nothing. A
    # deleted post is "no post" (deleting twice), as in the API.
    found = {post.id: post for post in [await live_post(store, site, ref) for ref in args.refs]}
    for post in found.values():
        post = await publisher.delete_post(site, post, CLOCK.now())
        out(args, {"id": post.id, "deleted": True}, f"deleted {post.id} {post.slug}")
    return 0


# -- comments ----------------------------------------------------------------------------


async def comment_add(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.site)
    if (args.content is None) == (args.file is None):
        raise InvalidInputError("--content", "give the comment with --content or --file "
                                "(one of the two)")
    html = args.content if args.content is not None else Path(args.file).read_text("utf-8")
    # The API's rules (the CommentCreate schema): an empty comment, or an author's address
    # that is no http(s) URL, is refused here too, naming the field.
    author = {"name": args.author, **({"uri": args.uri} if args.uri is not None else {}),
              **({"email": args.email} if args.email is not None else {})}
    body = {"author": author, "content_html": html, "status": args.status,
            **({"parent_id": args.parent} if args.parent is not None else {})}
    draft = comment_draft(check(body, "CommentCreate"), site)
    post = await live_post(store, site, args.post)
    comment = await publisher_for(store, settings).add_comment(
        site, str(post.id), draft, CLOCK.now(), secrets.randbits(40))
    out(args, comment_json(comment),
        f"added comment {comment.id} on post {comment.post_id} ({comment.status.value})")
    return 0


async def comment_list(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.site)
    post_id = (await store.get_post(site.id, args.post)).id if args.post else None
    status = CommentStatus(args.status) if args.status else None
    tz = ZoneInfo(site.timezone)
    async for c in every(lambda at: store.page_comments(site.id, 500, at, status, post_id)):
        out(args, comment_json(c), f"{c.id}\t{c.status.value}\t{c.post_id}\t"
            f"{c.published.astimezone(tz):%Y-%m-%d %H:%M %z}\t{c.author.name}")
    return 0


async def comment_show(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.site)
    comment = await store.get_comment(site.id, args.id)
    data = comment_json(comment)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    data["author"] = data["author"]["name"]
    for key in ("id", "post_id", "entry_id", "author", "status", "published", "parent_id",
                "content_html"):
        print(f"{key}: {'' if data[key] is None else data[key]}")
    return 0


async def comment_moderate(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    """approve, spam, hold (pending) or rm, for each id given."""
    site = await pick_site(store, settings, args.site)
    publisher = publisher_for(store, settings)
    status = {"approve": CommentStatus.APPROVED, "spam": CommentStatus.SPAM,
              "hold": CommentStatus.PENDING}.get(args.comment_command)
    # Every comment is found before any is changed: a typo among them changes nothing.
    found = {c.id: c for c in [await store.get_comment(site.id, i) for i in args.ids]}
    for comment_id, comment in found.items():
        if status is None:
            await publisher.delete_comment(site, comment, CLOCK.now())
            out(args, {"id": comment.id, "deleted": True}, f"deleted comment {comment.id}")
        else:
            changed = await change_current(
                first_then(comment, partial(store.get_comment, site.id, comment_id)),
                partial(_moderate, publisher, site, status), None, lambda _: "", "comment")
            out(args, comment_json(changed), f"comment {changed.id} is {changed.status.value}")
    return 0


async def _moderate(publisher: Publisher, site: Site, status: CommentStatus,
                    current: Comment) -> Comment:
    """The status set on the comment as it is at the write: a correction made meanwhile
    through the API is not undone."""
    return await publisher.update_comment(site, replace(current, status=status), CLOCK.now(),
                                          replaces=current)


def stderr(line: str) -> None:
    print(line, file=sys.stderr)
